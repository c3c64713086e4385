"""Sequence classification: each example a sequence of numbers (a sensor trace, a
heartbeat), given as a 2-D array (N, length), a 3-D array (N, channels, length), or a
table whose columns (all numbers) are the time steps, or whose one column holds the
numbers separated by spaces. A 1-D CNN reads them, standardised per channel with the
training rows' mean and spread."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from .data.columns import is_missing, numbers
from .encoders import Encoded
from .errors import DataError
from .log import say


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


class SequenceEncoder:
    """(N, channels, length) numbers -> the same, standardised per channel with the
    mean and standard deviation of the training rows."""

    kind = "sequence"
    name = "sequence"
    cached = False

    def __init__(self, channels: int, length: int, columns=None, mean=None, std=None):
        self.channels, self.length, self.columns = channels, length, columns
        self.mean, self.std = mean, std

    def fit(self, x: np.ndarray) -> SequenceEncoder:
        self.mean = x.mean(axis=(0, 2)).astype(np.float64).tolist()
        self.std = [float(s) or 1.0 for s in x.std(axis=(0, 2))]
        return self

    def encode(self, x: np.ndarray, desc: str = "") -> Encoded:
        if x.shape[1:] != (self.channels, self.length):
            raise DataError(
                f"The model reads sequences of {self.channels} channel(s) x {self.length} steps; received "
                f"{x.shape[1]} x {x.shape[2]}."
            )
        mean = np.array(self.mean, np.float32)[None, :, None]
        std = np.array(self.std, np.float32)[None, :, None]
        hashes = [hashlib.sha256(row.tobytes()).hexdigest() for row in x]
        return Encoded(((x - mean) / std).astype(np.float32), list(range(len(x))), hashes, [])

    @property
    def design_width(self) -> int:
        return self.channels * self.length

    @staticmethod
    def design(x: np.ndarray) -> np.ndarray:
        """Flattened, for the classical models beside the CNN."""
        return x.reshape(len(x), -1)

    def spec(self) -> dict:
        return {
            "kind": self.kind,
            "name": self.name,
            "channels": self.channels,
            "length": self.length,
            "columns": self.columns,
            "mean": self.mean,
            "std": self.std,
        }

    @classmethod
    def from_spec(cls, spec: dict) -> SequenceEncoder:
        channels, length = int(spec["channels"]), int(spec["length"])
        mean, std = [float(v) for v in spec["mean"]], [float(v) for v in spec["std"]]
        columns = None if spec.get("columns") is None else [str(c) for c in spec["columns"]]
        if len(mean) != channels or len(std) != channels or min(std) <= 0:
            raise ValueError("sequence statistics that do not match the channels")
        return cls(channels, length, columns, mean, std)
