"""Which column of a table holds free text (prose): reviews, messages, descriptions,
as opposed to numbers, dates, categories and IDs."""

from __future__ import annotations

import pandas as pd

from ..errors import DataError
from .columns import looks_like_dates, numbers
from .labels import require_column

TEXT_NAMES = ("text", "sentence", "content", "review", "comment", "message", "body")


def text_column(table: pd.DataFrame, origin: str, given: str | None = None, exclude: tuple = ()) -> str:
    """The column of free text: --text, else the column whose values are longest among
    those that look like prose (mostly several words, mostly distinct)."""
    if given is not None:
        return require_column(table, given, origin, "text")
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


def _numbers_or_dates(values: list[str]) -> bool:
    """Cells that are numbers, or dates and times ('2021-01-01 00:00:00'), are not prose."""
    cells = pd.Series(values, dtype=str)
    return bool(numbers(cells).notna().mean() >= 0.9 or looks_like_dates(cells))


def clean_text(text: str) -> str:
    """The text as valid UTF-8: lone surrogates, from bytes that were not UTF-8 (read with
    Python's surrogateescape, as from the command line) or from JSON escapes ("\\ud800"),
    are replaced."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        except UnicodeEncodeError:  # not from undecodable bytes: a lone surrogate of its own
            return text.encode("utf-8", "replace").decode("utf-8")
