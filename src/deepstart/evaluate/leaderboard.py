"""The models trained on one split, scored alike: the one with the best validation
score comes first (the test set only reports, it never chooses)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .metrics import regression_metrics


@dataclass
class Candidate:
    name: str  # "deep" | "classical" (texts) | "linear" | "tree" | "gbm" (tables) | "ensemble"
    title: str  # for people
    val_out: np.ndarray  # (N_val, n_classes) probabilities, or (N_val,) predicted numbers
    test_out: np.ndarray
    seconds: float  # time to train it
    model: object = None  # the classical model, if any


def ranked(
    candidates: list[Candidate], y_val: np.ndarray, y_test: np.ndarray, regression: bool
) -> list[dict]:
    """Rows best first by validation accuracy (then log loss), or by validation RMSE
    for numbers; on a full tie the candidate listed first (the deep model) stays ahead."""
    rows = []
    for c in candidates:
        row = {"name": c.name, "model": c.title}
        if regression:
            val, test = regression_metrics(y_val, c.val_out), regression_metrics(y_test, c.test_out)
            row |= {"validation_rmse": val["rmse"], "validation_mae": val["mae"]}
            row |= {"test_rmse": test["rmse"], "test_mae": test["mae"]}
        else:
            row["validation_accuracy"] = float((c.val_out.argmax(1) == y_val).mean())
            row["validation_log_loss"] = log_loss(c.val_out, y_val)
            row["test_accuracy"] = float((c.test_out.argmax(1) == y_test).mean())
        rows.append(row | {"seconds": round(c.seconds, 2)})

    def key(i):
        r = rows[i]
        if regression:
            return (r["validation_rmse"], i)
        return (-r["validation_accuracy"], r["validation_log_loss"], i)

    order = sorted(range(len(rows)), key=key)
    return [rows[i] | {"chosen": rank == 0} for rank, i in enumerate(order)]


def log_loss(proba: np.ndarray, y: np.ndarray) -> float:
    """Mean negative log-probability of the true class (lower is better)."""
    p = np.clip(proba[np.arange(len(y)), y], 1e-7, 1.0)
    return float(-np.log(p).mean())
