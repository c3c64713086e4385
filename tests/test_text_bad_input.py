"""Bad text data: one plain line and exit code 2, or, for rows that can be left out,
a notice saying how many and why."""

import json

import pytest

from test_bad_input import assert_refused

from conftest import reviews, run_cli


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "reviews.csv"
    reviews(40).to_csv(path, index=False)
    return path


def test_target_that_does_not_exist(table, tmp_path):
    line = assert_refused(["train", str(table), "--target", "stars", "--out", str(tmp_path / "m")], "'stars'")
    assert "columns: id, review, sentiment" in line


def test_text_column_that_does_not_exist(table, tmp_path):
    assert_refused(["train", str(table), "--text", "body", "--out", str(tmp_path / "m")], "Column 'body'")


def test_one_class_only(tmp_path):
    data = reviews(40)
    data[data["sentiment"] == "pos"].to_csv(tmp_path / "pos.csv", index=False)
    out = tmp_path / "m"
    assert_refused(
        ["train", str(tmp_path / "pos.csv"), "--target", "sentiment", "--out", str(out)],
        "only one class",
        out,
    )


def test_missing_labels_name_the_lines(tmp_path):
    data = reviews(40)
    data.loc[[3, 9], "sentiment"] = ""
    data.to_csv(tmp_path / "r.csv", index=False)
    out = tmp_path / "m"
    line = assert_refused(
        ["train", str(tmp_path / "r.csv"), "--target", "sentiment", "--out", str(out)], "no label", out
    )
    assert "row 4, 10" in line


def test_not_a_table(tmp_path):
    (tmp_path / "r.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    assert_refused(
        ["train", str(tmp_path / "r.csv"), "--out", str(tmp_path / "m")], "cannot be read as a table"
    )
    (tmp_path / "r.parquet").write_text("not parquet")
    assert_refused(
        ["train", str(tmp_path / "r.parquet"), "--out", str(tmp_path / "m")], "cannot be read as a table"
    )


def test_no_column_of_text(tmp_path):
    (tmp_path / "n.csv").write_text("a,b\n" + "".join(f"{i},{i % 2}\n" for i in range(20)))
    args = ["train", str(tmp_path / "n.csv"), "--task", "text", "--out", str(tmp_path / "m")]
    assert_refused(args, "No column of")


def test_empty_texts_are_skipped_and_listed(tmp_path):
    data = reviews(40)
    data.loc[[0, 5], "review"] = ["", "   "]
    data.to_csv(tmp_path / "r.csv", index=False)
    out = tmp_path / "m"
    code, stdout, err = run_cli(
        "train", str(tmp_path / "r.csv"), "--target", "sentiment", "--out", str(out), "--epochs", "2"
    )
    assert code == 0, err
    skipped = json.loads((out / "manifest.json").read_text())["data"]["skipped"]
    where = str(tmp_path / "r.csv")
    assert skipped == [
        {"file": f"{where}, row 1", "reason": "empty text"},
        {"file": f"{where}, row 6", "reason": "empty text"},
    ]
    assert "Skipped 2 unusable rows" in stdout


def test_all_texts_empty(tmp_path):
    (tmp_path / "r.csv").write_text("text,label\n" + "".join(f" ,{i % 2}\n" for i in range(10)))
    out = tmp_path / "m"
    assert_refused(
        ["train", str(tmp_path / "r.csv"), "--text", "text", "--out", str(out)],
        "usable (non-empty) text",
        out,
    )


def test_bytes_that_are_not_utf8_are_replaced_and_counted(tmp_path):
    data = reviews(40)
    raw = data.to_csv(index=False).encode("utf-8").replace(b"the film was", b"the film \xe9t\xe9 was")
    (tmp_path / "r.csv").write_bytes(raw)
    n = raw.count(b"\xe9")
    code, _, err = run_cli(
        "train",
        str(tmp_path / "r.csv"),
        "--target",
        "sentiment",
        "--out",
        str(tmp_path / "m"),
        "--epochs",
        "2",
    )
    assert code == 0, err
    assert f"{n} characters could not be read" in err


def test_wrong_kind_of_input_for_the_model(text_model, digits_root):
    assert_refused(["evaluate", str(text_model), str(digits_root)], "this model reads texts")
    assert_refused(["predict", str(text_model), ""], "No input holds any text")


def test_cnn_is_refused_for_texts(table, tmp_path):
    assert_refused(
        ["train", str(table), "--model", "cnn", "--out", str(tmp_path / "m")], "--model cnn is for images"
    )


def test_val_size_with_a_val_table(table, tmp_path):
    args = ["train", str(table), "--val", str(table), "--val-size", "0.3", "--out", str(tmp_path / "m")]
    assert_refused(args, "--val-size and --val exclude each other")


def test_mistyped_table_for_predict(text_model, tmp_path):
    assert_refused(["predict", str(text_model), str(tmp_path / "new_reviws.csv")], "does not exist")


def test_image_arrays_for_a_text_model(text_model):
    import numpy as np

    from deepstart import Predictor
    from deepstart.errors import DataError

    with pytest.raises(DataError, match="this model reads texts"):
        Predictor.load(text_model).evaluate(np.zeros((4, 8, 8), np.uint8), [0, 1, 0, 1])
