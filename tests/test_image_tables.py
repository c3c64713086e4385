"""Images and texts listed in a table: beside several image folders, as the "Age Detection"
practice problem ships (train.csv and Train/, test.csv and Test/, whose file names
overlap), and groups taken from any column of the table for metrics per group."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from deepstart.data.split import stratified_split
from deepstart.errors import DataError
from deepstart.modalities import read_labeled
from deepstart.models import faces

from conftest import customers, image_bytes, reviews, run_cli


def age_detection_layout(root, n: int = 12):
    """train.csv (ID,Class) beside Train/ and test.csv beside Test/; Test/ holds files named
    like most of Train/'s, as the numbered files of that problem do."""
    for folder, first in (("Train", 0), ("Test", 2)):
        (root / folder).mkdir()
        for i in range(first, first + n):
            (root / folder / f"{i}.png").write_bytes(image_bytes(size=(20, 20)))
    classes = ["YOUNG", "MIDDLE", "OLD"]
    (root / "train.csv").write_text("ID,Class\n" + "".join(f"{i}.png,{classes[i % 3]}\n" for i in range(n)))
    (root / "test.csv").write_text(
        "ID,Class\n" + "".join(f"{i}.png,{classes[i % 3]}\n" for i in range(2, 2 + n))
    )


def test_each_table_takes_the_folder_named_like_it(tmp_path, caplog):
    age_detection_layout(tmp_path)
    with caplog.at_level("INFO", logger="deepstart"):
        train = read_labeled(str(tmp_path / "train.csv"))
        test = read_labeled(str(tmp_path / "test.csv"))
    assert {f.parent.name for f in train.items} == {"Train"} and len(train.items) == 12
    assert {f.parent.name for f in test.items} == {"Test"} and len(test.items) == 12
    assert "named like train.csv" in caplog.text


def test_the_folder_that_holds_every_file_is_taken_then_a_real_choice_is_asked(tmp_path):
    age_detection_layout(tmp_path)
    (tmp_path / "labels.csv").write_text((tmp_path / "train.csv").read_text())  # not named like a folder
    assert {f.parent.name for f in read_labeled(str(tmp_path / "labels.csv")).items} == {"Train"}
    (tmp_path / "Test" / "0.png").write_bytes(image_bytes(size=(20, 20)))  # now both hold every file
    (tmp_path / "Test" / "1.png").write_bytes(image_bytes(size=(20, 20)))
    with pytest.raises(DataError, match="Several folders.*--images"):
        read_labeled(str(tmp_path / "labels.csv"))
    assert {
        f.parent.name for f in read_labeled(str(tmp_path / "labels.csv"), images=tmp_path / "Test").items
    } == {"Test"}


def test_groups_of_an_image_model_come_from_the_table_that_lists_its_images(trained, digits_root, tmp_path):
    files = [f for label in ("0", "1", "7") for f in sorted((digits_root / label).iterdir())[:12]]
    rows = [f"{f},{f.parent.name},{'a' if i % 2 else 'b'}" for i, f in enumerate(files)]
    rows.append("missing.png,7,a")  # an unreadable input is skipped, and the groups stay aligned
    (tmp_path / "faces.csv").write_text("file,label,site\n" + "\n".join(rows) + "\n")
    (tmp_path / "missing.png").write_bytes(b"not an image")
    code, out, err = run_cli(
        "evaluate", str(trained), str(tmp_path / "faces.csv"), "--group", "site", "--json"
    )
    assert code == 0, err
    groups = json.loads(out)["groups"]
    assert {k: v["n"] for k, v in groups["by_group"].items()} == {"a": 18, "b": 18}
    assert groups["column"] == "site" and "accuracy" in groups["message"]
    code, _, err = run_cli("evaluate", str(trained), str(digits_root), "--group", "site")
    assert code == 2 and "needs the images listed in a table" in err


def test_groups_of_a_text_model_may_use_a_column_it_ignores(text_model, tmp_path):
    table = reviews(60, seed=3)
    table["reader"] = np.where(np.arange(60) < 40, "adult", "child")
    table.to_csv(tmp_path / "more.csv", index=False)
    code, out, err = run_cli(
        "evaluate", str(text_model), str(tmp_path / "more.csv"), "--group", "reader", "--json"
    )
    assert code == 0, err
    assert {k: v["n"] for k, v in json.loads(out)["groups"]["by_group"].items()} == {"adult": 40, "child": 20}
    code, _, err = run_cli("evaluate", str(text_model), str(tmp_path / "more.csv"), "--group", "age")
    assert code == 2 and "not a column" in err


