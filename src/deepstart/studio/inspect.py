"""What the studio shows of a project's data before anything trains: the kind of data
and why, the column to predict (and the others it could be), the classes and their
counts (imbalance flagged), samples (thumbnails or rows), column types, files that
will be skipped and why, and copies of one file filed under two classes. Nothing a table
lists is read from outside the project's data folder; what reading it warned of is kept
as notes for the page."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from ..data.confine import data_folder
from ..data.tables import is_table_file, read_table
from ..errors import DataError
from ..log import logger
from ..modalities import REGISTRY, read_labeled
from ..modalities.series.read import read_series_from

IMBALANCE = 3.0  # the largest class over the smallest: flagged from here
SAMPLES = 4  # rows of a table shown


def describe(source: Path, data_dir: Path, options: dict, max_pixels: int) -> dict:
    """The summary of the data at source (inside data_dir), as read with the options
    chosen in the page (target, task, time, horizon, id); "problem" says what stops
    training, in plain words, with the choices that could fix it; "notes", what else
    reading it warned of (files skipped, and why)."""
    with data_folder(data_dir), noted() as notes:
        found = _describe(source, data_dir, options, max_pixels)
    return found | {"notes": notes}


def _describe(source: Path, data_dir: Path, options: dict, max_pixels: int) -> dict:
    found = {"source": source.relative_to(data_dir).as_posix() or ".", "options": options}
    if source.is_file() and is_table_file(source):
        table = read_table(source)
        found["columns"] = list(table.columns)
        found["rows"] = len(table)
        found["sample_rows"] = table.head(SAMPLES).to_dict("records")
    try:
        if options.get("task") == "timeseries":
            return found | _series(source, options)
        examples = read_labeled(source, target=options.get("target") or None)
    except DataError as e:
        return found | {"problem": str(e)}
    modality = REGISTRY[examples.kind]
    found |= {"kind": examples.kind, "noun": modality.noun, "task": examples.task, "n": len(examples.items)}
    found["target"] = (examples.columns or {}).get("target")
    found["text_column"] = (examples.columns or {}).get("text")
    found |= _targets(examples.labels, examples.task)
    return found | modality.describe(examples, data_dir, max_pixels)


class _Notes(logging.Handler):
    """deepstart's warnings while this thread reads the data."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.thread, self.said = threading.get_ident(), []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.said.append(record.getMessage())


@contextmanager
def noted():
    """The warnings said meanwhile on this thread, as a list of messages."""
    handler = _Notes()
    logger.addHandler(handler)
    try:
        yield handler.said
    finally:
        logger.removeHandler(handler)


def _targets(labels: list[str], task: str) -> dict:
    if task == "regression":
        values = pd.to_numeric(pd.Series(labels), errors="coerce")
        return {
            "numbers": {"min": float(values.min()), "max": float(values.max()), "mean": float(values.mean())}
        }
    counts = Counter(labels).most_common()
    found = {"classes": [{"name": name, "count": n} for name, n in sorted(counts)]}
    largest, smallest = counts[0][1], counts[-1][1]
    if len(counts) > 1 and largest >= IMBALANCE * smallest:
        found["imbalance"] = (
            f"'{counts[0][0]}' has {largest / smallest:.0f} times as many examples as '{counts[-1][0]}' "
            f"({largest} against {smallest}): accuracy can hide poor results on the small class."
        )
    return found


def _series(source: Path, options: dict) -> dict:
    series = read_series_from(
        source, options.get("target") or None, options.get("time") or None, options.get("id") or None
    )
    return {
        "kind": "series",
        "noun": "series",
        "task": "forecasting",
        "target": series.columns["target"],
        "n_series": len(series.ids),
        "n": int(sum(len(v) for v in series.values)),
        "time_column": series.columns["time"],
    }
