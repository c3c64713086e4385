"""What the studio shows of a project's data before anything trains: the kind of data
and why, the column to predict (and the others it could be), the classes and their
counts (imbalance flagged), samples (thumbnails or rows), column types, files that
will be skipped and why, and copies of one file filed under two classes. Nothing a table
lists is read from outside the project's data folder; what reading it warned of is kept
as notes for the page."""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from pathlib import Path

from ..data.confine import data_folder
from ..data.groups import layout_groups
from ..data.tables import is_table_file, read_table
from ..errors import DataError
from ..log import logger
from ..modalities import REGISTRY
from ..pipeline.plan import Plan
from ..settings import TASK_WORDS, speaking_to

SAMPLES = 4  # rows of a table shown
MIN_GROUPS = 3  # groups needed to train, validate and test on different ones


def describe(source: Path, data_dir: Path, options: dict, max_pixels: int) -> dict:
    """The summary of the data at source (inside data_dir), as read with the options
    chosen in the page (target, task, time, horizon, id); "problem" says what stops
    training, in plain words, with the choices that could fix it; "notes", what else
    reading it warned of (files skipped, and why)."""
    with data_folder(data_dir), noted() as notes, speaking_to("page"):  # options as the page names them
        found = _describe(source, data_dir, options, max_pixels)
    return found | {"notes": notes}


def _describe(source: Path, data_dir: Path, options: dict, max_pixels: int) -> dict:
    found = {"source": source.relative_to(data_dir).as_posix() or ".", "options": options}
    if source.is_file() and is_table_file(source):
        table = read_table(source)
        found["columns"] = list(table.columns)
        found["rows"] = len(table)
        found["sample_rows"] = table.head(SAMPLES).to_dict("records")
        found["tasks"] = [{"value": task, "label": words} for task, words in TASK_WORDS.items()]
    plan = Plan(
        source,
        target=options.get("target") or None,
        task=options.get("task") or "auto",
        time=options.get("time") or None,
        id=options.get("id") or None,
        horizon=options.get("horizon") or None,
    )
    try:
        modality = plan.modality()
        found |= modality.summarize(plan.given, data_dir, max_pixels)
    except DataError as e:  # what can still be done: photos taken into a folder's classes
        capture = source.is_dir() and any(REGISTRY[name].captures for name in REGISTRY)
        return found | {
            "problem": str(e),
            "choices": {"fine_tune": False, "compare": False, "capture": capture},
        }
    if "n" in found and "count" not in found:  # "72 images"; a series says its own
        found["count"] = f"{found['n']:,} {found['noun']}"
    return found | _groups(modality, plan, source)


def _groups(modality, plan: Plan, source: Path) -> dict:
    """{"groups": {"word", "n", "names", "label"}} where files are named {label}_{group}_{n}
    after at least MIN_GROUPS groups (speakers), so that a run can test on groups it never
    trained on (--group-split); else nothing."""
    if not source.is_dir():
        return {}
    examples = modality.read_labeled(plan.given)
    if not isinstance(examples.items, list) or not examples.labels:
        return {}
    values = layout_groups(examples.items, examples.labels)
    names = sorted({v for v in values if v}) if values is not None else []
    if len(names) < MIN_GROUPS:
        return {}
    word = modality.group_word
    label = f"Test on {word}s it has never heard"  # as messages name the box (settings.CONTROLS)
    note = f"{len(names)} {word}s in the file names: {', '.join(names[:5])}{', …' if len(names) > 5 else ''}"
    return {"groups": {"word": word, "n": len(names), "names": names[:50], "label": label, "note": note}}


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
