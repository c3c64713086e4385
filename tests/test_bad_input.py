"""Bad input gets one plain line naming the problem and the fix, exit code 2, no
traceback, and nothing half-written; bad files among good ones are skipped and listed."""

import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import image_bytes, run_cli


def make_classes(root, digits_root, counts: dict) -> None:
    """root/<class>/ with counts[class] images copied from the digits."""
    for label, n in counts.items():
        (root / label).mkdir(parents=True)
        for f in sorted((digits_root / label).iterdir())[:n]:
            shutil.copy(f, root / label / f.name)


def assert_refused(args, match: str, out=None) -> str:
    code, stdout, stderr = run_cli("-q", *args)
    assert code == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("deepstart: "), stderr
    assert "Traceback" not in stderr and match in lines[0], lines[0]
    if out is not None:
        assert not out.exists(), "a model was written although training failed"
        assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.tmp")]
    return lines[0]


def test_missing_path(tmp_path):
    assert_refused(["train", str(tmp_path / "nope"), "--out", str(tmp_path / "m")], "does not exist")


def test_empty_folder(tmp_path):
    (tmp_path / "photos").mkdir()
    out = tmp_path / "m"
    assert_refused(["train", str(tmp_path / "photos"), "--out", str(out)], "has no images", out)


def test_images_without_class_folders(tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.png").write_bytes(image_bytes())
    assert_refused(["train", str(tmp_path / "photos")], "no class subfolders")


def test_one_class_only(tmp_path, digits_root):
    make_classes(tmp_path / "photos", digits_root, {"0": 6})
    out = tmp_path / "m"
    assert_refused(["train", str(tmp_path / "photos"), "--out", str(out)], "only one class", out)


def test_class_with_one_image(tmp_path, digits_root):
    make_classes(tmp_path / "photos", digits_root, {"0": 6, "1": 1})
    out = tmp_path / "m"
    line = assert_refused(["train", str(tmp_path / "photos"), "--out", str(out)], "Class '1' has only 1", out)
    assert "add images" in line


def test_bad_files_are_skipped_and_listed(tmp_path, digits_root):
    photos = tmp_path / "photos"
    make_classes(photos, digits_root, {"0": 6, "1": 6})
    (photos / "0" / "notes.txt").write_text("my notes")
    truncated = image_bytes("RGB", size=(120, 120), fmt="JPEG")
    (photos / "1" / "half.jpg").write_bytes(truncated[: len(truncated) // 2])
    (photos / "1" / "bomb.png").write_bytes(image_bytes("L", size=(3000, 3000)))
    (photos / "0" / ".hidden.png").write_bytes(b"ignored")
    out = tmp_path / "m"
    code, stdout, stderr = run_cli(
        "train", str(photos), "--out", str(out), "--epochs", "3", "--max-pixels", "1000000"
    )
    assert code == 0, stderr
    skipped = {
        s["file"].rsplit("/", 1)[1]: s["reason"]
        for s in json.loads((out / "manifest.json").read_text())["data"]["skipped"]
    }
    assert skipped == {
        "notes.txt": "not an image file",
        "half.jpg": "truncated image",
        "bomb.png": skipped["bomb.png"],
    }
    assert skipped["bomb.png"].startswith("too large")
    assert "notes.txt: not an image file" in stderr and "Skipped 3 unusable files" in stdout


def test_all_files_unusable(tmp_path):
    for label in ("a", "b"):
        (tmp_path / "photos" / label).mkdir(parents=True)
        (tmp_path / "photos" / label / "x.jpg").write_text("not a photo")
    out = tmp_path / "m"
    assert_refused(["train", str(tmp_path / "photos"), "--out", str(out)], "usable image", out)


def test_any_image_mode_and_unicode_paths_train(tmp_path, digits_root):
    photos = tmp_path / "my photos"
    make_classes(photos, digits_root, {"0": 5, "1": 5})
    (photos / "0").rename(photos / "zéro 0")
    for i, mode in enumerate(["L", "CMYK", "RGBA", "P", "I;16"]):
        fmt = "JPEG" if mode == "CMYK" else "PNG"
        (photos / "1" / f"mode {i} ✓.{fmt.lower()}").write_bytes(image_bytes(mode, fmt=fmt))
    out = tmp_path / "modèle final"
    code, stdout, stderr = run_cli("train", str(photos), "--out", str(out), "--epochs", "3")
    assert code == 0, stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["classes"] == ["1", "zéro 0"] and manifest["data"]["skipped"] == []


def test_out_is_a_folder_of_other_files(tmp_path, digits_root):
    make_classes(tmp_path / "photos", digits_root, {"0": 5, "1": 5})
    out = tmp_path / "documents"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    assert_refused(["train", str(tmp_path / "photos"), "--out", str(out)], "not a deepstart model")
    assert [p.name for p in out.iterdir()] == ["thesis.docx"]


def test_invalid_setting(tmp_path):
    line = assert_refused(["train", str(tmp_path), "--test-size", "1.5"], "test_size")
    assert "Received: 1.5" in line


def test_evaluate_a_folder_that_is_not_a_model(tmp_path, digits_root):
    assert_refused(["evaluate", str(tmp_path), str(digits_root)], "manifest.json")


def test_evaluate_with_unknown_classes(trained, tmp_path, digits_root):
    make_classes(tmp_path / "photos", digits_root, {"0": 3, "1": 3})
    (tmp_path / "photos" / "1").rename(tmp_path / "photos" / "3")
    assert_refused(["evaluate", str(trained), str(tmp_path / "photos")], "not trained on (3)")


def test_predict_nothing_readable(trained, tmp_path):
    (tmp_path / "x.jpg").write_text("no")
    code, _, stderr = run_cli("-q", "predict", str(trained), str(tmp_path / "x.jpg"))
    assert code == 2 and "No input could be read" in stderr


@pytest.mark.parametrize("option", ["--nonsense", "--epochs=zero"])
def test_usage_errors_are_one_line(tmp_path, option):
    assert_refused(["train", str(tmp_path), option], "--help")


def test_split_folders_are_not_taken_for_classes(tmp_path, digits_root):
    make_classes(tmp_path / "data" / "train", digits_root, {"0": 4, "1": 4})
    make_classes(tmp_path / "data" / "test", digits_root, {"0": 4, "1": 4})
    assert_refused(["train", str(tmp_path / "data")], "--test")


def test_empty_class_folder_is_named(tmp_path, digits_root):
    make_classes(tmp_path / "photos", digits_root, {"0": 5, "1": 5, "7": 5})
    for f in (tmp_path / "photos" / "7").iterdir():
        f.unlink()
    code, _, err = run_cli("train", str(tmp_path / "photos"), "--out", str(tmp_path / "m"), "--epochs", "2")
    assert code == 0 and "photos/7 has no files" in err
    assert json.loads((tmp_path / "m" / "manifest.json").read_text())["classes"] == ["0", "1"]


def test_odd_file_and_class_names(tmp_path, digits_root):
    make_classes(tmp_path / "photos", digits_root, {"0": 5, "1": 5})
    (tmp_path / "photos" / "1").rename(tmp_path / "photos" / "²")
    first = next((tmp_path / "photos" / "0").iterdir())
    first.rename(first.with_name(b"caf\xe9.png".decode("utf-8", "surrogateescape")))
    code, _, err = run_cli(
        "-q", "train", str(tmp_path / "photos"), "--out", str(tmp_path / "m"), "--epochs", "2"
    )
    assert code == 0, err
    assert json.loads((tmp_path / "m" / "manifest.json").read_text())["classes"] == ["0", "²"]


@pytest.mark.parametrize("size", ["59", "0.99"])
def test_holding_out_nearly_everything(tmp_path, digits_root, size):
    make_classes(tmp_path / "photos", digits_root, {"0": 20, "1": 20, "7": 20})
    out = tmp_path / "m"
    assert_refused(
        ["train", str(tmp_path / "photos"), "--out", str(out), "--test-size", size],
        "at least one example on each side",
        out,
    )


def test_test_data_with_unknown_labels_is_refused_before_work(tmp_path, digits_root):
    make_classes(tmp_path / "train", digits_root, {"0": 5, "1": 5})
    make_classes(tmp_path / "test", digits_root, {"0": 3, "7": 3})
    assert_refused(["train", str(tmp_path / "train"), "--test", str(tmp_path / "test")], "lacks (7)")


def test_test_data_seen_in_training_is_flagged(tmp_path, digits_root):
    make_classes(tmp_path / "photos", digits_root, {"0": 5, "1": 5})
    code, out, err = run_cli(
        "train",
        str(tmp_path / "photos"),
        "--test",
        str(tmp_path / "photos"),
        "--out",
        str(tmp_path / "m"),
        "--epochs",
        "2",
    )
    assert code == 0 and "10 of the 10 test images also appear" in err and "flatter the model" in out


def test_predict_out_must_be_a_file_in_a_folder(trained, digits_root, tmp_path):
    image = str(next((digits_root / "0").iterdir()))
    for out in (tmp_path, tmp_path / "missing" / "p.csv"):
        assert_refused(["predict", str(trained), image, "--out", str(out)], "--out")
    assert list(tmp_path.iterdir()) == []
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / "link.csv").symlink_to(victim)
    for out in ("/dev/fd/1", str(tmp_path / "link.csv")):  # not regular files: refused up front
        assert_refused(["predict", str(trained), image, "--out", out], "--out")
    assert_refused(["predict", str(trained), image, "--out", "/proc/p.csv"], "cannot be written")
    for planted in (".p.csv.tmp", f".p.csv.tmp{os.getpid()}"):  # the old predictable temp names
        (tmp_path / planted).symlink_to(victim)
    (tmp_path / ".p.csv.tmp1").mkdir()  # a leftover folder of that name
    code, _, err = run_cli("predict", str(trained), image, "--out", str(tmp_path / "p.csv"))
    assert code == 0, err
    assert victim.read_text() == "keep me" and (tmp_path / "p.csv").read_text().startswith("input,label")


def test_damaged_feature_cache_is_bypassed(trained, digits_root, tmp_path, monkeypatch):
    (tmp_path / "features.sqlite").write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv("DEEPSTART_CACHE", str(tmp_path))
    code, out, err = run_cli("evaluate", str(trained), str(digits_root), "--json")
    assert code == 0 and json.loads(out)["n"] == 72 and "going on without it" in err


def test_semicolon_csv(tmp_path, digits_root):
    rows = ["file;label"]
    for label in ("0", "1"):
        for f in sorted((digits_root / label).iterdir())[:5]:
            shutil.copy(f, tmp_path / f"{label}_{f.name}")
            rows.append(f"{label}_{f.name};{label}")
    (tmp_path / "train.csv").write_text("\n".join(rows))
    code, _, err = run_cli(
        "-q", "train", str(tmp_path / "train.csv"), "--out", str(tmp_path / "m"), "--epochs", "2"
    )
    assert code == 0, err


def test_test_size_with_a_test_folder(tmp_path, digits_root):
    args = ["train", str(digits_root), "--test", str(digits_root), "--test-size", "0.3"]
    assert_refused(args, "--test-size and --test exclude each other")


@pytest.mark.parametrize("lr", ["inf", "1e6"])
def test_a_run_that_diverges_saves_no_model(tmp_path, digits_root, lr):
    out = tmp_path / "m"
    args = ["train", str(digits_root), "--model", "cnn", "--lr", lr, "--epochs", "1", "--out", str(out)]
    assert_refused(args, "diverged", out)


def test_weights_that_are_not_finite_are_never_saved(tmp_path):
    import torch

    from deepstart import artifact
    from deepstart.errors import TrainingError

    with pytest.raises(TrainingError, match="not all finite"):
        artifact.save(tmp_path / "m", {"task": "classification"}, {"w": torch.tensor([1.0, float("nan")])})
    assert not (tmp_path / "m").exists()


def test_texts_that_spreadsheets_would_run_are_escaped_in_csv_output(tmp_path):
    import csv

    model = Path(__file__).parent / "fixtures" / "models" / "text"
    texts = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(1)", "\tx", "fine text"]
    code, _, err = run_cli("predict", str(model), "--out", str(tmp_path / "p.csv"), "--", *texts)
    assert code == 0, err
    with open(tmp_path / "p.csv", newline="") as f:
        written = [row["input"] for row in csv.DictReader(f)]
    assert written == ["'" + t for t in texts[:-1]] + ["fine text"]


def test_names_from_data_cannot_forge_lines_or_drive_the_terminal(tmp_path, digits_root):
    evil = "seven\x1b]0;owned\x07"  # a class name that would retitle the terminal
    for label in ("0", "1", "7"):
        shutil.copytree(digits_root / label, tmp_path / "data" / (evil if label == "7" else label))
    code, out, err = run_cli(
        "train", str(tmp_path / "data"), "--model", "cnn", "--epochs", "2", "--out", str(tmp_path / "m")
    )
    assert code == 0, err
    assert "\x1b" not in out + err and "\x07" not in out + err and "seven\\x1b]0;owned\\x07" in out
    forged = tmp_path / "a.png\n0.png\t7\t(forged)"  # a file name that would print as two predictions
    shutil.copy(next((digits_root / "0").iterdir()), forged)
    code, out, err = run_cli("predict", str(tmp_path / "m"), str(forged))
    assert code == 0, err
    assert len(out.strip().splitlines()) == 1 and "a.png\\n0.png\\t7\\t(forged)" in out
    assert "\x1b" not in out


def test_out_is_checked_before_any_work(trained, digits_root):
    for out, problem in (
        ("/proc/x", "cannot be written"),
        (str(trained / "inner"), "inside the model folder"),
    ):
        assert_refused(["train", str(digits_root), "--epochs", "1", "--out", out], problem)
    assert not (trained / "inner").exists()


def test_only_regular_files_are_read_as_data(tmp_path, digits_root, trained):
    data = tmp_path / "data"
    shutil.copytree(digits_root, data)
    (data / "0" / "zero.png").symlink_to("/dev/zero")  # would never end
    os.mkfifo(data / "1" / "pipe.png")  # would wait for a writer forever
    code, out, err = run_cli(
        "train", str(data), "--model", "cnn", "--epochs", "1", "--out", str(tmp_path / "m")
    )
    assert code == 0, err  # it ended: the pipe is not waited on (a folder's listing passes it by)
    assert "zero.png: not a regular file" in out + err
    for given in ("0/zero.png", "1/pipe.png"):
        assert_refused(["predict", str(trained), str(data / given)], "is not a regular file")
    os.mkfifo(tmp_path / "table.csv")
    assert_refused(["train", str(tmp_path / "table.csv"), "--target", "y"], "not a regular file")
