"""Recordings to learn from: a folder with one subfolder of sound files per class
(recordings/yes/*.wav, recordings/no/*.wav), or a table (CSV, ...) with a column of sound
files and one of labels; sound files, folders or tables of them, or uploads to predict on.
WAV, FLAC, OGG and MP3, decoded later (encoder.py). No PyTorch here."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...data.confine import keep_inside
from ...data.examples import Examples
from ...data.images import file_column, files_named, is_hidden, list_image_files
from ...data.labels import label_column
from ...data.tables import is_table_file, read_table
from ...errors import DataError
from ...log import warn
from ..given import Given

SOUND = (".wav", ".flac", ".ogg", ".oga", ".mp3")


def is_sound(path: Path) -> bool:
    return path.suffix.lower() in SOUND


def holds_sound(folder: Path, sample: int = 50) -> bool:
    """Whether most of the first files found below folder are sound files."""
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and not is_hidden(path):
            found.append(is_sound(path))
            if len(found) >= sample:
                break
    return bool(found) and sum(found) > len(found) / 2


def recognizes(given: Given, asked: bool) -> bool:
    """A folder whose files are mostly sound files, or a table file with a column of them
    (or any folder or table, asked for)."""
    if given.form == "table":
        return asked or given.file_column(SOUND) is not None
    return given.form == "folder" and (asked or holds_sound(Path(given.source)))


def read_labeled(given: Given) -> Examples:
    if given.form == "table":
        return _read_table(given)
    if given.form != "folder":
        raise DataError(
            f"{given.origin}: recordings are read from a folder with one subfolder per class "
            "(recordings/yes/*.wav) or a table of sound files and labels; give one of those."
        )
    root = Path(given.source)
    items, labels = [], []
    for class_dir in sorted(p for p in root.iterdir() if p.is_dir() and not is_hidden(p)):
        files = list_image_files(class_dir)  # every file below: the non-sound ones are skipped when read
        if not files:
            warn(f"Folder {class_dir} has no files; it is not used as a class.")
        items += files
        labels += [class_dir.name] * len(files)
    if not items:
        raise DataError(f"{root} has no class subfolders of recordings (e.g. {root}/yes/*.wav).")
    return Examples("audio", items, labels, str(root))


def read_unlabeled(inputs) -> Examples:
    """Sound files (or folders of them), or uploads (bytes)."""
    inputs = [inputs] if isinstance(inputs, (str, Path, bytes)) else list(inputs)
    if inputs and all(isinstance(value, bytes) for value in inputs):
        names = [f"upload {i + 1}" for i in range(len(inputs))]
        return Examples("audio", list(inputs), None, f"{len(inputs)} uploaded recordings", names=names)
    items = files_named(inputs, "sound files", _listed_by)
    if not items:
        raise DataError(f"No files found in {', '.join(map(str, inputs))[:200]}; name sound files.")
    return Examples("audio", items, None, ", ".join(str(v) for v in inputs)[:200])


def _listed_by(path: Path) -> list[Path]:
    """A sound file, or the sound files a table lists (relative to its folder)."""
    if not is_table_file(path):
        return [path]
    table = read_table(path)
    return _listed(table, path, _sound_column(table, path), path.parent)[0]


def _read_table(given: Given) -> Examples:
    """A table with a column of sound files (relative to the table's folder, or to
    --images; absolute paths as they are) and a column of labels."""
    table, path = given.table, Path(given.source)
    if given.task == "regression":
        raise DataError("Recordings are classified; to predict numbers, give a table of numbers instead.")
    column = given.file_column(SOUND) or _sound_column(table, path)
    known = given.columns.get("target")  # the model's own label column, when it is there
    target = given.target or (known if known in table.columns else None)
    label_col = label_column(table, path.name, target, exclude=(column,), beside="the file names")
    labels = table[label_col].str.strip()
    empty = [i + 2 for i in range(len(table)) if labels.iloc[i] == "" or table[column].iloc[i].strip() == ""]
    if empty:
        raise DataError(
            f"{len(empty)} rows of {path.name} have an empty file name or label (line "
            f"{', '.join(map(str, empty[:5]))}); fill them in or remove those rows."
        )
    base = Path(given.images) if given.images is not None else path.parent
    if not base.is_dir():
        raise DataError(f"--images {base} is not a folder; give the folder that holds the sound files.")
    files, kept = _listed(table, path, column, base)
    if not all(kept):
        table, labels = table[kept], labels[kept]
    return Examples(
        "audio",
        files,
        list(labels),
        str(path),
        columns={"target": label_col},
        table=table.reset_index(drop=True),
    )


def _sound_column(table: pd.DataFrame, path: Path) -> str:
    column = file_column(table, SOUND)
    if column is None:
        if table.empty:
            raise DataError(f"{path} has no rows; list one sound file (and its label) per row.")
        raise DataError(
            f"No column of {path.name} lists sound files (columns: {', '.join(table.columns)}); "
            "give a column of file names such as 'yes_1.wav'."
        )
    return column


def _listed(table: pd.DataFrame, path: Path, column: str, base: Path) -> tuple[list[Path], list[bool]]:
    """The files a table lists that may be read (keep_inside), as the table names them,
    relative to base, and which of its rows they are; those that are not there are named
    here and skipped with the undecodable ones when read."""
    listed = [base / name.strip() for name in table[column] if name.strip()]
    kept = keep_inside(listed, path.name)
    files = [f for f, k in zip(listed, kept) if k]
    missing = [str(f) for f in files if not f.exists()]
    if missing and len(missing) == len(files):
        raise DataError(
            f"None of the {len(files)} files listed in {path.name} is there (e.g. {missing[0]}); file names "
            f"are read relative to {base} (or give absolute paths)."
        )
    if missing:
        warn(
            f"{len(missing)} of the {len(files)} files listed in {path.name} are not found "
            f"({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''}): they are skipped."
        )
    return files, kept
