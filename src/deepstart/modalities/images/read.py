"""Images to learn from and to predict on: a folder of class subfolders, a CSV that
lists image files and their labels, or an array of images with labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ...data.columns import detect_task
from ...data.confine import keep_inside
from ...data.examples import Examples
from ...data.images import check_image_array, files_named, is_hidden, list_image_files
from ...data.labels import label_column, label_names
from ...errors import DataError
from ...log import say, warn
from ..given import Given


def read_labeled(given: Given) -> Examples:
    if given.form == "arrays":
        if given.y is None:
            raise DataError("Images given as an array need their labels: call fit(X, y).")
        x = check_image_array(given.source)
        names, integer = label_names(given.y, len(x), "image")
        return Examples("image", x, names, f"an array of {len(x)} images", integer_labels=integer)
    if given.form == "folder":
        if given.task == "regression":
            raise DataError(
                f"{given.source} is a folder of classes; to predict numbers from images, give a table (CSV) "
                "of image files and numbers."
            )
        for option in ("target", "images", "text"):
            if getattr(given, option) is not None:
                raise DataError(f"--{option} is for tables, but {given.source} is a folder; drop --{option}.")
        return read_class_folders(Path(given.source))
    if given.image_column is None:
        _refuse_no_image_column(given.table, Path(given.source))
    known = given.columns.get("target")  # the model's own label column, when it is there
    target = given.target or (known if known in given.table.columns else None)
    return _read_image_table(
        given.table, Path(given.source), target, given.images, given.image_column, given.task
    )


def read_unlabeled(inputs) -> Examples:
    """Image files (or folders of them), uploads (bytes), or an array of images."""
    if isinstance(inputs, np.ndarray):
        return Examples("image", check_image_array(inputs), None, f"an array of {len(inputs)} images")
    inputs = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    if inputs and all(isinstance(value, bytes) for value in inputs):  # uploads, kept in memory
        names = [f"upload {i + 1}" for i in range(len(inputs))]
        return Examples("image", list(inputs), None, f"{len(inputs)} uploaded images", names=names)
    items = files_named(inputs, "image files")
    if not items:
        raise DataError(
            f"No files found in {', '.join(map(str, inputs))[:200]}; name image files or folders of images."
        )
    return Examples("image", items, None, ", ".join(str(v) for v in inputs)[:200])


def read_class_folders(root: Path) -> Examples:
    class_dirs = sorted(p for p in root.iterdir() if p.is_dir() and not is_hidden(p))
    _refuse_split_folders(root, class_dirs)
    items, labels = [], []
    for class_dir in class_dirs:
        files = list_image_files(class_dir)
        if not files:
            warn(f"Folder {class_dir} has no files; it is not used as a class.")
        items.extend(files)
        labels.extend([class_dir.name] * len(files))
    if not items:
        loose = [p for p in root.iterdir() if p.is_file() and not is_hidden(p)]
        if loose:
            raise DataError(
                f"{root} holds files but no class subfolders; put each class in its own "
                f"subfolder ({root / 'cats'}/, {root / 'dogs'}/)."
            )
        raise DataError(f"{root} has no images; put each class's images in a subfolder of it.")
    return Examples("image", items, labels, str(root))


def _refuse_split_folders(root: Path, class_dirs: list[Path]) -> None:
    """photos/train/cats + photos/test/cats is a split, not two classes 'train' and 'test'."""
    inner = [{p.name for p in d.iterdir() if p.is_dir() and not is_hidden(p)} for d in class_dirs]
    loose = any(p.is_file() for d in class_dirs for p in d.iterdir() if not is_hidden(p))
    if len(class_dirs) >= 2 and not loose and all(inner) and len(set.intersection(*inner)) >= 2:
        first = class_dirs[0].name
        raise DataError(
            f"{root} holds folders ({', '.join(d.name for d in class_dirs[:3])}) that each hold the same "
            "class "
            f"folders: train on one of them ({root / first}) and pass the other with --test."
        )


def _read_image_table(
    table: pd.DataFrame, path: Path, target: str | None, images, path_col: str, task: str | None = None
) -> Examples:
    label_col = label_column(table, path.name, target, exclude=(path_col,), beside="the file names")
    names = table[path_col].str.strip()
    labels = table[label_col].str.strip()
    empty = [i + 2 for i in range(len(labels)) if labels.iloc[i] == "" or names.iloc[i] == ""]
    if empty:
        raise DataError(
            f"{len(empty)} rows of {path.name} have an empty file name or label (line "
            f"{', '.join(map(str, empty[:5]))}); fill them in or remove those rows."
        )
    base = _find_image_folder(path, list(names), images)
    files = [base / n for n in names]
    kept = pd.Series(keep_inside(files, path.name), index=table.index)
    if not kept.all():
        table, names, labels = table[kept], names[kept], labels[kept]
        files = [f for f, k in zip(files, kept) if k]
    missing = [n for n, f in zip(names, files) if not f.is_file()]
    if missing:
        raise DataError(
            f"{len(missing)} files listed in {path.name} are not in {base} (e.g. '{missing[0]}'); "
            "fix the names, or pass --images with the folder that holds them."
        )
    task = detect_task(labels, label_col, path.name, task)  # ages in years: regression
    return Examples(
        "image",
        files,
        list(labels),
        str(path),
        columns={"target": label_col},
        task=task,
        table=table.reset_index(drop=True),
    )


def _refuse_no_image_column(table: pd.DataFrame, path: Path) -> None:
    if table.empty:
        raise DataError(f"{path} has no rows; list one image file and its label per row.")
    raise DataError(
        f"No column of {path.name} lists image files (columns: {', '.join(table.columns)}); "
        "give a column of file names such as 'cat1.jpg'."
    )


def _find_image_folder(csv_path: Path, names: list[str], images) -> Path:
    """The folder the CSV's file names are relative to: --images, the CSV's folder, or
    a folder up to three levels below it (as in 'train.csv' beside 'Train/Images/train/').
    Where several folders hold the files (train.csv beside Train/ and Test/, whose file
    names overlap), the one named like the CSV is taken, or else the one that holds every
    file it lists; only when that leaves a choice is --images asked for."""
    sample = names[:20]
    if images is not None:
        base = Path(images)
        if not base.is_dir():
            raise DataError(f"--images {base} is not a folder; give the folder that holds the images.")
        return base
    level = [csv_path.parent]
    for _depth in range(4):
        holding = [b for b in level if sum((b / n).is_file() for n in sample) > len(sample) // 2]
        if holding:
            return _one_folder(holding, csv_path, names)
        level = [c for b in level for c in sorted(b.iterdir()) if c.is_dir() and not is_hidden(c)][:200]
    raise DataError(
        f"The files listed in {csv_path.name} (e.g. '{sample[0]}') are not beside it nor in a "
        "folder below it; pass --images with the folder that holds them."
    )


def _one_folder(holding: list[Path], csv_path: Path, names: list[str]) -> Path:
    if len(holding) == 1:
        return holding[0]
    named = [b for b in holding if b.name.lower() == csv_path.stem.lower()]
    whole = [b for b in holding if all((b / n).is_file() for n in names)]
    for found, why in ((named, f"named like {csv_path.name}"), (whole, "that holds every file it lists")):
        if len(found) == 1:
            say(f"Images listed in {csv_path.name}: from {found[0]}, the folder {why} (or give --images).")
            return found[0]
    raise DataError(
        f"Several folders hold the files listed in {csv_path.name} "
        f"({', '.join(b.name for b in holding[:4])}); pass --images with the one that holds them."
    )
