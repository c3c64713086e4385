"""Images and texts listed in a table: beside several image folders, as the "Age Detection"
practice problem ships (train.csv and Train/, test.csv and Test/, whose file names
overlap), and groups taken from any column of the table for metrics per group."""

import json

import numpy as np
import pytest

from deepstart.errors import DataError
from deepstart.modalities import read_labeled

from conftest import image_bytes, reviews, run_cli


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
