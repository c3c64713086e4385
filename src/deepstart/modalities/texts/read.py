"""Texts and their labels: a table (CSV, TSV, Parquet, JSON Lines or a DataFrame) with
a column of free text, or a list of texts with labels; and texts to predict on."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...data.columns import column_types, detect_task
from ...data.examples import Examples
from ...data.labels import label_column, label_names, require_column, whole_numbers
from ...data.prose import find_text_column, text_column
from ...data.tables import as_text_table, is_table_file, read_table
from ...errors import DataError
from ...log import say, warn
from ...settings import named
from ..given import Given


def is_text_table(given: Given) -> bool:
    """A table whose examples are texts: asked for, or a column reads like prose (three
    words or more on average, or the only column beside IDs and the labels), unless the
    labels are numbers to predict (a regression on the other columns can, a text
    classifier cannot)."""
    if given.kind == "text" or given.text is not None:
        return True
    if given.kind is not None or given.task is not None:
        return False
    table, origin = given.table, given.origin
    label = given.target or given.columns.get("target")
    prose = find_text_column(table, exclude=(label,), min_words=3)
    if prose is None:  # short texts count when nothing else could be learned from
        prose = find_text_column(table, exclude=(label,))
        if label is None and prose is not None:
            label = _label_or_none(table, origin, prose)
        prose = prose if prose is not None and not _learnable(table, (label, prose), origin) else None
    label = label or (_label_or_none(table, origin, prose) if prose is not None else None)
    if prose is not None and label in table.columns and _quantity(table[label]):
        return False
    return prose is not None


def read_labeled(given: Given) -> Examples:
    if given.form == "texts":
        texts = list(given.source)
        labels, integer = label_names(given.y, len(texts), "text")
        return Examples("text", texts, labels, f"a list of {len(texts)} texts", integer_labels=integer)
    if given.form == "folder":
        raise DataError(
            f"{given.source} is a folder, but this model reads texts; give a table (CSV) of texts."
        )
    table, origin = given.table, given.origin
    known = {k: v for k, v in given.columns.items() if v in table.columns}  # as in training
    text, target = given.text or known.get("text"), given.target or known.get("target")
    texts, labels, text_col, label_col = labelled_texts(table, origin, target, text)
    columns = {"text": text_col, "target": label_col}
    return Examples(
        "text", texts, labels, origin, integer_labels=whole_numbers(labels), columns=columns, table=table
    )


def labelled_texts(table: pd.DataFrame, origin: str, target: str | None, text: str | None):
    """(texts, labels, text column, label column), refusing rows without a label."""
    if table.empty:
        raise DataError(f"{origin} has no rows; give one text and its label per row.")
    if target is not None:
        require_column(table, target, origin, "target")
    text_col = text_column(table, origin, text, exclude=(target,) if target else ())
    label_col = label_column(table, origin, target, exclude=(text_col,))
    if label_col == text_col:
        raise DataError(f"The texts and the labels are both '{text_col}'; the labels need their own column.")
    ignored = [c for c in table.columns if c not in (text_col, label_col)]
    if ignored:
        say(
            f"Using the text in '{text_col}' and the labels in '{label_col}'; ignoring {', '.join(ignored)} "
            f"({named('task', 'tabular')} learns from the other columns instead)."
        )
    labels = table[label_col].str.strip()
    missing = [i + 1 for i, v in enumerate(labels) if v == ""]  # rows counted from 1, as encoders do
    if missing:
        raise DataError(
            f"{len(missing)} rows of {origin} have no label (row {', '.join(map(str, missing[:5]))}); "
            "fill them in or remove those rows."
        )
    return list(table[text_col]), list(labels), text_col, label_col


def read_unlabeled(inputs, column: str | None) -> Examples:
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


def _is_table_path(value) -> bool:
    return is_table_file(value) and len(str(value)) < 4096 and Path(value).is_file()


def _quantity(labels: pd.Series) -> bool:
    """Numbers with fractions or many values: a quantity, not classes."""
    try:
        return detect_task(labels.str.strip(), "", "") == "regression"
    except DataError:
        return False


def _label_or_none(table: pd.DataFrame, origin: str, prose: str) -> str | None:
    try:
        return label_column(table, origin, None, exclude=(prose,))
    except DataError:
        return None


def _learnable(table: pd.DataFrame, leave_out: tuple, origin: str) -> bool:
    """Whether any column but those left out holds numbers, categories, yes/no or dates."""
    others = table[[c for c in table.columns if c not in leave_out]]
    try:
        return bool(column_types(others, origin)[0])
    except DataError:  # a column of mixed types: the tabular path says so
        return True


def warn_if_inside(val_texts: list[str], train_texts: list[str]) -> None:
    """Warn when many validation texts appear word for word inside training texts (as
    when phrases are cut from the same sentences): validation then rewards memory."""
    sample = val_texts[:: max(1, len(val_texts) // 1000)]  # enough to estimate the share
    if not sample:
        return
    joined = "\n " + " \n ".join(" ".join(t.split()) for t in train_texts) + " \n"
    inside = sum(f" {' '.join(t.split())} " in joined for t in sample)  # whole words only
    if inside > 0.1 * len(sample):
        warn(
            f"{inside / len(sample):.0%} of the validation texts appear word for word inside training "
            "texts: validation accuracy looks better than it is and favours models that memorise wording. "
            f"Give separate validation texts ({named('val')})."
        )
