"""compare: learning curves of the deep and classical models on growing shares of the
training rows, scored on the same test rows, with a recommendation that agrees with
the numbers."""

import json

from deepstart.compare import recommend

from conftest import customers, run_cli


def test_compare_on_a_table(tmp_path):
    customers(400).drop(columns=["spend_next"]).to_csv(tmp_path / "c.csv", index=False)
    code, out, err = run_cli(
        "compare",
        str(tmp_path / "c.csv"),
        "--target",
        "churned",
        "--task",
        "tabular",
        "--out",
        str(tmp_path / "cmp"),
    )
    assert code == 0, err
    result = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert (tmp_path / "cmp" / "learning_curve.png").read_bytes()[:4] == b"\x89PNG"
    points = result["points"]
    assert [p["n_train"] for p in points] == sorted(p["n_train"] for p in points) and points[-1][
        "n_train"
    ] == 320
    assert result["test_rows"] == 80 and all({"deep", "linear", "tree", "gbm"} <= set(p) for p in points)
    last = points[-1]
    best = max(("linear", "tree", "gbm"), key=last.get)  # the first, the simplest, wins a tie
    gap = last["deep"] - last[best]
    said = result["recommendation"]
    assert result["models"][best] in said and said in out
    if abs(gap) < 1.5 / 80:  # under 1.5 test rows of 80: level
        assert "level" in said
    elif gap > 0:
        assert "the deep model is" in said and f"{100 * gap:.1f} points ahead" in said
    else:
        assert f"{100 * -gap:.1f} points ahead of the deep model" in said


def test_compare_on_an_image_folder(digits_root, tmp_path):
    code, out, err = run_cli(
        "compare", str(digits_root), "--model", "transfer", "--out", str(tmp_path / "cmp")
    )
    assert code == 0, err
    result = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert (tmp_path / "cmp" / "learning_curve.png").read_bytes()[:4] == b"\x89PNG"
    points = result["points"]
    assert result["modality"] == "image" and result["unit"] == "images" and result["test_rows"] == 14
    assert [p["n_train"] for p in points] == sorted({p["n_train"] for p in points}) and points[-1][
        "n_train"
    ] == 58  # 72 digits, 14 of them (a fifth, stratified) to test
    assert all(set(p) == {"n_train", "deep", "linear", "gbm"} for p in points)
    assert result["models"]["deep"].startswith("transfer learning")
    last = points[-1]
    best = max(("linear", "gbm"), key=last.get)
    gap = last["deep"] - last[best]
    said = result["recommendation"]
    assert said in out and said.startswith("With 58 images, ") and result["models"][best] in said
    if abs(gap) < 1.5 / 14:  # under 1.5 test images of 14: level
        assert "transfer learning and" in said and "are level" in said
    elif gap > 0:
        assert f"transfer learning is {100 * gap:.1f} points ahead" in said
    else:
        assert f"{100 * -gap:.1f} points ahead of transfer learning" in said


def test_compare_refuses_a_folder_with_one_class(digits_root, tmp_path):
    (tmp_path / "one" / "0").mkdir(parents=True)
    for f in sorted((digits_root / "0").iterdir())[:10]:
        (tmp_path / "one" / "0" / f.name).write_bytes(f.read_bytes())
    code, out, err = run_cli("compare", str(tmp_path / "one"), "--out", str(tmp_path / "cmp"))
    assert code == 2 and err.startswith("deepstart: ") and "one class" in err and "Traceback" not in err
    assert not (tmp_path / "cmp").exists()


def test_recommendation_names_photos_and_transfer_learning():
    titles = {
        "deep": "transfer learning (EfficientNet-Lite0 + classifier)",
        "linear": "pixels",
        "gbm": "colours",
    }
    points = [
        {"n_train": 80, "deep": 0.80, "linear": 0.82, "gbm": 0.70},
        {"n_train": 800, "deep": 0.95, "linear": 0.83, "gbm": 0.80},
    ]
    said = recommend(points, titles, False, "photos", "transfer learning", n_test=200)
    assert said.startswith("With 800 photos, transfer learning is 12.0 points ahead of pixels")
    assert said.endswith("Transfer learning was ahead at 800 photos, a classical model at 80.")  # not "close"
    tied = [{"n_train": 50, "deep": 0.9, "gbm": 0.97, "linear": 0.97}]  # gbm first, linear simpler
    assert "linear" in recommend(tied, {"linear": "linear", "gbm": "gbm"}, False, n_test=100).split(",")[1]
    one_image = [{"n_train": 50, "deep": 0.9, "linear": 0.872}]  # 1 of 36 test images
    assert "are level" in recommend(one_image, {"linear": "linear"}, False, n_test=36)


def test_shares_cut_short_by_the_time_limit_are_left_out_of_the_recommendation():
    titles = {"deep": "MLP (deep)", "linear": "logistic regression"}
    points = [{"n_train": 32, "deep": 0.7, "linear": 0.8}, {"n_train": 80, "deep": 0.9}, {"n_train": 200}]
    said = recommend(points, titles, False, n_test=100)
    assert said.startswith("With 32 rows, logistic regression is 10.0 points ahead of the deep model")
    assert "cannot be compared" in recommend(points[1:], titles, False, n_test=100)
