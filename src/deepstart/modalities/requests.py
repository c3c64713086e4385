"""Helpers for reading inputs sent to the service as JSON, shared by the modalities
whose requests are rows of a table (tables, a series' history)."""

from __future__ import annotations

import math

import pandas as pd

from ..data.columns import MISSING, numbers
from ..data.prose import clean_text
from ..data.tables import MAX_COLUMNS
from ..errors import RequestError, TooLarge


def json_type(value) -> str:
    """A JSON value's type, in words, for messages."""
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(value), "a number"
    )


def check_row(item, limits, info: dict) -> dict:
    """A JSON row: every column the model reads (null if unknown), plain values, and
    numbers (or nothing) in number columns, read as the model reads them; only the
    model's columns are kept, so the work a request asks for is bounded by its rows
    (--max-queue, 64 at most) times the model's columns."""
    if not isinstance(item, dict):
        raise RequestError(f"A row must be a JSON object of column: value, not {json_type(item)}.")
    if len(item) > MAX_COLUMNS:
        raise TooLarge(f"A row may have at most {MAX_COLUMNS:,} columns; send those the model reads.")
    missing = [c["name"] for c in info["columns"] if c["name"] not in item]
    if missing:
        shown = ", ".join(repr(m) for m in missing[:8])
        raise RequestError(
            f"A row lacks the column{'s' * (len(missing) > 1)} {shown}; send it (null if unknown)."
        )
    row = {}
    for name, value in item.items():
        if not isinstance(name, str) or len(name) > 200:
            raise RequestError("Column names must be strings of at most 200 characters.")
        if value is not None and not isinstance(value, (str, int, float, bool)):
            raise RequestError(f"The value of '{name[:50]}' must be a string, a number, true/false or null.")
        if isinstance(value, str) and len(value) > limits.max_text:
            raise TooLarge(f"The value of '{name[:50]}' is too long.")
        if isinstance(value, float) and not math.isfinite(value):
            raise RequestError(f"The value of '{name[:50]}' is not a finite number.")
        text = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        row[clean_text(name)] = clean_text(text)
    for column in info["columns"]:  # a number column takes numbers (or nothing)
        value = row[column["name"]]
        if column["type"] == "numeric" and value.strip().lower() not in MISSING:
            number = numbers(pd.Series([value], dtype=str))[0]  # read as the model reads it
            if not math.isfinite(number):
                raise RequestError(f"'{column['name'][:50]}' takes a finite number, not {value[:30]!r}.")
    return {c["name"]: row[c["name"]] for c in info["columns"]}  # a request costs rows x the model's columns
