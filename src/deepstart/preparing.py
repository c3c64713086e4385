"""Preparing a Predictor's data: check fit's arguments, read separate test data,
encode the examples, learn the classes (or, for regression, read the numbers), and
split train / validation / test, with a table's or a sequence's encoder learned from
the training rows only; and what a checkpoint must match to be resumed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import TASKS, Settings
from .data.sources import Examples, read_labeled
from .data.split import Split, check_class_sizes, fingerprint, sorted_classes, stratified_split
from .data.text import warn_if_inside
from .errors import ConfigError, DataError
from .log import say, warn


class Preparation:
    """The data-preparing half of Predictor (its settings, encoder_, task_, classes_)."""

    def _prepare(self, examples: Examples, test_examples: Examples | None, val_examples=None) -> Split:
        """Encode the examples, learn the classes, and split: train / validation / test.
        Separate test or validation data is used as given; otherwise it is held out. A
        table's encoder learns from the training rows only."""
        noun = noun_for(examples.kind)
        if hasattr(self.encoder_, "fit"):
            self._learn_classes(examples.labels, test_examples, val_examples, noun)
            rows = self._split_rows(
                self._targets(examples.labels, examples.origin), test_examples, val_examples
            )
            items = examples.items
            self.encoder_.fit(items.iloc[rows["train"]] if examples.kind == "table" else items[rows["train"]])
        x, names, hashes, skipped, raw = self._encode(examples, "Reading the training data")
        self._learn_classes(names, test_examples, val_examples, noun)
        labels = self._targets(names, examples.origin)
        rows, parts = self._split_rows(labels, test_examples, val_examples), {}
        for part, given in (("test", test_examples), ("val", val_examples)):
            if given is None:
                idx = rows[part]
                parts[part] = (x[idx], labels[idx], [hashes[i] for i in idx], [], [raw[i] for i in idx])
            else:
                x_part, p_names, p_hashes, p_skipped, p_raw = self._encode(given, f"Reading the {part} data")
                parts[part] = (x_part, self._targets(p_names, given.origin), p_hashes, p_skipped, p_raw)
        overlap = 0
        if examples.kind != "table":  # in tables equal rows are common and no leak
            seen = {hashes[i] for i in np.concatenate([rows["train"], rows.get("val", [])]).astype(int)}
            overlap = sum(h in seen for h in parts["test"][2])  # copies of training inputs among the test's
        if overlap:
            warn(
                f"{overlap} of the {len(parts['test'][2])} test {noun} also appear in the training data: the "
                "test accuracy will look better than it is. Test on data the model has not seen."
            )
        rest = rows["train"]
        train_raw = [raw[i] for i in rest]
        if examples.kind == "text" and val_examples is None:
            warn_if_inside(parts["val"][4], train_raw)
        return Split(
            train=(x[rest], labels[rest]),
            val=parts["val"][:2],
            test=parts["test"][:2],
            fingerprint=fingerprint(hashes, names, parts["val"] if val_examples is not None else None),
            skipped=skipped + parts["test"][3] + parts["val"][3],
            test_overlap=overlap,
            inputs={"train": train_raw, "val": parts["val"][4], "test": parts["test"][4]},
        )

    def _learn_classes(self, names: list[str], test_examples, val_examples, noun: str) -> None:
        """The classes, sorted; refused when one is too small to split."""
        self.classes_ = [] if self.task_ == "regression" else sorted_classes(names)
        if self.task_ != "regression":
            needed = 1 + (test_examples is None) + (val_examples is None)
            steps = ["train"] + ["validate"] * (val_examples is None) + ["test"] * (test_examples is None)
            why = "to " + (" and ".join(steps) if len(steps) < 3 else "train, validate and test")
            check_class_sizes(names, self.classes_, needed, why, noun)

    def _split_rows(self, labels: np.ndarray, test_examples, val_examples) -> dict[str, np.ndarray]:
        """Positions of the "train" examples, and of the "test" and "val" ones held out
        (stratified by class) when not given separately."""
        s, rest, rows = self.settings, np.arange(len(labels)), {}
        strata = np.zeros(len(labels), int) if self.task_ == "regression" else labels
        for part, given, size, seed in (
            ("test", test_examples, s.test_size, s.seed),
            ("val", val_examples, s.val_size, s.seed + 1),
        ):
            if given is None:
                kept, held = stratified_split(strata[rest], size, seed, part)
                rows[part], rest = rest[held], rest[kept]
        return rows | {"train": rest}

    def _encode(self, examples: Examples, desc: str):
        encoded = self.encoder_.encode(examples.items, desc)
        if examples.kind == "text":  # say which table the rows are of
            encoded.skipped = [(f"{examples.origin}, {row}", why) for row, why in encoded.skipped]
        for file, reason in encoded.skipped[:10]:
            say(f"  skipped {file}: {reason}")
        if len(encoded.skipped) > 10:
            say(f"  ... and {len(encoded.skipped) - 10} more skipped")
        if not encoded.kept:
            usable = "a usable image" if examples.kind == "image" else "a usable (non-empty) text"
            raise DataError(f"None of the {len(examples.items)} inputs in {examples.origin} is {usable}.")
        labels = [examples.labels[i] for i in encoded.kept] if examples.labels else None
        raw = inputs_at(examples, encoded.kept)
        return encoded.features, labels, encoded.hashes, encoded.skipped, raw

    def _targets(self, names: list[str], origin: str) -> np.ndarray:
        """Class indices, or for regression the numbers themselves."""
        if self.task_ != "regression":
            return self._label_ids(names, origin)
        values = pd.to_numeric(pd.Series(names, dtype=str), errors="coerce").to_numpy(np.float64)
        if not np.isfinite(values).all():
            bad = names[int(np.flatnonzero(~np.isfinite(values))[0])]
            raise DataError(f"{origin} has a target that is not a number ({bad[:30]!r}); give numbers.")
        return values

    def _label_ids(self, names: list[str], origin: str) -> np.ndarray:
        index = {c: k for k, c in enumerate(self.classes_)}
        unknown = sorted(set(names) - set(index))
        if unknown:
            raise DataError(
                f"{origin} has labels the model was not trained on ({', '.join(unknown[:5])}); "
                f"it knows: {', '.join(self.classes_)}."
            )
        return np.array([index[n] for n in names], dtype=np.int64)


