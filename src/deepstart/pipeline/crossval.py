"""Choosing a table's model by cross-validation. A validation split of a few dozen rows
ranks models by luck; k folds over the training and validation rows together score
every candidate on every row once, as the strongest AutoML systems do. Each candidate
(the network, and the classical families of classical/tables.py) gives out-of-fold
outputs; a weighted ensemble of them is chosen greedily on those outputs (Caruana et
al., 2004, "Ensemble selection from libraries of models"); all are ranked by their
out-of-fold score. The classical models kept are refit on all those rows; the network
kept is the one trained on the training rows, its epochs picked on the validation rows."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from ..classical import Blend
from ..classical.tables import cross_validated, error
from ..evaluate.leaderboard import Candidate, ranked
from ..log import muted, progress

ROUNDS = 20  # of ensemble selection: weights in steps of 5 %
SHORT = {"deep": "network", "linear": "linear", "tree": "tree", "gbm": "boosting", "forest": "forest"}


def deep_out_of_fold(x, y, folds, fit: Callable, regression: bool, seed: int) -> tuple[np.ndarray, float]:
    """The network's out-of-fold outputs: fit(train, val, share) -> outputs(x), trained on
    each fold's rows, its epochs picked on a tenth of them (never on the rows it then
    predicts); each fold's network takes its share of the time left (a --time-limit)."""
    start, oof = time.perf_counter(), None
    for i, (rows, held) in enumerate(progress(folds, desc="Cross-validating the network", unit="fold")):
        learn, check = _tenth(rows, y, regression, seed)
        with muted():
            outputs = fit((x[learn], y[learn]), (x[check], y[check]), 0.7 / (len(folds) - i))
        out = outputs(x[held])
        oof = np.zeros((len(y), *out.shape[1:]), out.dtype) if oof is None else oof
        oof[held] = out
    return oof, time.perf_counter() - start


def _tenth(rows: np.ndarray, y: np.ndarray, regression: bool, seed: int) -> tuple:
    """(nine tenths, a tenth) of rows, stratified where every class can be."""
    from sklearn.model_selection import train_test_split

    try:
        return train_test_split(
            rows, test_size=0.1, random_state=seed, stratify=None if regression else y[rows]
        )
    except ValueError:  # a class with one row, or fewer rows in a tenth than classes
        return train_test_split(rows, test_size=0.1, random_state=seed)


def greedy_weights(outs: list[np.ndarray], y: np.ndarray, regression: bool) -> np.ndarray:
    """Ensemble selection with replacement: ROUNDS times, add the model whose addition
    lowers the ensemble's out-of-fold log loss (or RMSE) most; weights = times chosen."""
    counts, total = np.zeros(len(outs)), None
    for r in range(ROUNDS):
        losses = [error(out if total is None else (total + out) / (r + 1), y, regression)[-1] for out in outs]
        best = int(np.argmin(losses))
        counts[best] += 1
        total = outs[best].astype(np.float64) if total is None else total + outs[best]  # a running sum
    return counts / ROUNDS


def select_by_folds(deep: Candidate, x, y, x_test, y_test, folds, n_classes: int, seed: int):
    """(the kept classical model or None, leaderboard rows, the kept model's outputs on
    "val" (out-of-fold) and "test", the network's weight in the kept model).
    deep: the network, its val_out out-of-fold over the rows x, y (the design matrix)."""
    regression = n_classes == 0
    found = [
        Candidate(f.name, f.model.title, f.oof, f.model.predict(x_test), f.seconds, f.model)
        for f in cross_validated(x, y, folds, n_classes, seed)
    ]
    candidates = [deep, *found]
    weights = greedy_weights([c.val_out for c in candidates], y, regression)
    mix = _ensemble(candidates, weights)
    candidates += [mix] if mix else []
    rows = ranked(candidates, y, y_test, regression)
    kept = next(c for c in candidates if c.name == rows[0]["name"])
    weight = {"deep": 1.0, "ensemble": float(weights[0])}.get(kept.name, 0.0)
    return kept.model, rows, {"val": kept.val_out, "test": kept.test_out}, weight


def _ensemble(candidates: list[Candidate], weights: np.ndarray) -> Candidate | None:
    """The weighted ensemble (candidates[0] is the network), when it has two members or
    more; its classical members stored as one Blend, or the one model."""
    chosen = [(c, w) for c, w in zip(candidates, weights) if w > 0]
    if len(chosen) < 2:
        return None
    title = "weighted ensemble: " + ", ".join(f"{SHORT.get(c.name, c.title)} {w:.0%}" for c, w in chosen)
    val = sum(w * c.val_out for c, w in chosen)
    test = sum(w * c.test_out for c, w in chosen)
    classical = [(c, w) for c, w in chosen if c.name != "deep"]
    model = (
        Blend([c.model for c, _ in classical], [w for _, w in classical], title)
        if len(classical) > 1
        else classical[0][0].model
    )
    name = "ensemble" if weights[0] > 0 else "blend"
    return Candidate(name, title, val, test, sum(c.seconds for c, _ in chosen), model)
