"""Stratified splits that also work for tiny classes (every class in every part)."""

from __future__ import annotations

import numpy as np

from ..errors import DataError


def held_out_count(n: int, size: float | int, total: int) -> int:
    """How many of a class's n examples to hold out, for a fraction or an overall count."""
    share = size if isinstance(size, float) else size / total
    return min(n - 1, max(1, round(n * share)))


def stratified_split(y: np.ndarray, size: float | int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (kept, held_out): held_out has `size` of each class (a fraction, or a
    count spread over classes in proportion), at least one example of each."""
    if isinstance(size, int) and size >= len(y):
        raise DataError(
            f"Cannot hold out {size} examples from {len(y)}; use a smaller --test-size or --val-size."
        )
    rng = np.random.default_rng(seed)
    kept, held = [], []
    for k in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == k))
        cut = held_out_count(len(members), size, len(y))
        held.extend(members[:cut])
        kept.extend(members[cut:])
    return np.sort(np.array(kept, dtype=int)), np.sort(np.array(held, dtype=int))


def check_class_sizes(labels: list[str], classes: list[str], needed: int, why: str) -> None:
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
            f"Class '{c}' has only {counts[c]} usable image(s); each class needs at least "
            f"{needed} ({why}): add images to it or remove it."
        )
