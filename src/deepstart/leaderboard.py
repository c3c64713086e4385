"""The deep model beside the classical ones, scored on the same split: the one with
the best validation accuracy is kept (the test set only reports, it never chooses)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .classical import TfidfLogistic


@dataclass
class Candidate:
    name: str  # "deep" | "classical" | "ensemble"
    title: str  # for people
    val_proba: np.ndarray  # (N_val, n_classes)
    test_proba: np.ndarray  # (N_test, n_classes)
    seconds: float  # time to train it


def ranked(candidates: list[Candidate], y_val: np.ndarray, y_test: np.ndarray) -> list[dict]:
    """Rows best first by validation accuracy; on a tie the candidate listed first
    (the deep model) stays ahead."""
    rows = [
        {
            "name": c.name,
            "model": c.title,
            "validation_accuracy": float((c.val_proba.argmax(1) == y_val).mean()),
            "validation_log_loss": _log_loss(c.val_proba, y_val),
            "test_accuracy": float((c.test_proba.argmax(1) == y_test).mean()),
            "seconds": round(c.seconds, 2),
        }
        for c in candidates
    ]
    order = sorted(range(len(rows)), key=lambda i: (-rows[i]["validation_accuracy"], i))
    return [rows[i] | {"chosen": rank == 0} for rank, i in enumerate(order)]


def _log_loss(proba: np.ndarray, y: np.ndarray) -> float:
    """Mean negative log-probability of the true class (lower is better)."""
    p = np.clip(proba[np.arange(len(y)), y], 1e-7, 1.0)
    return float(-np.log(p).mean())


def compare_with_tfidf(split, deep: dict, deep_title: str, deep_seconds: float):
    """Train TF-IDF + logistic regression on the split the deep model trained on, and
    rank the deep model, it and their average. deep: the deep model's probabilities on
    "val" and "test". Returns (classical model or None, leaderboard rows, the kept
    model's probabilities on "val" and "test")."""
    start = time.perf_counter()
    classical = TfidfLogistic.fit(split.inputs["train"], split.train[1], split.inputs["val"], split.val[1])
    if classical is None:
        return None, [], deep
    seconds = time.perf_counter() - start
    proba = {part: classical.predict_proba(split.inputs[part]) for part in ("val", "test")}
    candidates = [
        Candidate("deep", deep_title, deep["val"], deep["test"], deep_seconds),
        Candidate("classical", TfidfLogistic.title, proba["val"], proba["test"], seconds),
        Candidate(
            "ensemble",
            f"{deep_title}, averaged with TF-IDF",
            (deep["val"] + proba["val"]) / 2,
            (deep["test"] + proba["test"]) / 2,
            deep_seconds + seconds,
        ),
    ]
    rows = ranked(candidates, split.val[1], split.test[1])
    kept = next(c for c in candidates if c.name == rows[0]["name"])
    return classical, rows, {"val": kept.val_proba, "test": kept.test_proba}
