"""--group-split: which group (speaker, patient, session) each example belongs to, read
before any work from a column of the table that lists the data or from the files' names,
so that the held-out parts are made of whole groups; and, with or without it, which
groups a split lets into both the training and the test data (recorded in the manifest,
said in the summary and as a warning)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data.examples import Examples
from ..data.groups import NamePattern, layout_groups, listed
from ..errors import DataError, DeepstartError
from ..log import say, warn
from ..report.text import groups_text
from ..settings import named

MAX_NAMES = 50  # group names kept in the manifest for each part
MAX_NAME = 100  # characters kept of each


@dataclass
class Grouping:
    """One group per example read (values), how they were found, and whether the split
    keeps each group on one side (split) or was only looked at (groups found in the names)."""

    word: str  # what a group is: "speaker"
    how: str  # where the groups come from, for people: "the column speaker"
    values: np.ndarray  # (N,) one group per example read, as text
    test: np.ndarray | None  # one group per example of separate test data, when known
    split: bool  # --group-split: the held-out parts are made of whole groups
    separate_test: bool  # the test data was given apart from the training data
    given: str | None = None  # --group-split as given (to split the same way again: export)

    def recorded(self, split) -> dict:
        """What the manifest keeps of the groups of the training and the test data (each
        group's name, up to MAX_NAMES of them), said as a warning when they share some."""
        record = {"by": self.word, "from": self.how, "split": self.split, "given": self.given}
        train = {_short(v) for v in self.values[split.train_positions]}
        record |= {"n_train": len(train), "train": sorted(train)[:MAX_NAMES]}
        test = self.test if self.separate_test else self.values
        if test is not None:
            held = {_short(v) for v in test[split.test_positions]}
            shared = sorted(train & held)
            record |= {"n_test": len(held), "test": sorted(held)[:MAX_NAMES]}
            record |= {
                "n_shared": len(shared),
                "shared": shared[:MAX_NAMES],
                "separate_test": self.separate_test,
            }
            if shared:
                warn(groups_text(record)[0])
        return record


def grouping(modality, examples: Examples, test: Examples | None, given: str | None, needed: int):
    """The Grouping of --group-split (given: a column or a way to read file names), refused
    with one line when it cannot split the data into `needed` parts of whole groups; else,
    when the files are named {label}_{group}_{n}, the groups found there; else None."""
    if given is None:
        return _from_layout(modality, examples, test)
    values, how, word = _read(modality, examples, given)
    found = set(values.tolist())
    if len(found) < needed:
        parts = "train, validate and test" if needed >= 3 else "train and hold some out"
        raise DataError(
            f"{named('group_split', given)}: {examples.origin} holds {len(found)} {word}"
            f"{'s' * (len(found) != 1)} ({listed(found)}); a split by {word} needs at least {needed} "
            f"(to {parts} on different {word}s): add {modality.noun} of more {word}s, or do without it."
        )
    test_values = None
    if test is not None:
        try:
            test_values = _read(modality, test, given)[0]
        except DeepstartError:  # the test data names no groups: nothing to compare
            pass
    say(
        f"Split by {word} ({len(found)} {word}s, from {how}): the held-out {modality.noun} are whole {word}s."
    )
    return Grouping(word, how, values, test_values, True, test is not None, given)


def split_groups(modality, examples: Examples, record: dict | None) -> np.ndarray | None:
    """One group per example, read as the model's --group-split read them (the manifest's
    data.groups), to split its data again as in training; None when it was not split so."""
    if not record or not record.get("split") or not record.get("given"):
        return None
    return _read(modality, examples, record["given"])[0]


def _read(modality, examples: Examples, given: str) -> tuple[np.ndarray, str, str]:
    """(one group per example, where they come from, what a group is called)."""
    columns = _columns(examples)
    if given in columns:
        values = modality.group_values(examples, given)
        empty = int(values.isna().sum() + (values.astype(str).str.strip() == "").sum())
        if empty:
            raise DataError(
                f"{named('group_split', given)}: {empty} rows of {examples.origin} name no {given} "
                "(empty cells); fill them in or leave those rows out."
            )
        return values.astype(str).str.strip().to_numpy(object), f"the column {given}", given
    files = examples.items if _are_files(examples.items) else None
    if files is None:
        raise DataError(
            f"--group-split {given} is not a column of {examples.origin} (columns: "
            f"{', '.join(map(str, columns)) or 'none'}); give the column that names each example's group."
        )
    pattern = NamePattern.parse(given)
    found = pattern.groups(files)
    missing = [f for f, g in zip(files, found) if g is None]
    if len(missing) == len(files):
        columns = f"is not a column of {examples.origin}, and " if examples.table is not None else ""
        raise DataError(
            f"--group-split {given}: {columns}no file name in {examples.origin} reads as {pattern.layout} "
            f"(e.g. '{Path(files[0]).name}'); give a pattern that fits the names, such as "
            f"'{{{pattern.word}}}_*', or a column of a table that lists the files."
        )
    if missing:
        warn(
            f"{len(missing)} file names in {examples.origin} do not read as {pattern.layout} (e.g. "
            f"'{Path(missing[0]).name}'): each of those files is taken as a {pattern.word} of its own."
        )
    return _filled(found, files), f"the file names, read as {pattern.layout}", pattern.word


def _from_layout(modality, examples: Examples, test: Examples | None) -> Grouping | None:
    """The groups of files named {label}_{group}_{n}, found without being asked for."""
    if not _are_files(examples.items) or not examples.labels:
        return None
    values = layout_groups(examples.items, examples.labels)
    test_values = None
    if test is not None and _are_files(test.items) and test.labels:
        test_values = layout_groups(test.items, test.labels, repeats=False)
    if values is None or (test is not None and test_values is None):
        return None
    word = modality.group_word
    how = f"the file names, read as {{label}}_{{{word}}}_{{n}}"
    test_values = _filled(test_values, test.items) if test is not None else None
    return Grouping(word, how, _filled(values, examples.items), test_values, False, test is not None)


def _filled(values, files: list) -> np.ndarray:
    """Groups, each file whose name names none taken as a group of its own."""
    return np.array([v if v is not None else str(f) for f, v in zip(files, values)], dtype=object)


def _columns(examples: Examples) -> list:
    table = examples.table if examples.table is not None else examples.items
    return list(getattr(table, "columns", []))


def _are_files(items) -> bool:
    return isinstance(items, list) and bool(items) and all(isinstance(item, Path) for item in items)


def _short(value) -> str:
    return str(value)[:MAX_NAME]
