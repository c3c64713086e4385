"""Sequences to learn from and to predict on: each example a sequence of numbers (a
sensor trace, a heartbeat), given as a 2-D array (N, length), a 3-D array (N, channels,
length), or a table whose columns (all numbers) are the time steps, or whose one column
holds the numbers separated by spaces."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...data.columns import is_missing, labelled_rows, numbers
from ...data.examples import Examples
from ...data.labels import label_names, whole_numbers
from ...data.tables import rows_of
from ...errors import DataError
from ...log import say
from ..given import Given


def read_labeled(given: Given) -> Examples:
    if given.form == "arrays":
        if given.y is None:
            raise DataError("Sequences given as an array need their labels: call fit(X, y).")
        x = sequence_array(given.source)
        names, integer = label_names(given.y, len(x), "sequence")
        return Examples("sequence", x, names, f"an array of {len(x)} sequences", integer_labels=integer)
    target = given.target or given.columns.get("target")
    rows, labels, label_col, _ = labelled_rows(given.table, given.origin, target, given.task)
    steps = given.columns.get("steps") or list(rows.columns)
    x = table_sequences(rows, given.origin, steps)
    columns = {"target": label_col, "steps": steps}
    return Examples("sequence", x, labels, given.origin, whole_numbers(labels), columns)


def read_unlabeled(inputs, columns: dict) -> Examples:
    """An array of sequences, or tables of them (in the columns the model was trained on)."""
    if isinstance(inputs, np.ndarray):
        return Examples("sequence", sequence_array(inputs), None, f"an array of {len(inputs)} sequences")
    table, origin, names = rows_of(inputs)
    return Examples(
        "sequence", table_sequences(table, origin, columns.get("steps")), None, origin, names=names
    )


def sequence_array(x, what: str = "sequences") -> np.ndarray:
    """(N, length) or (N, channels, length) numbers as float32 (N, channels, length);
    missing values inside a sequence are filled by linear interpolation."""
    x = np.asarray(x, dtype=np.float64) if not isinstance(x, np.ndarray) else x.astype(np.float64)
    if x.ndim == 2:
        x = x[:, None, :]
    if x.ndim != 3 or x.shape[2] < 4 or len(x) == 0:
        raise DataError(
            f"Expected {what} as an array (N, length) or (N, channels, length) of at least 4 steps; "
            f"received shape {x.shape}."
        )
    if np.isinf(x).any():
        raise DataError(f"The {what} hold infinite values; replace them with numbers.")
    missing = np.isnan(x)
    if missing.all(axis=2).any():
        row = int(np.flatnonzero(missing.all(axis=2).any(axis=1))[0])
        raise DataError(f"Sequence {row + 1} holds no numbers at all; remove it.")
    if missing.any():
        flat = pd.DataFrame(x.reshape(-1, x.shape[2])).interpolate(axis=1, limit_direction="both")
        x = flat.to_numpy().reshape(x.shape)
        say(f"  {int(missing.sum())} missing values inside sequences were filled by linear interpolation.")
    return x.astype(np.float32)


def table_sequences(table: pd.DataFrame, origin: str, columns: list[str] | None = None) -> np.ndarray:
    """The sequences in a table of strings: one column of space- or comma-separated
    numbers, or every column a time step (columns: the ones a model was trained on)."""
    columns = columns or list(table.columns)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataError(
            f"{origin} lacks the column{'s' * (len(missing) > 1)} {', '.join(map(repr, missing[:5]))} that "
            "the model was trained on; give the same columns as in training."
        )
    single = len(columns) == 1
    if single:
        cells = table[columns[0]].str.replace(",", " ").str.split()
        lengths = cells.map(len)
        if lengths.nunique() != 1:
            raise DataError(
                f"The sequences in column '{columns[0]}' of {origin} have different lengths "
                f"({lengths.min()} to {lengths.max()} numbers); give them all the same length."
            )
        values = pd.DataFrame(cells.tolist()).fillna("")
    else:
        values = table[columns]
    parsed = values.apply(lambda column: numbers(column.astype(str)))
    words = parsed.isna() & ~values.astype(str).apply(is_missing)
    if words.any().any():
        row, step = np.argwhere(words.to_numpy())[0]
        where = f"column '{columns[0]}'" if single else f"column '{values.columns[step]}'"
        raise DataError(
            f"Row {row + 1} of {origin} holds {str(values.iat[row, step])[:20]!r} in {where}, but a sequence "
            "holds numbers only; give numbers (or leave a step empty)."
        )
    if parsed.shape[1] < 4:
        raise DataError(f"The sequences in {origin} have {parsed.shape[1]} steps; give at least 4.")
    return sequence_array(parsed.to_numpy(np.float64), f"sequences of {origin}")
