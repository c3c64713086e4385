"""One trial of `deepstart tune`: a quiet `train` with the trial's settings, the same
whether it runs here (tune/search.py) or on a Ray Tune worker (tune/parallel.py)."""

from __future__ import annotations

import time

from ..errors import DeepstartError
from ..log import quiet
from ..predictor import Predictor

FAILED = (DeepstartError, MemoryError, RuntimeError, ValueError)  # a trial that fails is recorded, not fatal


def run_trial(data, fit_args: dict, settings: dict, metric: str) -> tuple[Predictor, float, dict]:
    """Returns the trial's model, its validation score, and what the trial's record keeps:
    its time, its test score (read for two trials only), what its training found, and the
    epochs it ran."""
    start = time.perf_counter()
    with quiet():
        predictor = Predictor(**settings).fit(data, **fit_args)
    attrs = {
        "seconds": round(time.perf_counter() - start, 2),
        "test": predictor.metrics_["test"].get(metric),
        "found": [d["check"] for d in predictor.diagnostics_ if d["found"]],
        "stopped_at": len(predictor.history_.epochs),
    }
    return predictor, float(predictor.metrics_["validation"][metric]), attrs


def failure(error: BaseException) -> str:
    """Why a trial failed, as its record keeps it."""
    return f"{type(error).__name__}: {error}"[:300]
