"""The deep model beside the classical ones, scored on the same split: the one with
the best validation score is kept (the test set only reports, it never chooses)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .baselines.tables import fit_baselines
from .classical import TfidfLogistic
from .evaluate import regression_metrics


@dataclass
class Candidate:
    name: str  # "deep" | "classical" (texts) | "linear" | "tree" | "gbm" (tables) | "ensemble"
    title: str  # for people
    val_out: np.ndarray  # (N_val, n_classes) probabilities, or (N_val,) predicted numbers
    test_out: np.ndarray
    seconds: float  # time to train it
    model: object = None  # the classical model, if any


def ranked(candidates: list[Candidate], y_val: np.ndarray, y_test: np.ndarray) -> list[dict]:
    """Rows best first by validation accuracy (then log loss), or by validation RMSE
    for numbers; on a full tie the candidate listed first (the deep model) stays ahead."""
    regression = y_val.dtype.kind == "f"
    rows = []
    for c in candidates:
        row = {"name": c.name, "model": c.title}
        if regression:
            val, test = regression_metrics(y_val, c.val_out), regression_metrics(y_test, c.test_out)
            row |= {"validation_rmse": val["rmse"], "validation_mae": val["mae"]}
            row |= {"test_rmse": test["rmse"], "test_mae": test["mae"]}
        else:
            row["validation_accuracy"] = float((c.val_out.argmax(1) == y_val).mean())
            row["validation_log_loss"] = _log_loss(c.val_out, y_val)
            row["test_accuracy"] = float((c.test_out.argmax(1) == y_test).mean())
        rows.append(row | {"seconds": round(c.seconds, 2)})

    def key(i):
        r = rows[i]
        if regression:
            return (r["validation_rmse"], i)
        return (-r["validation_accuracy"], r["validation_log_loss"], i)

    order = sorted(range(len(rows)), key=key)
    return [rows[i] | {"chosen": rank == 0} for rank, i in enumerate(order)]


def _log_loss(proba: np.ndarray, y: np.ndarray) -> float:
    """Mean negative log-probability of the true class (lower is better)."""
    p = np.clip(proba[np.arange(len(y)), y], 1e-7, 1.0)
    return float(-np.log(p).mean())


def _with_ensemble(candidates: list[Candidate], partner: Candidate, title: str) -> list[Candidate]:
    deep = candidates[0]
    mix = Candidate(
        "ensemble",
        title,
        (deep.val_out + partner.val_out) / 2,
        (deep.test_out + partner.test_out) / 2,
        deep.seconds + partner.seconds,
        partner.model,
    )
    return [*candidates, mix]


def _decide(candidates: list[Candidate], y_val, y_test):
    """(the kept classical model or None, leaderboard rows, the kept model's outputs)."""
    rows = ranked(candidates, y_val, y_test)
    kept = next(c for c in candidates if c.name == rows[0]["name"])
    return kept.model, rows, {"val": kept.val_out, "test": kept.test_out}


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
    out = {part: classical.predict_proba(split.inputs[part]) for part in ("val", "test")}
    candidates = [
        Candidate("deep", deep_title, deep["val"], deep["test"], deep_seconds),
        Candidate("classical", TfidfLogistic.title, out["val"], out["test"], seconds, classical),
    ]
    candidates = _with_ensemble(candidates, candidates[1], f"{deep_title}, averaged with TF-IDF")
    return _decide(candidates, split.val[1], split.test[1])


def compare_with_baselines(split, design, deep: dict, deep_title: str, deep_seconds: float, seed: int):
    """Tables: train logistic (or ridge) regression, a decision tree and gradient
    boosting on the deep model's split, and rank them, the deep model and the average
    of the deep model and the best classical one. design: encoded rows -> the rows the
    classical models read. Returns as compare_with_tfidf."""
    x = {part: design(getattr(split, part)[0]) for part in ("train", "val", "test")}
    y_train, y_val = split.train[1], split.val[1]
    regression = y_val.dtype.kind == "f"
    candidates = [Candidate("deep", deep_title, deep["val"], deep["test"], deep_seconds)]
    for name, model, seconds in fit_baselines(x["train"], y_train, x["val"], y_val, regression, seed):
        out = {part: model.predict(x[part]) for part in ("val", "test")}
        candidates.append(Candidate(name, model.title, out["val"], out["test"], seconds, model))
    best = ranked(candidates[1:], y_val, split.test[1])[0]["name"]
    partner = next(c for c in candidates if c.name == best)
    short = partner.title.split(" (")[0]
    candidates = _with_ensemble(candidates, partner, f"{deep_title} and {short}, averaged")
    return _decide(candidates, y_val, split.test[1])