def inputs_at(examples: Examples, kept: list[int]) -> list:
    """The kept inputs themselves (files, texts), or for tables their row numbers."""
    if examples.kind in ("table", "sequence"):
        return list(kept)
    return [examples.items[i] for i in kept]


def noun_for(kind: str) -> str:
    return {"image": "images", "text": "texts", "table": "rows", "sequence": "sequences"}.get(
        kind, "examples"
    )


def read_test(test, target, images, text, train: Examples) -> Examples | None:
    """Test (or validation) data like the training data: a path, or (X, y) arrays."""
    if test is None:
        return None
    if isinstance(test, tuple):
        return read_labeled(*test, kind=train.kind)
    forced = train.task if train.kind == "table" else None
    return read_labeled(test, None, target, images, text, train.kind, train.columns, forced)


def identity(split: Split, classes: list[str], recipe, settings: Settings) -> dict:
    """What a checkpoint must match to be resumed: the data, the classes, the model and
    every setting that changes training, as resolved (not the machine's workers, cache
    or time limit)."""
    skip = ("workers", "cache", "time_limit", "model", "fine_tune", "lr", "batch_size", "epochs")
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


def check_fit_arguments(task: str, checkpoint, resume: bool) -> None:
    if task == "timeseries":
        raise ConfigError("Time series are forecast by deepstart.Forecaster (the CLI: --task timeseries).")
    if task != "auto" and task not in TASKS:
        raise ConfigError(
            f"Invalid value for task (--task). Expected one of: auto, {', '.join(TASKS)}. Received: {task!r}"
        )
    if resume and checkpoint is None:
        raise ConfigError("resume=True needs the checkpoint folder to resume from.")
