"""Preparing data for training: separate test or validation data read like the
training data, the targets learned (classes, or numbers for regression), the examples
encoded and split three ways (an encoder that learns, as a table's does, learns from
the training rows only); and what a checkpoint must match to be resumed."""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..data.examples import Examples
from ..data.split import (
    Split,
    check_class_sizes,
    fingerprint,
    grouped_split,
    sorted_classes,
    stratified_split,
)
from ..errors import DataError
from ..evaluate import classification_metrics, regression_metrics
from ..log import say, warn
from ..modalities import REGISTRY, read_labeled
from ..settings import Settings


@dataclass
class Targets:
    """What a model predicts: classes (sorted), or numbers (regression: no classes)."""

    task: str  # "classification" | "regression"
    classes: list[str]

    @property
    def regression(self) -> bool:
        return self.task == "regression"

    @property
    def n_outputs(self) -> int:
        return 1 if self.regression else len(self.classes)

    def of(self, names: list[str], origin: str) -> np.ndarray:
        """Class indices, or for regression the numbers themselves."""
        if self.regression:
            values = pd.to_numeric(pd.Series(names, dtype=str), errors="coerce").to_numpy(np.float64)
            if not np.isfinite(values).all():
                bad = names[int(np.flatnonzero(~np.isfinite(values))[0])]
                raise DataError(f"{origin} has a target that is not a number ({bad[:30]!r}); give numbers.")
            return values
        index = {c: k for k, c in enumerate(self.classes)}
        unknown = sorted(set(names) - set(index))
        if unknown:
            raise DataError(
                f"{origin} has labels the model was not trained on ({', '.join(unknown[:5])}); "
                f"it knows: {', '.join(self.classes)}."
            )
        return np.array([index[n] for n in names], dtype=np.int64)

    def score(self, y: np.ndarray, out: np.ndarray) -> dict:
        """Metrics of outputs (probabilities, or numbers) against targets."""
        if self.regression:
            return regression_metrics(y, out)
        return classification_metrics(y, out.argmax(1), self.classes)


@dataclass
class Part:
    """Encoded examples: arrays, labels, content hashes, what was skipped, the raw inputs."""

    x: np.ndarray
    names: list[str] | None
    hashes: list[str]
    skipped: list[tuple[str, str]]
    raw: list
    kept: list[int]  # positions of these examples among the inputs read


def encode(encoder, examples: Examples, desc: str, new_data: bool = False, settings=None) -> Part:
    """The examples through the encoder, saying which were skipped and why; refused
    when none is usable. With settings.cluster, files and texts are encoded on the cluster."""
    modality = REGISTRY[examples.kind]
    encoded = encode_items(encoder, examples.items, desc, new_data, settings)
    encoded.skipped = [(modality.skipped_in(examples.origin, item), why) for item, why in encoded.skipped]
    for file, reason in encoded.skipped[:10]:
        say(f"  skipped {file}: {reason}")
    if len(encoded.skipped) > 10:
        say(f"  ... and {len(encoded.skipped) - 10} more skipped")
    if not encoded.kept:
        raise DataError(
            f"None of the {len(examples.items)} inputs in {examples.origin} is {modality.usable}."
        )
    labels = [examples.labels[i] for i in encoded.kept] if examples.labels else None
    return Part(
        encoded.features,
        labels,
        encoded.hashes,
        encoded.skipped,
        modality.raw(examples, encoded.kept),
        encoded.kept,
    )


_REUSED: ContextVar[tuple[dict, list] | None] = ContextVar("deepstart_reused_encodings", default=None)


def encoding_key(encoder, items) -> str | None:
    """What names one encoding of inputs: the encoder's spec and the inputs themselves
    (None where it cannot be reused: an encoder that learns from the data, or inputs that
    are not a list of files or texts)."""
    if encoder.learns or not isinstance(items, (list, tuple)):
        return None
    digest = hashlib.sha256(json.dumps(encoder.spec(), sort_keys=True, default=str).encode())
    for item in items:
        digest.update(str(item).encode() + b"\0")
    return digest.hexdigest()


@contextmanager
def reusing(encodings: dict):
    """Encodings computed once ({encoding_key: Encoded}; `tune --cluster` computes them on
    its driver) used instead of encoding the same inputs again, for the time being. Yields
    the keys reused."""
    used: list[str] = []
    token = _REUSED.set((encodings, used))
    try:
        yield used
    finally:
        _REUSED.reset(token)


def encode_items(encoder, items, desc: str, new_data: bool = False, settings=None):
    """encoder.encode(items), or the same computed by Ray Data on the cluster (--cluster),
    or computed before (reusing)."""
    given = _REUSED.get()
    if given is not None and (key := encoding_key(encoder, items)) in given[0]:
        found = given[0][key]
        given[1].append(key)  # a copy: encode() rewrites its list of skipped inputs
        return replace(found, kept=list(found.kept), hashes=list(found.hashes), skipped=list(found.skipped))
    if settings is not None and settings.cluster:
        from ..cluster.features import can_encode, encode_on_cluster

        if can_encode(encoder, items):
            return encode_on_cluster(encoder, items, desc, settings)
    return encoder.encode(items, desc, new_data=new_data)


