"""What every modality reads data into (Examples) and encodes it to (Encoded): plain
containers, the same for images, texts, tables and sequences."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass
class Examples:
    """Inputs of one modality, with their labels when known."""

    kind: str  # the modality's name: "image" | "text" | "table" | "sequence"
    items: list[Path] | np.ndarray | list[str] | pd.DataFrame  # files, images, texts, table rows, sequences
    labels: list[str] | None
    origin: str  # how to name the source in messages
    integer_labels: bool = False  # labels were given as integers: predictions are integers too
    columns: dict | None = None  # for tables: {"text": column, "target": column, "steps": [...]}
    task: str = "classification"  # or "regression" (numbers to predict, tables only)
    names: list[str] | None = None  # how to name each input in predictions (rows of tables)
    table: pd.DataFrame | None = None  # images or texts listed in a table: its rows, one per input


@dataclass
class Encoded:
    """Arrays for the inputs that could be read, and why the others could not."""

    features: np.ndarray  # (N_ok, ...) float32 features, uint8 pixels (N_ok, C, H, W) or token ids
    kept: list[int]  # positions of the N_ok inputs in the input list
    hashes: list[str]  # content hash (sha256) of each kept input
    skipped: list[tuple[str, str]]  # (input, reason)
