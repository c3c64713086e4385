"""Sequences -> numbers a 1-D CNN reads: standardised per channel with the training
rows' mean and spread."""

from __future__ import annotations

import hashlib

import numpy as np

from ...data.examples import Encoded
from ...errors import DataError
from ..recipe import Encoder


class SequenceEncoder(Encoder):
    """(N, channels, length) numbers -> the same, standardised per channel with the
    mean and standard deviation of the training rows."""

    kind = "sequence"
    name = "sequence"
    learns = True

    def __init__(self, channels: int, length: int, columns=None, mean=None, std=None):
        self.channels, self.length, self.columns = channels, length, columns
        self.mean, self.std = mean, std

    def fit(self, x: np.ndarray) -> SequenceEncoder:
        self.mean = x.mean(axis=(0, 2)).astype(np.float64).tolist()
        self.std = [float(s) or 1.0 for s in x.std(axis=(0, 2))]
        return self

    def network_inputs(self) -> dict:
        return {"channels": self.channels}

    def encode(self, x: np.ndarray, desc: str = "", new_data: bool = False) -> Encoded:
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
    def from_spec(cls, spec: dict, settings=None) -> SequenceEncoder:
        channels, length = int(spec["channels"]), int(spec["length"])
        mean, std = [float(v) for v in spec["mean"]], [float(v) for v in spec["std"]]
        columns = None if spec.get("columns") is None else [str(c) for c in spec["columns"]]
        if len(mean) != channels or len(std) != channels or min(std) <= 0:
            raise ValueError("sequence statistics that do not match the channels")
        return cls(channels, length, columns, mean, std)
