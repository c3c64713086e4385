"""Finding images and labels: class folders, and CSV files in the layouts of public
practice problems ("Identify the Digits", "Age Detection")."""

import shutil

import pytest

from deepstart.errors import DataError
from deepstart.modalities import read_labeled

from conftest import run_cli


@pytest.fixture
def digits_csv(tmp_path, digits_root):
    """'Identify the Digits': train.csv (filename,label) beside Train/Images/train/."""
    images = tmp_path / "Train" / "Images" / "train"
    images.mkdir(parents=True)
    rows = ["filename,label"]
    for label in ("0", "1", "7"):
        for f in sorted((digits_root / label).iterdir())[:8]:
            name = f"{label}_{f.name}"
            shutil.copy(f, images / name)
            rows.append(f"{name},{label}")
    (tmp_path / "train.csv").write_text("\n".join(rows) + "\n")
    return tmp_path / "train.csv"


def test_digits_layout_is_detected(digits_csv):
    examples = read_labeled(digits_csv)
    assert len(examples.items) == 24 and set(examples.labels) == {"0", "1", "7"}
    assert all(p.is_file() and p.parent.name == "train" for p in examples.items)


def test_age_detection_layout_with_id_and_class(tmp_path, digits_root):
    (tmp_path / "Train").mkdir()
    rows = ["ID,Class"]
    for i, f in enumerate(sorted((digits_root / "1").iterdir())[:4]):
        shutil.copy(f, tmp_path / "Train" / f"{i}.png")
        rows.append(f"{i}.png,{'YOUNG' if i % 2 else 'OLD'}")
    (tmp_path / "train.csv").write_text("\n".join(rows))
    examples = read_labeled(tmp_path / "train.csv")
    assert examples.labels == ["OLD", "YOUNG", "OLD", "YOUNG"]


def test_target_and_images_options(digits_csv, tmp_path):
    table = digits_csv.read_text().replace("filename,label", "file,digit")
    lines = [line + ",x" for line in table.splitlines()]
    lines[0] = "file,digit,note"
    (tmp_path / "other.csv").write_text("\n".join(lines))
    with pytest.raises(DataError, match="--target"):
        read_labeled(tmp_path / "other.csv")
    examples = read_labeled(tmp_path / "other.csv", target="digit", images=tmp_path / "Train/Images/train")
    assert set(examples.labels) == {"0", "1", "7"}


def test_train_and_evaluate_from_csv(digits_csv, tmp_path):
    out = tmp_path / "model"
    code, _, err = run_cli("train", str(digits_csv), "--out", str(out), "--epochs", "5")
    assert code == 0, err
    code, out_text, err = run_cli("evaluate", str(out), str(digits_csv), "--json")
    assert code == 0 and '"n": 24' in out_text


@pytest.mark.parametrize(
    "content,match",
    [
        ("a,b\n1,2\n", "Cannot tell which column"),
        ("filename,label\n", "no rows"),
        ("filename\n0_x.png\n", "no label column"),
        ("filename,label\nmissing.png,0\nalso_missing.png,1\n", "not beside it"),
        ("filename,label\n{first},\n", "empty file name or label"),
    ],
)
def test_bad_csv_is_refused(digits_csv, content, match):
    first = digits_csv.read_text().splitlines()[1].split(",")[0]
    digits_csv.write_text(content.format(first=first))
    with pytest.raises(DataError, match=match):
        read_labeled(digits_csv)


def test_some_listed_files_missing(digits_csv):
    digits_csv.write_text(digits_csv.read_text() + "ghost.png,7\n")
    with pytest.raises(DataError, match="1 files listed in train.csv are not in .*ghost.png"):
        read_labeled(digits_csv)


def test_unknown_target_column_lists_the_columns(digits_csv):
    code, _, err = run_cli("-q", "train", str(digits_csv), "--target", "kind")
    assert code == 2 and "columns: filename, label" in err


def test_binary_file_is_not_a_table(tmp_path):
    (tmp_path / "data.csv").write_bytes(b"\xff\xfe\x00\x00garbage\x00\x01")
    with pytest.raises(DataError):
        read_labeled(tmp_path / "data.csv")
