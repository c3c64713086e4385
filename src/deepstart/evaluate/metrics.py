"""Classification metrics, computed by scikit-learn, as plain JSON-ready numbers."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray, classes: list[str]) -> dict:
    """accuracy, macro_f1, n, per-class precision/recall/f1/support and the confusion
    matrix (rows: true class, columns: predicted class, both in `classes` order)."""
    labels = list(range(len(classes)))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    return {
        "accuracy": float(np.mean(y_true == y_pred)) if len(y_true) else 0.0,
        "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "n": int(len(y_true)),
        "per_class": {
            name: {
                "precision": float(precision[k]),
                "recall": float(recall[k]),
                "f1": float(f1[k]),
                "support": int(support[k]),
            }
            for k, name in enumerate(classes)
        },
        "classes": list(classes),
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


def regression_metrics(y: np.ndarray, pred: np.ndarray) -> dict:
    """mae, rmse, r2 and n, for numbers predicted."""
    err = pred - y
    sst = float(((y - y.mean()) ** 2).sum()) if len(y) else 0.0
    return {
        "mae": float(np.abs(err).mean()) if len(y) else 0.0,
        "rmse": float(np.sqrt((err**2).mean())) if len(y) else 0.0,
        "r2": 1.0 - float((err**2).sum()) / sst if sst > 0 else 0.0,
        "n": int(len(y)),
    }


def forecast_metrics(truth, forecast, naive, series, scored, scale) -> dict:
    """(W, H) truths and forecasts of W windows, series: the series of each window,
    scored: (W, H) True where the truth was given (not filled in), scale: each series'
    in-sample seasonal-naive error. MASE (averaged over series), sMAPE in %, MAE, and
    the MAE relative to seasonal naive's (naive: its (W, H) forecasts)."""
    errors = np.abs(truth - forecast)[scored]
    which = np.broadcast_to(series[:, None], truth.shape)[scored]
    mase = float(np.mean([errors[which == i].mean() / scale[i] for i in np.unique(which)]))
    denominator = (np.abs(truth) + np.abs(forecast))[scored]
    smape = np.where(denominator > 0, 200 * errors / np.maximum(denominator, 1e-12), 0.0)
    naive_mae = float(np.abs(truth - naive)[scored].mean())
    return {
        "mase": mase,
        "smape": float(np.mean(smape)),
        "mae": float(errors.mean()),
        "mae_relative_to_seasonal_naive": float(errors.mean()) / naive_mae if naive_mae else None,
        "n": int(errors.size),
    }


def naive_error(history: np.ndarray, season: int) -> float:
    """Mean absolute error of seasonal naive within the history (1 when it cannot be had)."""
    m = season if len(history) > season else 1
    error = float(np.mean(np.abs(history[m:] - history[:-m]))) if len(history) > m else 0.0
    return error if np.isfinite(error) and error > 0 else 1.0
