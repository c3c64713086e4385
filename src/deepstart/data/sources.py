"""Finding the examples and labels in what the user points at: a folder of class
subfolders, a CSV that lists image files and their labels, or a table of texts and
labels (CSV, TSV, Parquet, JSON Lines, a DataFrame)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ..log import warn
from ..sequences import sequence_array, table_sequences
from .columns import column_types, detect_task, labelled_rows
from .images import check_image_array, is_hidden, list_image_files, looks_like_image_path
from .tables import as_text_table, is_table_file, read_table
from .text import find_text_column, label_column, labelled_texts, text_column


@dataclass
class Examples:
    """Inputs of one modality, with their labels when known."""

    kind: str  # "image" | "text" | "table"
    items: list[Path] | np.ndarray | list[str] | pd.DataFrame  # files, images, texts, or table rows
    labels: list[str] | None
    origin: str  # how to name the source in messages
    integer_labels: bool = False  # labels were given as integers: predictions are integers too
    columns: dict | None = None  # for tables: {"text": column, "target": column}
    task: str = "classification"  # or "regression" (numbers to predict, tables only)
    names: list[str] | None = None  # how to name each input in predictions (rows of tables)


def read_labeled(
    source,
    y=None,
    target: str | None = None,
    images: str | Path | None = None,
    text: str | None = None,
    kind: str | None = None,
    columns: dict | None = None,
    task: str | None = None,
) -> Examples:
    """Labelled examples from a folder of class subfolders, a table (a CSV of image
    files and labels, or of texts and labels; TSV, Parquet and JSON Lines too), a
    DataFrame, an array of images (N, H, W[, C]) with labels y, or texts with labels y.
    kind ("image", "text" or "table") says which the data must be; None detects it.
    columns: the {"text", "target"} columns a model was trained on, used where a table
    has them. task: "regression" or "classification" when asked for (tables)."""
    examples = _read_labeled(source, y, target, images, text, kind, columns or {}, task)
    if kind is not None and examples.kind != kind:
        raise DataError(
            f"{examples.origin} holds {examples.kind}s, but this model reads {kind}s; give {kind} data."
        )
    return examples


def _read_labeled(source, y, target, images, text, kind, columns: dict, task) -> Examples:
    if isinstance(source, pd.DataFrame):
        return _read_any_table(source, "the DataFrame", target, text, kind, columns, task)
    if y is not None and _is_texts(source):
        return _texts_with_labels(list(source), y)
    if kind == "sequence" or (kind is None and y is not None and _ndim(source) == 2):
        if isinstance(source, np.ndarray) or y is not None:
            return _read_arrays(source, y, "sequence")
    if isinstance(source, np.ndarray) or y is not None:
        return _read_arrays(source, y)
    path = Path(source)
    if not path.exists():
        raise DataError(f"{path} does not exist; give a folder of class subfolders or a table (CSV).")
    if path.is_dir():
        if kind == "text":
            raise DataError(f"{path} is a folder, but this model reads texts; give a table (CSV) of texts.")
        if target is not None or images is not None or text is not None:
            option = "--target" if target is not None else "--images" if images is not None else "--text"
            raise DataError(f"{option} is for tables, but {path} is a folder; drop {option}.")
        return _read_class_folders(path)
    if is_table_file(path):
        table = read_table(path)
        if kind != "text" and text is None and _image_column(table) is not None:
            return _read_image_table(table, path, target, images)
        if kind == "image":
            _refuse_no_image_column(table, path)
        return _read_any_table(table, str(path), target, text, kind, columns, task)
    raise DataError(
        f"{path} is neither a folder nor a table (CSV, TSV, Parquet, JSON Lines); give a folder with "
        "one subfolder per class, or a table of examples and labels."
    )


def read_unlabeled(inputs, kind: str = "image", text: str | None = None, steps=None) -> Examples:
    """To predict on: image files (or folders of them) or an array of images; or, for
    kind "text", texts, tables of texts (column `text`, else detected) or a DataFrame."""
    if kind == "text":
        return _read_texts(inputs, text)
    if kind == "table":
        return _read_rows(inputs)
    if kind == "sequence":
        if isinstance(inputs, np.ndarray):
            return Examples("sequence", sequence_array(inputs), None, f"an array of {len(inputs)} sequences")
        rows = _read_rows(inputs)
        return Examples(
            "sequence", table_sequences(rows.items, rows.origin, steps), None, rows.origin, names=rows.names
        )
    if isinstance(inputs, np.ndarray):
        return Examples("image", check_image_array(inputs), None, f"an array of {len(inputs)} images")
    if inputs and all(isinstance(value, bytes) for value in inputs):  # uploads, kept in memory
        names = [f"upload {i + 1}" for i in range(len(inputs))]
        return Examples("image", list(inputs), None, f"{len(inputs)} uploaded images", names=names)
    items: list[Path] = []
    for value in inputs:
        path = Path(value)
        if path.is_dir():
            items.extend(list_image_files(path))
        elif path.is_file():
            items.append(path)
        else:
            raise DataError(f"{path} does not exist; give image files or folders of images.")
    if not items:
        raise DataError(
            f"No files found in {', '.join(map(str, inputs))[:200]}; name image files or folders of images."
        )
    return Examples("image", items, None, ", ".join(str(v) for v in inputs)[:200])


def check_same_classes(train: Examples, test: Examples | None) -> None:
    """Refuse, before any work, test (or validation) data with labels the training data lacks."""
    unknown = sorted(set(test.labels) - set(train.labels)) if test is not None else []
    if unknown:
        raise DataError(
            f"{test.origin} has labels that the training data lacks ({', '.join(unknown[:5])}); "
            "use data of the same classes."
        )


def _read_arrays(x, y, kind: str = "image") -> Examples:
    """Images (N, H, W[, C]) or sequences (N, steps) / (N, channels, steps), with labels y."""
    if y is None:
        raise DataError(f"{kind.capitalize()}s given as an array need their labels: call fit(X, y).")
    x = check_image_array(x) if kind == "image" else sequence_array(x)
    names, integer = _label_names(y, len(x), kind)
    return Examples(kind, x, names, f"an array of {len(x)} {kind}s", integer_labels=integer)


def _label_names(y, n: int, what: str) -> tuple[list[str], bool]:
    """Labels as strings, and whether they were integers."""
    labels = np.asarray(y)
    if labels.ndim != 1 or len(labels) != n:
        raise DataError(
            f"Expected one label per {what}: {n} {what}s but labels of shape {labels.shape}; "
            "pass y as a list or 1-D array."
        )
    if labels.dtype.kind == "f" and np.all(np.isfinite(labels)) and np.all(labels == np.round(labels)):
        labels = labels.astype(np.int64)  # 1.0, 2.0 are the classes 1 and 2
    names = [str(v.item() if hasattr(v, "item") else v).strip() for v in labels]
    if any(n in ("", "nan", "None") for n in names):
        raise DataError(f"Some labels are empty or missing; give every {what} a label.")
    return names, labels.dtype.kind in "iu"


def _read_class_folders(root: Path) -> Examples:
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


def _is_texts(source) -> bool:
    values = source.tolist() if isinstance(source, (np.ndarray, pd.Series)) else source
    return isinstance(values, (list, tuple)) and len(values) > 0 and all(isinstance(v, str) for v in values)


def _texts_with_labels(texts: list[str], y) -> Examples:
    labels, integer = _label_names(y, len(texts), "text")
    return Examples("text", texts, labels, f"a list of {len(texts)} texts", integer_labels=integer)


def _read_any_table(table, origin: str, target, text, kind, columns: dict, task) -> Examples:
    """A table of texts, or of columns for a tabular model: texts when asked for, or when
    a column reads like prose (three words or more on average, or the only column beside
    IDs and the labels); the other columns are then ignored, with a notice."""
    table = as_text_table(table)
    if kind is None and text is None and task is None:
        label = target or columns.get("target")
        prose = find_text_column(table, exclude=(label,), min_words=3)
        if prose is None:  # short texts count when nothing else could be learned from
            prose = find_text_column(table, exclude=(label,))
            if label is None and prose is not None:
                label = _label_or_none(table, origin, prose)
            prose = prose if prose is not None and not _learnable(table, (label, prose), origin) else None
        label = label or (_label_or_none(table, origin, prose) if prose is not None else None)
        if prose is not None and label in table.columns and _quantity(table[label]):
            prose = None  # numbers to predict: a text classifier cannot, a regression on the columns can
        kind = "text" if prose is not None else "table"
    if kind == "text" or text is not None:
        return _read_text_table(table, origin, target, text, columns)
    rows, labels, label_col, found = labelled_rows(table, origin, target or columns.get("target"), task)
    integer = _whole_numbers(labels)
    if kind == "sequence":
        steps = columns.get("steps") or list(rows.columns)
        return Examples(
            "sequence",
            table_sequences(rows, origin, steps),
            labels,
            origin,
            integer,
            {"target": label_col, "steps": steps},
        )
    return Examples("table", rows, labels, origin, integer, {"target": label_col}, found)


def _quantity(labels: pd.Series) -> bool:
    """Numbers with fractions or many values: a quantity, not classes."""
    try:
        return detect_task(labels.str.strip(), "", "") == "regression"
    except DataError:
        return False


def _whole_numbers(labels: list[str]) -> bool:
    """Labels written as whole numbers ("1", "-2"): predictions are given back as numbers."""
    return all(v.lstrip("-").isdigit() and v.isascii() for v in labels)


def _label_or_none(table: pd.DataFrame, origin: str, prose: str) -> str | None:
    try:
        return label_column(table, origin, None, exclude=(prose,))
    except DataError:
        return None


def _ndim(source) -> int | None:
    try:
        return np.ndim(source)
    except ValueError:  # a ragged list (of images of different sizes)
        return None


def _learnable(table: pd.DataFrame, leave_out: tuple, origin: str) -> bool:
    """Whether any column but those left out holds numbers, categories, yes/no or dates."""
    others = table[[c for c in table.columns if c not in leave_out]]
    try:
        return bool(column_types(others, origin)[0])
    except DataError:  # a column of mixed types: the tabular path says so
        return True


def _read_text_table(
    table: pd.DataFrame, origin: str, target: str | None, text: str | None, columns: dict | None = None
) -> Examples:
    table = as_text_table(table)
    known = {k: v for k, v in (columns or {}).items() if v in table.columns}  # as in training
    text, target = text or known.get("text"), target or known.get("target")
    texts, labels, text_col, label_col = labelled_texts(table, origin, target, text)
    integer = _whole_numbers(labels)
    columns = {"text": text_col, "target": label_col}
    return Examples("text", texts, labels, origin, integer_labels=integer, columns=columns)


def _read_texts(inputs, column: str | None) -> Examples:
    """Texts to predict on: the strings themselves, or the text column of tables."""
    if isinstance(inputs, pd.DataFrame):
        inputs = [inputs]
    texts: list[str] = []
    for value in [inputs] if isinstance(inputs, (str, Path)) else inputs:
        if isinstance(value, (str, Path)) and is_table_file(value) and not Path(value).is_file():
            if " " not in str(value):  # a file name, not a sentence that ends in ".csv"
                raise DataError(f"{value} does not exist; give an existing table, or texts.")
        if isinstance(value, pd.DataFrame) or (isinstance(value, (str, Path)) and _is_table_path(value)):
            table = value if isinstance(value, pd.DataFrame) else read_table(Path(value))
            table = as_text_table(table)
            origin = "the DataFrame" if isinstance(value, pd.DataFrame) else str(value)
            given = column if column in table.columns else None
            texts.extend(table[text_column(table, origin, given)])
        else:
            texts.append(str(value))
    if not texts:
        raise DataError("No texts to predict on; give texts, or a table with a column of texts.")
    return Examples("text", texts, None, f"{len(texts)} texts")


def _read_rows(inputs) -> Examples:
    """Rows to predict on, from tables (files or DataFrames), one after the other."""
    tables, origins = [], []
    for value in [inputs] if isinstance(inputs, (str, Path, pd.DataFrame)) else inputs:
        if isinstance(value, pd.DataFrame):
            tables.append(as_text_table(value))
            origins.append("the DataFrame")
        elif is_table_file(value) and Path(value).is_file():
            tables.append(read_table(Path(value)))
            origins.append(str(value))
        else:
            raise DataError(
                f"{str(value)[:200]} is not a table file; give tables (CSV, Parquet, ...) of rows."
            )
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    if table.empty:
        raise DataError("No rows to predict on; give a table with one row per example.")
    names = [
        f"{origin}, row {i + 1}" if len(tables) > 1 else f"row {i + 1}"
        for origin, part in zip(origins, tables)
        for i in range(len(part))
    ]
    return Examples("table", table, None, ", ".join(origins)[:200], names=names)


def _is_table_path(value) -> bool:
    return is_table_file(value) and len(str(value)) < 4096 and Path(value).is_file()


def _read_image_table(table: pd.DataFrame, path: Path, target: str | None, images) -> Examples:
    path_col = _image_column(table)
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
    missing = [n for n, f in zip(names, files) if not f.is_file()]
    if missing:
        raise DataError(
            f"{len(missing)} files listed in {path.name} are not in {base} (e.g. '{missing[0]}'); "
            "fix the names, or pass --images with the folder that holds them."
        )
    return Examples("image", files, list(labels), str(path))


def _image_column(table: pd.DataFrame) -> str | None:
    for column in table.columns:
        values = [v for v in table[column].head(200) if v.strip()]
        if values and sum(looks_like_image_path(v.strip()) for v in values) >= 0.9 * len(values):
            return column
    return None


def _refuse_no_image_column(table: pd.DataFrame, path: Path) -> None:
    if table.empty:
        raise DataError(f"{path} has no rows; list one image file and its label per row.")
    raise DataError(
        f"No column of {path.name} lists image files (columns: {', '.join(table.columns)}); "
        "give a column of file names such as 'cat1.jpg'."
    )


def _find_image_folder(csv_path: Path, names: list[str], images) -> Path:
    """The folder the CSV's file names are relative to: --images, the CSV's folder, or
    a folder up to three levels below it (as in 'train.csv' beside 'Train/Images/train/')."""
    sample = names[:20]
    if images is not None:
        base = Path(images)
        if not base.is_dir():
            raise DataError(f"--images {base} is not a folder; give the folder that holds the images.")
        return base
    level = [csv_path.parent]
    for _depth in range(4):
        for base in level:
            if sum((base / n).is_file() for n in sample) > len(sample) // 2:
                return base
        level = [c for b in level for c in sorted(b.iterdir()) if c.is_dir() and not is_hidden(c)][:200]
    raise DataError(
        f"The files listed in {csv_path.name} (e.g. '{sample[0]}') are not beside it nor in a "
        "folder below it; pass --images with the folder that holds them."
    )