def prepare(examples: Examples, test: Examples | None, val: Examples | None, encoder, settings, by=None):
    """(the targets, the examples encoded and split: train / validation / test). Separate
    test or validation data is used as given; otherwise it is held out, stratified, and
    made of whole groups when by (a pipeline.groups.Grouping that splits) says each
    example's group: its speaker, its patient."""
    modality = REGISTRY[examples.kind]
    groups, word = (by.values, by.word) if by is not None else (None, "group")
    if encoder.learns:  # learn from the training rows only: split first, then fit
        targets = learn_targets(examples.task, examples.labels, test, val, modality.noun)
        y = targets.of(examples.labels, examples.origin)
        rows = split_rows(y, targets.regression, settings, test, val, groups, word)
        encoder.fit(modality.take(examples, modality.raw(examples, list(rows["train"]))).items)
    data = encode(encoder, examples, "Reading the training data", settings=settings)
    targets = learn_targets(examples.task, data.names, test, val, modality.noun)
    labels = targets.of(data.names, examples.origin)
    kept_groups = None if groups is None else groups[data.kept]
    rows, parts = split_rows(labels, targets.regression, settings, test, val, kept_groups, word), {}
    for name, given in (("test", test), ("val", val)):
        if given is None:
            idx = rows[name]
            parts[name] = Part(
                data.x[idx],
                labels[idx],
                [data.hashes[i] for i in idx],
                [],
                [data.raw[i] for i in idx],
                [data.kept[i] for i in idx],
            )
        else:
            part = encode(encoder, given, f"Reading the {name} data", new_data=True, settings=settings)
            parts[name] = Part(
                part.x, targets.of(part.names, given.origin), part.hashes, part.skipped, part.raw, part.kept
            )
    overlap = _copies(data, rows, parts["test"], modality)
    train_raw = [data.raw[i] for i in rows["train"]]
    if val is None:
        modality.check_split(parts["val"].raw, train_raw)
    split = Split(
        train=(data.x[rows["train"]], labels[rows["train"]]),
        val=(parts["val"].x, parts["val"].names),
        test=(parts["test"].x, parts["test"].names),
        fingerprint=fingerprint(
            data.hashes, data.names, _val_part(parts["val"]) if val is not None else None
        ),
        skipped=data.skipped + parts["test"].skipped + parts["val"].skipped,
        test_overlap=overlap,
        inputs={"train": train_raw, "val": parts["val"].raw, "test": parts["test"].raw},
        regression=targets.regression,
        test_positions=parts["test"].kept,
        train_positions=[data.kept[i] for i in rows["train"]],
    )
    return targets, split


def _val_part(part: Part) -> tuple:
    """Separate validation data as the fingerprint reads it: (x, targets, hashes)."""
    return part.x, part.names, part.hashes


def _copies(data: Part, rows: dict, test: Part, modality) -> int:
    """Test inputs that are copies of training (or validation) inputs, said when found."""
    if not modality.copies_leak:
        return 0
    seen = {data.hashes[i] for i in np.concatenate([rows["train"], rows.get("val", [])]).astype(int)}
    overlap = sum(h in seen for h in test.hashes)
    if overlap:
        warn(
            f"{overlap} of the {len(test.hashes)} test {modality.noun} also appear in the training data: the "
            "test accuracy will look better than it is. Test on data the model has not seen."
        )
    return overlap


def learn_targets(task: str, names: list[str], test, val, noun: str) -> Targets:
    """The classes, sorted (refused when one is too small to split); none for regression."""
    if task == "regression":
        return Targets(task, [])
    classes = sorted_classes(names)
    needed = 1 + (test is None) + (val is None)
    steps = ["train"] + ["validate"] * (val is None) + ["test"] * (test is None)
    why = "to " + (" and ".join(steps) if len(steps) < 3 else "train, validate and test")
    check_class_sizes(names, classes, needed, why, noun)
    return Targets(task, classes)


def split_rows(
    labels: np.ndarray, regression: bool, settings, test, val, groups=None, word: str = "group"
) -> dict[str, np.ndarray]:
    """Positions of the "train" examples, and of the "test" and "val" ones held out
    (stratified by class; of whole groups when groups are given) when not given separately."""
    s, rest, rows = settings, np.arange(len(labels)), {}
    strata = np.zeros(len(labels), int) if regression else labels
    for part, given, size, seed in (
        ("test", test, s.test_size, s.seed),
        ("val", val, s.val_size, s.seed + 1),
    ):
        if given is not None:
            continue
        if groups is None:
            kept, held = stratified_split(strata[rest], size, seed, part)
        else:
            kept, held = grouped_split(strata[rest], np.asarray(groups)[rest], size, seed, part, word)
        rows[part], rest = rest[held], rest[kept]
    return rows | {"train": rest}


def read_like(part, target, images, text, train: Examples) -> Examples | None:
    """Test (or validation) data like the training data: a path, or (X, y) arrays;
    refused, before any work, when it has labels the training data lacks."""
    if part is None:
        return None
    if isinstance(part, tuple):
        found = read_labeled(*part, kind=train.kind)
    else:
        found = read_labeled(part, None, target, images, text, train.kind, train.columns, train.task)
    unknown = sorted(set(found.labels) - set(train.labels)) if train.task != "regression" else []
    if unknown:
        raise DataError(
            f"{found.origin} has labels that the training data lacks ({', '.join(unknown[:5])}); "
            "use data of the same classes."
        )
    return found


def identity(split: Split, classes: list[str], recipe, settings: Settings) -> dict:
    """What a checkpoint must match to be resumed: the data, the classes, the model and
    every setting that changes training, as resolved (not the machine's settings)."""
    skip = (*Settings.MACHINE, "time_limit", "model", "fine_tune", "lr", "batch_size", "epochs")
    resolved = {
        "lr": recipe.lr(settings),
        "batch_size": recipe.batch_size(settings),
        "epochs": recipe.epochs(settings, len(split.train[1])),
    }
    return {
        "fingerprint": split.fingerprint,
        "classes": classes,
        "model": recipe.name,
        "settings": {k: v for k, v in settings.to_dict().items() if k not in skip} | resolved,
    }
