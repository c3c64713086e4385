"""Texts and their labels from a table (CSV, TSV, Parquet, JSON Lines or a pandas
DataFrame): which column holds the free text, which the labels."""

from __future__ import annotations

import pandas as pd

from ..errors import DataError
from ..log import say, warn

LABEL_NAMES = ("label", "labels", "class", "target", "y", "category", "sentiment", "species")
TEXT_NAMES = ("text", "sentence", "content", "review", "comment", "message", "body")


def text_column(table: pd.DataFrame, origin: str, given: str | None = None, exclude: tuple = ()) -> str:
    """The column of free text: --text, else the column whose values are longest among
    those that look like prose (mostly several words, mostly distinct)."""
    if given is not None:
        return _existing(table, given, origin, "--text")
    found = find_text_column(table, exclude)
    if found is None:
        raise DataError(
            f"No column of {origin} holds free text (columns: {', '.join(table.columns)}); pass the "
            "column of texts with --text."
        )
    return found


def find_text_column(table: pd.DataFrame, exclude: tuple = (), min_words: float = 0.0) -> str | None:
    """The column whose values are longest among those that look like prose, or None.
    min_words: the mean number of words its values must have."""
    scores = {}
    for column in table.columns:
        if column in exclude:
            continue
        values = [v for v in table[column].head(2000) if v.strip()]
        if not values or _numbers_or_dates(values):
            continue
        words = sum(" " in v.strip() for v in values) / len(values)
        distinct = len(set(values)) / len(values)
        mean_words = sum(len(v.split()) for v in values) / len(values)
        if (words >= 0.5 or column.lower() in TEXT_NAMES) and distinct >= 0.3 and mean_words >= min_words:
            scores[column] = sum(map(len, values)) / len(values)
    return max(scores, key=scores.get) if scores else None


def label_column(
    table: pd.DataFrame, origin: str, given: str | None, exclude: tuple, beside: str = "the texts"
) -> str:
    """The labels: --target, else the only other column, else the one named like labels."""
    if given is not None:
        return _existing(table, given, origin, "--target")
    others = [c for c in table.columns if c not in exclude]
    if len(others) == 1:
        return others[0]
    named = [c for c in others if c.lower() in LABEL_NAMES]
    if len(named) == 1:
        return named[0]
    if not others:
        raise DataError(f"{origin} has no label column; add one (e.g. 'label') beside {beside}.")
    raise DataError(
        f"Cannot tell which column of {origin} holds the labels (columns: {', '.join(table.columns)}); "
        "pass it with --target."
    )


def labelled_texts(table: pd.DataFrame, origin: str, target: str | None, text: str | None):
    """(texts, labels, text column, label column), refusing rows without a label."""
    if table.empty:
        raise DataError(f"{origin} has no rows; give one text and its label per row.")
    if target is not None:
        _existing(table, target, origin, "--target")
    text_col = text_column(table, origin, text, exclude=(target,) if target else ())
    label_col = label_column(table, origin, target, exclude=(text_col,))
    if label_col == text_col:
        raise DataError(f"--text and --target both name '{text_col}'; the labels need their own column.")
    ignored = [c for c in table.columns if c not in (text_col, label_col)]
    if ignored:
        say(
            f"Using the text in '{text_col}' and the labels in '{label_col}'; ignoring {', '.join(ignored)} "
            "(--task tabular learns from the other columns instead)."
        )
    labels = table[label_col].str.strip()
    missing = [i + 1 for i, v in enumerate(labels) if v == ""]  # rows counted from 1, as encoders do
    if missing:
        raise DataError(
            f"{len(missing)} rows of {origin} have no label (row {', '.join(map(str, missing[:5]))}); "
            "fill them in or remove those rows."
        )
    return list(table[text_col]), list(labels), text_col, label_col


def _numbers_or_dates(values: list[str]) -> bool:
    """Cells that are numbers, or dates and times ('2021-01-01 00:00:00'), are not prose."""
    from .columns import looks_like_dates, numbers

    cells = pd.Series(values, dtype=str)
    return bool(numbers(cells).notna().mean() >= 0.9 or looks_like_dates(cells))


def _existing(table: pd.DataFrame, column: str, origin: str, option: str) -> str:
    if column not in table.columns:
        raise DataError(
            f"Column '{column}' is not in {origin} (columns: {', '.join(table.columns)}); pass one of "
            f"those to {option}."
        )
    return column


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
            "Pass separate validation texts with --val."
        )
