"""The deep model beside the classical ones, scored on the same split: the one with
the best validation accuracy is kept (the test set only reports, it never chooses)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
