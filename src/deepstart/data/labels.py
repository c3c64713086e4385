"""Which column of a table holds the labels, and labels given as values (a list or an
array beside the inputs): as strings, and whether they were whole numbers."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from ..settings import named
from .examples import Examples

LABEL_NAMES = ("label", "labels", "class", "target", "y", "category", "sentiment", "species")


def require_column(table: pd.DataFrame, column: str, origin: str, option: str) -> str:
    """The column, or one line naming the columns there are and the option (settings.CONTROLS)
    to choose another with."""
    if column not in table.columns:
        raise DataError(
            f"Column '{column}' is not in {origin} (columns: {', '.join(table.columns)}); choose one of "
            f"those with {named(option)}."
        )
    return column


def label_column(
    table: pd.DataFrame, origin: str, given: str | None, exclude: tuple, beside: str = "the texts"
) -> str:
    """The labels: --target, else the only other column, else the one named like labels."""
    if given is not None:
        return require_column(table, given, origin, "target")
    others = [c for c in table.columns if c not in exclude]
    if len(others) == 1:
        return others[0]
    labelled = [c for c in others if c.lower() in LABEL_NAMES]
    if len(labelled) == 1:
        return labelled[0]
    if not others:
        raise DataError(f"{origin} has no label column; add one (e.g. 'label') beside {beside}.")
    raise DataError(
        f"Cannot tell which column of {origin} holds the labels (columns: {', '.join(table.columns)}); "
        f"choose it with {named('target')}."
    )


def label_names(y, n: int, what: str) -> tuple[list[str], bool]:
    """Labels given as values, as strings, and whether they were integers."""
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


def whole_numbers(labels: list[str]) -> bool:
    """Labels written as whole numbers ("1", "-2"): predictions are given back as numbers."""
    return all(v.lstrip("-").isdigit() and v.isascii() for v in labels)


def parse_bins(text: str) -> list[tuple[str, float | None]]:
    """--bins "Young<30,Middle<50,Old": (name, upper bound) per group, the last unbounded."""
    how = 'give groups as "Young<30,Middle<50,Old": a name and the number it stays under, the last without'
    bins = []
    for part in str(text).split(","):
        name, _, bound = part.partition("<")
        try:
            bins.append((name.strip(), float(bound) if bound.strip() else None))
        except ValueError:
            raise ConfigError(f"--bins: {part.strip()!r} has no number after '<'; {how}.") from None
    names, bounds = [n for n, _ in bins], [b for _, b in bins[:-1]]
    if len(bins) < 2 or not all(names) or len(set(names)) < len(names):
        raise ConfigError(f"--bins needs two or more groups with distinct names; {how}.")
    if None in bounds or bins[-1][1] is not None or bounds != sorted(set(bounds)):
        raise ConfigError(f"--bins: each group's number must be larger than the one before; {how}.")
    return bins


def to_bins(labels: list[str], text: str, origin: str) -> list[str]:
    """Numbers (ages, prices) as the names of the --bins groups they fall in."""
    bins = parse_bins(text)
    values = pd.to_numeric(pd.Series(labels, dtype=str).str.strip(), errors="coerce")
    if values.isna().any():
        bad = labels[int(values.isna().to_numpy().argmax())]
        raise DataError(f"--bins groups numbers, but {origin} has the label {str(bad)[:30]!r}; give numbers.")
    return [next(n for n, upper in bins if upper is None or v < upper) for v in values]


def binned(examples: Examples | None, bins: str | None) -> Examples | None:
    """Examples whose numbers (ages, prices) are replaced by the names of their --bins groups."""
    if examples is None or bins is None:
        return examples
    labels = to_bins(examples.labels, bins, examples.origin)
    columns = (examples.columns or {}) | {"bins": bins}
    return replace(examples, labels=labels, task="classification", integer_labels=False, columns=columns)
