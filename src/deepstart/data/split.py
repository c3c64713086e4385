"""Stratified splits that also work for tiny classes (every class in every part)."""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import DataError


def stratified_split(
    y: np.ndarray, size: float | int, seed: int, what: str = "test"
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (kept, held_out): held_out is `size` of the data (a fraction, or an exact
    count) with the classes in proportion, and at least one example of each class on
    each side."""
    if isinstance(size, int) and size >= len(y):
        raise DataError(f"Cannot hold out {size} examples from {len(y)}; use a smaller --{what}-size.")
    classes, counts = np.unique(y, return_counts=True)
    wanted = size if isinstance(size, int) else size * len(y)
    quota = counts * wanted / len(y)
    held = np.floor(quota).astype(int)
    extra = int(round(wanted)) - held.sum()  # largest remainders get the rest
    held[np.argsort(held - quota, kind="stable")[: max(extra, 0)]] += 1
    held = np.minimum(np.maximum(held, 1), counts - 1)
    if (held < 1).any():
        raise DataError(
            f"Too few examples to hold some out for {what}: every class needs at least one example on "
            f"each side; add examples or use a smaller --{what}-size."
        )
    rng = np.random.default_rng(seed)
    kept, out = [], []
    for k, cut in zip(classes, held):
        members = rng.permutation(np.flatnonzero(y == k))
        out.extend(members[:cut])
        kept.extend(members[cut:])
    return np.sort(np.array(kept, dtype=int)), np.sort(np.array(out, dtype=int))


def grouped_split(
    y: np.ndarray, groups: np.ndarray, size: float | int, seed: int, what: str = "test", word: str = "group"
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (kept, held_out) where held_out is about `size` of the data made of whole
    groups (scikit-learn's StratifiedGroupKFold: one fold of about that size, the classes
    in proportion as far as whole groups allow), chosen so that every class keeps examples
    on the kept side (and, where a fold allows it, on the held-out side too)."""
    from sklearn.model_selection import StratifiedGroupKFold

    n_groups = len(set(groups))
    if n_groups < 2:
        raise DataError(
            f"Only one {word} is left to hold some out for {what}; add examples of more {word}s, or drop "
            "--group-split."
        )
    wanted = size / len(y) if isinstance(size, int) else size
    n_splits = int(min(max(round(1 / max(wanted, 1e-9)), 2), n_groups))
    folds = StratifiedGroupKFold(n_splits, shuffle=True, random_state=seed)
    codes = np.unique(groups.astype(str), return_inverse=True)[1]
    classes, found = set(y.tolist()), []
    with warnings.catch_warnings():  # "the least populated class has fewer members than n_splits"
        warnings.simplefilter("ignore", UserWarning)
        splits = list(folds.split(np.zeros(len(y)), y, codes))
    for kept, held in splits:
        if set(y[kept].tolist()) == classes:
            found.append((set(y[held].tolist()) == classes, -abs(len(held) - wanted * len(y)), kept, held))
    if not found:
        raise DataError(
            f"Holding out whole {word}s for {what} leaves a class without examples to train on (each of its "
            f"{word}s is needed elsewhere); add {word}s to the small classes, or drop --group-split."
        )
    best = max(found, key=lambda fold: fold[:2])
    return np.sort(best[2]), np.sort(best[3])


def check_class_sizes(
    labels: list[str], classes: list[str], needed: int, why: str, noun: str = "images"
) -> None:
    """Refuse data with one class, or with a class too small to be split."""
    if len(classes) < 2:
        only = f" ('{classes[0]}')" if classes else ""
        raise DataError(
            f"Found only one class{only}; a classifier needs at least two: add a folder "
            "(or label) for each other class."
        )
    counts = {c: 0 for c in classes}
    for label in labels:
        counts[label] += 1
    small = [c for c in classes if counts[c] < needed]
    if small:
        c = small[0]
        raise DataError(
            f"Class '{c}' has only {counts[c]} usable {noun}; each class needs at least "
            f"{needed} ({why}): add {noun} to it or remove it."
        )


@dataclass
class Split:
    """Encoded examples split three ways; each part is (X, class indices) as arrays."""

    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    fingerprint: str  # of the training data: content hashes and labels
    skipped: list[tuple[str, str]]
    test_overlap: int  # test inputs also found in the training data
    inputs: dict = field(default_factory=dict)  # "train"/"val"/"test" -> the raw inputs (files, texts)
    regression: bool = False  # the targets are numbers, not class indices
    # positions of the test examples among the inputs read: of the separate test data when
    # given, else of the data itself (to find each one's row in the table that listed them)
    test_positions: list[int] = field(default_factory=list)
    train_positions: list[int] = field(default_factory=list)  # likewise, of the training examples

    def balanced(self, groups: np.ndarray, seed: int) -> Split:
        """The split with each group of training examples (groups: one value per training
        example) as large as the largest, smaller groups' examples repeated at random, so
        that each group counts equally in training."""
        rng, largest = np.random.default_rng(seed), max(np.unique(groups, return_counts=True)[1])
        idx = []
        for value in np.unique(groups):
            members = np.flatnonzero(groups == value)
            idx += [*members, *rng.choice(members, largest - len(members))]
        idx = np.sort(np.array(idx))
        x, y = self.train
        inputs = self.inputs | {"train": [self.inputs["train"][i] for i in idx]}
        positions = [self.train_positions[i] for i in idx]
        return replace(self, train=(x[idx], y[idx]), inputs=inputs, train_positions=positions)

    def sample_of_train(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.train
        idx = np.sort(np.random.default_rng(seed).permutation(len(y))[:n])
        return x[idx], y[idx]

    def describe(self) -> dict:
        return {
            "n_train": len(self.train[1]),
            "n_validation": len(self.val[1]),
            "n_test": len(self.test[1]),
            "skipped": [{"file": f, "reason": r} for f, r in self.skipped],
            "fingerprint": self.fingerprint,
            "test_overlap": self.test_overlap,
        }


def sorted_classes(names: list[str]) -> list[str]:
    unique = set(names)
    if all(n.isascii() and n.lstrip("-").isdigit() for n in unique):
        return sorted(unique, key=lambda n: (int(n), n))  # "1" before "01": the same order every run
    return sorted(unique)


def fingerprint(hashes: list[str], labels: list[str], val: tuple | None = None) -> str:
    """Of the training data (content hashes and labels), and of separate validation data."""
    digest = hashlib.sha256()
    for h, label in sorted(zip(hashes, labels)):
        digest.update(f"{h}\t{label}\n".encode())
    if val is not None:
        digest.update(b"validation\n")
        for h, k in sorted(zip(val[2], val[1].tolist())):
            digest.update(f"{h}\t{k}\n".encode())
    return digest.hexdigest()
