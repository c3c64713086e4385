"""What each column of a table holds, and what the target asks for: the types a
tabular model learns from (numbers, categories, yes/no, dates), the columns it must
not learn from (IDs, free text, constants, empty columns), and the task (binary,
multi-class or regression). Read from the training table only."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from ..errors import DataError
from ..settings import named
from .labels import label_column

MISSING = {"", "na", "n/a", "nan", "null", "none", "?", "-", "--", "#n/a"}  # lower-cased
TRUE, FALSE = {"true", "yes", "y", "t"}, {"false", "no", "n", "f"}
# A name that says "identifier": id, user_id, uuid, key, id_1 (any case), PassengerId, customerID
# (a capital after a small letter); not humid, paid, valid or PID, whose endings only look alike.
ID_NAME = re.compile(r"(?i:(^|_|\s)(id|uuid|guid|key)$|^id_)|(?<=[a-z])(Id|ID)$")
ID_SHARE = 0.95  # an ID has a different value in at least this share of rows
MAX_CLASSES_SHARE = 0.5  # a text target with more distinct values than this share of rows is not classes
MAX_INT_CLASSES = 20  # integer targets with at most this many values are classes


def is_missing(values: pd.Series) -> pd.Series:
    return values.str.strip().str.lower().isin(MISSING)


def numbers(values: pd.Series) -> pd.Series:
    """Cells as floats; NaN where missing or not a number (infinities kept)."""
    cleaned = values.str.strip().where(~is_missing(values))
    return pd.to_numeric(cleaned, errors="coerce")


def column_types(table: pd.DataFrame, origin: str) -> tuple[dict[str, str], list[str]]:
    """({column: "numeric" | "boolean" | "datetime" | "categorical"} for the columns to
    learn from, notices naming each column left out and why). Cells are strings."""
    types, left_out = {}, []
    for column in table.columns:
        kind, why = _column_type(table[column], column, origin)
        if why:
            left_out.append(f"'{column}' ({why})")
        else:
            types[column] = kind
    return types, left_out


def _column_type(values: pd.Series, column: str, origin: str) -> tuple[str, str]:
    present = values[~is_missing(values)].str.strip()
    if present.empty:
        return "", "empty"
    distinct = present.nunique()
    if distinct == 1:
        return "", f"always '{present.iloc[0][:20]}'"
    parsed = pd.to_numeric(present, errors="coerce")
    share = parsed.notna().mean()
    if share == 1.0:
        whole = np.isfinite(parsed).all() and (parsed % 1 == 0).all()
        if whole and _identifies(parsed, column):
            return "", "an ID: a different whole number in every row"
        return "numeric", ""
    separated = pd.to_numeric(
        present.str.replace(r"(?<=\d)[,' _](?=\d{3}\b)", "", regex=True), errors="coerce"
    )
    if separated.notna().mean() >= 0.9 and share < 0.9:
        example = present[parsed.isna() & separated.notna()].iloc[0]
        raise DataError(
            f"Column '{column}' of {origin} writes numbers with thousands separators (e.g. {example!r}); "
            "write them plainly (12345.6), or read the file with the separators removed."
        )
    if share >= 0.5:
        words = present[parsed.isna()].unique()[:3]
        raise DataError(
            f"Column '{column}' of {origin} holds numbers but also {len(present) - parsed.notna().sum()} "
            f"cells that are not ({', '.join(repr(w[:20]) for w in words)}); make them numbers or leave "
            "them empty."
        )
    lowered = set(present.str.lower().unique())
    if distinct == 2 and lowered <= TRUE | FALSE:
        return "boolean", ""
    if looks_like_dates(present) and parse_dates(present) is not None:
        return "datetime", ""
    if ID_NAME.search(column) and distinct >= 0.9 * len(present):
        return "", "an ID: a different value in almost every row"
    if distinct >= 0.5 * len(present) and distinct > 20:
        spaces = present.str.contains(" ").mean()
        why = f"free text, for a text model: {named('task', 'text')}" if spaces >= 0.5 else "an ID or name"
        return "", f"{why}, {distinct:,} different values in {len(present):,} rows"
    return "categorical", ""


def _identifies(parsed: pd.Series, column: str) -> bool:
    """Whole numbers that name rows rather than measure them: nearly all different, and
    either named like an ID or counting the rows (1, 2, 3, ... in any order). Judged by
    the values: a 7-valued PID or a humid of 60 values is a feature, whatever its name."""
    n = len(parsed)
    distinct = parsed.nunique() >= ID_SHARE * n and n >= 10
    return distinct and (bool(ID_NAME.search(column)) or _counts_rows(parsed))


def _counts_rows(parsed: pd.Series) -> bool:
    """Whole numbers, each different, that count the rows (1, 2, 3, ... in any order)."""
    n = len(parsed)
    return n >= 20 and parsed.nunique() == n and parsed.max() - parsed.min() < 2 * n


def looks_like_dates(values: pd.Series) -> bool:
    """Nine in ten cells hold digits and a date separator, so '3' or 'red' never read as dates."""
    looks = values.str.contains(r"\d") & values.str.contains(r"[-/:.]") & (values.str.len() >= 6)
    return bool(looks.mean() >= 0.9)


def parse_dates(values: pd.Series) -> pd.Series | None:
    """Cells as timestamps (NaT where missing), with one format for the whole column:
    month first (01/02/2021 is 2 January) unless only day first reads every cell. A time
    zone is dropped: the local time written is kept, so a daily series stays daily
    across daylight saving. None when no single format reads every cell."""
    cells = _without_zone(values.str.strip().where(~is_missing(values)))
    for dayfirst in (False, True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "could not infer format"
            try:
                return pd.to_datetime(cells, dayfirst=dayfirst)
            except (ValueError, TypeError, OverflowError):
                continue
    return None


def _without_zone(cells: pd.Series) -> pd.Series:
    return cells.str.replace(r"(Z|[+-]\d\d:?\d\d)$", "", regex=True)


def boolean_values(values: pd.Series) -> pd.Series:
    lowered = values.str.strip().str.lower()
    return lowered.map(lambda v: 1.0 if v in TRUE else 0.0 if v in FALSE else np.nan)


def date_parts(values: pd.Series) -> dict[str, pd.Series]:
    """A date column expanded into numbers a model can use."""
    stamps = parse_dates(values)
    if stamps is None:  # a cell in another format: read cell by cell, the rest as missing
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stamps = pd.to_datetime(_without_zone(values.str.strip()), errors="coerce", format="mixed")
    parts = {
        "year": stamps.dt.year,
        "month": stamps.dt.month,
        "day": stamps.dt.day,
        "weekday": stamps.dt.day_of_week,
    }
    if (stamps.dt.hour.fillna(0) != 0).any():
        parts["hour"] = stamps.dt.hour
    return {k: v.astype(float) for k, v in parts.items()}


def detect_task(labels: pd.Series, column: str, origin: str, forced: str | None = None) -> str:
    """ "classification" or "regression", from the target's values (strings, none
    missing): numbers that are fractions, or many different whole numbers, are a
    quantity to predict; anything else names classes. forced: the task asked for."""
    parsed = pd.to_numeric(labels.str.strip(), errors="coerce")
    numeric = parsed.notna().all()
    if forced == "regression" or (forced is None and numeric):
        if not numeric:
            bad = labels[parsed.isna()].iloc[0]
            raise DataError(
                f"The target '{column}' of {origin} must hold numbers for regression, but holds text "
                f"(e.g. {bad[:30]!r}); write the numbers plainly (1200.50, not '$1,200.50')."
            )
        if not np.isfinite(parsed).all():
            raise DataError(
                f"The target '{column}' of {origin} holds infinite values; replace them with numbers."
            )
        if parsed.nunique() == 1:
            raise DataError(
                f"The target '{column}' of {origin} is always {labels.iloc[0]}: there is nothing to "
                f"predict; choose another with {named('target')}."
            )
        whole = (parsed % 1 == 0).all()
        if forced == "regression" or not whole or parsed.nunique() > MAX_INT_CLASSES:
            return "regression"
    distinct = labels.nunique()
    if forced == "classification" and numeric and not (parsed % 1 == 0).all() and distinct > MAX_INT_CLASSES:
        raise DataError(
            f"The target '{column}' of {origin} holds {distinct:,} different fractional numbers, a quantity "
            f"rather than classes; read it as numbers instead ({named('task', 'regression')})."
        )
    if forced is None and distinct > MAX_CLASSES_SHARE * len(labels) and distinct > MAX_INT_CLASSES:
        raise DataError(
            f"The target '{column}' of {origin} has {distinct:,} different values in {len(labels):,} rows, "
            "too many to be classes; for regression it must hold plain numbers, else choose another with "
            f"{named('target')}."
        )
    return "classification"


def labelled_rows(table: pd.DataFrame, origin: str, target: str | None, forced: str | None = None):
    """(the other columns, target values as strings, the target column, the task) of a
    table whose rows are the examples; rows without a target are refused."""
    if table.empty:
        raise DataError(f"{origin} has no rows; give one example per row, with its target value.")
    column = label_column(table, origin, target, exclude=(), beside="the other columns")
    labels = table[column].str.strip()
    missing = [i + 1 for i, gone in enumerate(is_missing(labels)) if gone]
    if missing:
        raise DataError(
            f"{len(missing)} rows of {origin} have no value in the target '{column}' (row "
            f"{', '.join(map(str, missing[:5]))}); fill them in or remove those rows."
        )
    if table.shape[1] < 2:
        raise DataError(f"{origin} has only the target column '{column}'; add columns to learn from.")
    task = detect_task(labels, column, origin, forced)
    return table.drop(columns=[column]), list(labels), column, task
