"""compare: learning curves of the deep and classical models on growing shares of the
training rows, scored on the same test rows, with a recommendation that agrees with
the numbers."""

import json

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
    classical = {k: last[k] for k in ("linear", "tree", "gbm")}
    best = max(classical, key=classical.get)
    gap = last["deep"] - classical[best]
    said = result["recommendation"]
    assert result["models"][best] in said and said in out
    if abs(gap) < 0.005:
        assert "level" in said
    elif gap > 0:
        assert "the deep model is" in said and f"{100 * gap:.1f} points ahead" in said
    else:
        assert f"{100 * -gap:.1f} points ahead of the deep model" in said


def test_compare_refuses_images(digits_root, tmp_path):
    code, _, err = run_cli("compare", str(digits_root), "--out", str(tmp_path / "cmp"))
    assert code == 2 and "deepstart:" in err
