"""What the user points at (a path, a table, arrays, texts), and the options that say
how to read it: the question every modality's recognizes() answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.images import IMAGE_EXTENSIONS, file_column
from ..data.tables import as_text_table, is_table_file, read_table
from ..errors import DataError


@dataclass
class Given:
    """What the user points at, and the options that say how to read it."""

    source: object  # a path, a DataFrame, an array, a list of texts
    y: object = None  # labels given beside the inputs (the Python API)
    target: str | None = None  # --target
    images: str | Path | None = None  # --images
    text: str | None = None  # --text
    kind: str | None = None  # the modality the data must be (a model's), or None to detect it
    columns: dict = field(default_factory=dict)  # the columns a model was trained on
    task: str | None = None  # "regression" or "classification" when asked for
    series: dict = field(default_factory=dict)  # how a series is read: {"time", "id", "horizon", "season"}

    @cached_property
    def form(self) -> str:
        """ "frame" (a DataFrame), "texts" (strings with labels), "arrays" (an array, or
        values with labels), "folder" or "table" (a table file)."""
        if isinstance(self.source, pd.DataFrame):
            return "frame"
        if self.y is not None and _is_texts(self.source):
            return "texts"
        if isinstance(self.source, np.ndarray) or self.y is not None:
            return "arrays"
        path = Path(self.source)
        if not path.exists():
            raise DataError(f"{path} does not exist; give a folder of class subfolders or a table (CSV).")
        if path.is_dir():
            return "folder"
        if is_table_file(path):
            return "table"
        raise DataError(
            f"{path} is neither a folder nor a table (CSV, TSV, Parquet, JSON Lines); give a folder with "
            "one subfolder per class, or a table of examples and labels."
        )

    @property
    def tabular(self) -> bool:
        return self.form in ("frame", "table")

    @cached_property
    def table(self) -> pd.DataFrame:
        """The table, every cell a string (read once)."""
        return as_text_table(self.source) if self.form == "frame" else read_table(Path(self.source))

    @cached_property
    def image_column(self) -> str | None:
        """A column of a table file that lists image files (unless texts are asked for)."""
        return self.file_column(IMAGE_EXTENSIONS)

    def file_column(self, suffixes) -> str | None:
        """A column of a table file that lists files ending in one of suffixes (images,
        sound files), unless texts are asked for."""
        if self.form != "table" or self.kind == "text" or self.text is not None:
            return None
        return file_column(self.table, suffixes)

    @property
    def origin(self) -> str:
        return "the DataFrame" if self.form == "frame" else str(self.source)

    @property
    def ndim(self) -> int | None:
        try:
            return np.ndim(self.source)
        except ValueError:  # a ragged list (of images of different sizes)
            return None


def _is_texts(source) -> bool:
    values = source.tolist() if isinstance(source, (np.ndarray, pd.Series)) else source
    return isinstance(values, (list, tuple)) and len(values) > 0 and all(isinstance(v, str) for v in values)