def test_train_scores_each_group_of_the_held_out_rows(tmp_path):
    table = customers(200).drop(columns=["spend_next"])
    table["plan"] = table["plan"].replace("pro", "<b>pro</b>")  # names come from data: escaped
    table.to_csv(tmp_path / "c.csv", index=False)
    out = tmp_path / "m"
    code, _, err = run_cli(
        "train", str(tmp_path / "c.csv"), "--target", "churned", "--group", "plan", "--epochs", "3",
        "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    test = json.loads((out / "manifest.json").read_text())["metrics"]["test"]
    held = stratified_split(table["churned"].to_numpy(), 0.2, 0)[1]  # the rows train holds out
    in_test = table["plan"].iloc[held].value_counts().to_dict()
    by_group = test["groups"]["by_group"]
    assert {k: m["n"] for k, m in by_group.items()} == in_test
    assert sum(m["n"] for m in by_group.values()) == test["n"]
    page = (out / "report.html").read_text()
    assert "<h2>Per group: plan</h2>" in page and "&lt;b&gt;pro&lt;/b&gt;" in page
    assert "<b>pro</b>" not in page


def test_train_groups_texts_by_a_column_the_model_ignores(tmp_path):
    table = reviews(120, seed=5)
    table["reader"] = np.where(np.arange(120) % 3 == 0, "child", "adult")
    table.to_csv(tmp_path / "r.csv", index=False)
    code, out, err = run_cli(
        "train", str(tmp_path / "r.csv"), "--target", "sentiment", "--group", "reader", "--out",
        str(tmp_path / "m"),
    )  # fmt: skip
    assert code == 0, err
    said = out + err
    assert "By 'reader':" in said and "adult" in said and "child" in said


def test_train_refuses_a_group_that_is_not_a_column_before_training(tmp_path):
    customers(60).to_csv(tmp_path / "c.csv", index=False)
    out = tmp_path / "m"
    code, _, err = run_cli(
        "train", str(tmp_path / "c.csv"), "--target", "churned", "--group", "nosuch", "--out", str(out)
    )
    assert code == 2 and not out.exists()
    assert err.strip().splitlines() == [err.strip()] and "--group nosuch is not a column" in err
    assert "plan" in err


@pytest.mark.skipif(not faces.available(), reason='needs the faces extra: pip install "deepstart[faces]"')
def test_the_face_pipeline_falls_back_cleanly_where_there_are_no_faces(digits_root, tmp_path):
    out = tmp_path / "m"
    code, said, err = run_cli(
        "train", str(digits_root), "--model", "faces", "--epochs", "3", "--out", str(out)
    )
    assert code == 0, err
    assert "No face was found in" in said + err and "described from its middle" in said + err
    assert ".png" in (said + err).split("No face was found in")[1].splitlines()[0]  # which, by name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["encoder"]["name"] == faces.NAME and manifest["net"]["in_features"] == faces.FEATURE_DIM
    code, said, err = run_cli("predict", str(out), str(sorted((digits_root / "7").iterdir())[0]), "--json")
    assert code == 0 and json.loads(said)[0]["label"] in ("0", "1", "7")
    code, _, err = run_cli(
        "explain", str(out), str(sorted((digits_root / "7").iterdir())[0]), "--out", str(tmp_path / "w")
    )
    assert code == 0 and (tmp_path / "w").is_dir(), err  # an occlusion map, drawn on the photo
    heat = np.load(next((tmp_path / "w").glob("*.heatmap.npy")))
    with Image.open(sorted((digits_root / "7").iterdir())[0]) as photo:
        assert heat.shape == photo.size[::-1] and 0 <= heat.min() and heat.max() <= 1  # at the photo's size
    code, _, err = run_cli(
        "train", str(digits_root), "--no-faces", "--model", "faces", "--out", str(tmp_path / "x")
    )
    assert code == 2 and "disagree" in err and not (tmp_path / "x").exists()


@pytest.mark.skipif(not faces.available(), reason='needs the faces extra: pip install "deepstart[faces]"')
def test_photos_without_faces_are_not_read_as_faces(tmp_path):
    from sklearn.datasets import load_sample_images

    from deepstart.data.examples import Examples
    from deepstart.modalities import REGISTRY
    from deepstart.settings import Settings

    photos = [Image.fromarray(p) for p in load_sample_images().images]  # a temple and a flower
    for i in range(6):
        photos[i % 2].rotate(i * 10).save(tmp_path / f"{i}.jpg")
    examples = Examples("image", sorted(tmp_path.glob("*.jpg")), ["a", "b"] * 3, str(tmp_path))
    assert REGISTRY["image"].recipe(examples, Settings()).name == "transfer"  # looked for, none found
    assert REGISTRY["image"].recipe(examples, Settings(faces=True)).name == "faces"


def _numbered_digits(digits_root, tmp_path) -> Path:
    """A CSV of digit images with a number each (the digit's value times 10, plus its rank):
    many different whole numbers, as ages are."""
    files = [f for label in ("0", "1", "7") for f in sorted((digits_root / label).iterdir())[:20]]
    rows = [f"{f},{int(f.parent.name) * 10 + i % 20},{'a' if i % 2 else 'b'}" for i, f in enumerate(files)]
    (tmp_path / "ages.csv").write_text("file,age,site\n" + "\n".join(rows) + "\n")
    return tmp_path / "ages.csv"


def test_numbers_listed_beside_images_train_a_regressor(digits_root, tmp_path):
    table = _numbered_digits(digits_root, tmp_path)
    code, said, err = run_cli(
        "train", str(table), "--target", "age", "--epochs", "3", "--out", str(tmp_path / "m")
    )
    assert code == 0, err
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert manifest["task"] == "regression" and "mae" in manifest["metrics"]["test"]
    assert "regression model for 'age'" in said
    code, out, err = run_cli(
        "predict", str(tmp_path / "m"), str(sorted((digits_root / "7").iterdir())[0]), "--json"
    )
    assert code == 0 and isinstance(json.loads(out)[0]["prediction"], float), out
    code, _, err = run_cli("train", str(digits_root), "--task", "regression", "--out", str(tmp_path / "x"))
    assert code == 2 and "folder of classes" in err and not (tmp_path / "x").exists()


def test_bins_turn_numbers_into_the_classes_and_evaluate_groups_them_alike(digits_root, tmp_path):
    table = _numbered_digits(digits_root, tmp_path)
    args = ["--target", "age", "--bins", "low<5,mid<20,high", "--epochs", "3", "--out", str(tmp_path / "m")]
    code, _, err = run_cli("train", str(table), *args)
    assert code == 0, err
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert manifest["task"] == "classification" and manifest["classes"] == ["high", "low", "mid"]
    code, out, err = run_cli("evaluate", str(tmp_path / "m"), str(table), "--json")
    assert code == 0, err
    assert json.loads(out)["n"] == 60 and set(json.loads(out)["per_class"]) == {"high", "low", "mid"}
    for bad, words in (("old", "two or more groups"), ("a<5,b<2,c", "larger than"), ("a<x,b", "no number")):
        code, _, err = run_cli(
            "train", str(table), "--target", "age", "--bins", bad, "--out", str(tmp_path / "y")
        )
        assert code == 2 and words in err and err.count("\n") == 1, err


def test_a_balanced_split_counts_each_group_equally_and_keeps_every_example():
    from deepstart.data.split import Split

    x, y = np.arange(10).reshape(10, 1), np.zeros(10, int)
    groups = np.array(["a"] * 8 + ["b"] * 2)
    split = Split(
        (x, y),
        (x[:0], y[:0]),
        (x[:0], y[:0]),
        "",
        [],
        0,
        {"train": list(range(10))},
        False,
        [],
        list(range(10)),
    )
    balanced = split.balanced(groups, seed=0)
    kept = balanced.train[0][:, 0]
    assert sorted(set(kept)) == list(range(10)) and len(kept) == 16  # 8 of a, 8 of b (2 repeated)
    assert sum(groups[kept] == "b") == 8 and balanced.train_positions == list(kept)


def test_balance_trains_twice_and_keeps_each_groups_score_before_and_after(tmp_path):
    table = customers(200).drop(columns=["spend_next"])
    table["region"] = np.where(np.arange(200) % 5 == 0, "south", "north")  # one in five
    table.to_csv(tmp_path / "c.csv", index=False)
    args = ["--target", "churned", "--task", "tabular", "--epochs", "3", "--balance", "region"]
    code, said, err = run_cli("train", str(tmp_path / "c.csv"), *args, "--out", str(tmp_path / "m"))
    assert code == 0, err
    balance = json.loads((tmp_path / "m" / "manifest.json").read_text())["metrics"]["test"]["balance"]
    sizes = [{k: v["n"] for k, v in balance[when]["by_group"].items()} for when in ("before", "after")]
    assert sizes[0] == sizes[1] and set(sizes[0]) == {"north", "south"}  # the same test rows
    assert "Balanced by 'region'" in said and "before:" in said and "after:" in said
    assert "<h2>Balanced by region</h2>" in (tmp_path / "m" / "report.html").read_text()
    code, _, err = run_cli(
        "train", str(tmp_path / "c.csv"), *args[:-1], "nosuch", "--out", str(tmp_path / "x")
    )
    assert code == 2 and "not a column" in err and not (tmp_path / "x").exists()
