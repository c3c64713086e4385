"""Which forecaster is kept. Every candidate forecasts the validation window and the test
window once, from the same rolling origins (statsforecast's cross-validation without
refitting: the statistical models are fitted once per series, before the validation
window, within the run's time limit, and run on over the steps after it); the
leaderboard ranks them by validation MASE, the combination of ETS, Theta and ARIMA (the
M4 competition found combining them beats picking one) among them. The best is kept, the
naive forecast instead only where it is really as good. (Keeping the combination unless
another model beat it beyond noise was measured too, on bench/series.py: worse on
sunspots, 1.72 against 1.26, and no better elsewhere.)"""

from __future__ import annotations

import numpy as np

from ...classical import statistical
from ...evaluate import naive_error
from ...log import progress
from .windows import TITLES, WINDOW_MODELS, rolling, scored

AS_GOOD = 0.03  # the naive forecast is as good when the kept model's errors are at most 3 % lower


class Backtest:
    """The validation and test windows of a training run, and each model's forecasts of
    them, made once: the statistical models fitted on the steps before the validation
    window (fc.fits_), for both windows."""

    def __init__(self, fc, series, train_end: list[int]):
        self.fc, self.series, self.train_end = fc, series, list(train_end)
        self.val_end = [e + fc.kv_ * fc.horizon_ for e in train_end]
        self.made: dict = {}
        self.scores: dict = {}

    def window(self, which: str) -> tuple[list[int], int]:
        return (self.train_end, self.fc.kv_) if which == "validation" else (self.val_end, self.fc.k_)

    def forecasts(self, model: str, which: str) -> tuple:
        """(truths, forecasts, series index) of a window, by model."""
        key = (model, which)
        if key not in self.made:
            if model in ("ensemble", "combination"):
                members = ("deep", self.fc.partner_) if model == "ensemble" else statistical.COMBINED
                parts = [self.forecasts(m, which) for m in members]
                average = np.mean if model == "ensemble" else np.median
                self.made[key] = (parts[0][0], average([p[1] for p in parts], axis=0), parts[0][2])
            else:
                starts, k = self.window(which)
                values, scales = self.series.values, self.fc.scales_
                self.made[key] = rolling(self.fc, values, starts, model, scales, k, self.train_end)
        return self.made[key]

    def metrics(self, model: str, which: str) -> dict:
        if (model, which) not in self.scores:
            starts, k = self.window(which)
            naive = self.forecasts("seasonal-naive", which)[1]
            self.scores[model, which] = scored(
                self.fc, self.series, starts, k, self.forecasts(model, which), naive
            )
        return self.scores[model, which]

    def gaps(self, model: str, other: str) -> tuple[float, float]:
        """The mean of model's scaled errors less other's on the validation window, and its
        standard error (the window's kv x H steps per series counted as kv independent
        windows, since forecasts from nearby origins overlap); below zero: model is better."""
        truth, ours, which = self.forecasts(model, "validation")
        theirs = self.forecasts(other, "validation")[1]
        scale = np.array(
            [naive_error(v[:a], self.fc.season_) for v, a in zip(self.series.values, self.train_end)]
        )
        gaps = (np.abs(truth - ours) - np.abs(truth - theirs)) / scale[which][:, None]  # (origins, H)
        independent = max(len(self.series.values) * self.fc.kv_, 2)
        return float(gaps.mean()), float(gaps.std() / np.sqrt(independent))


def candidates(fc) -> list[str]:
    """The models scored on validation: the network, the window baselines, the statistical
    ones and their combination (those that were tried: fc.candidates_)."""
    every = [*WINDOW_MODELS, *statistical.names(fc.seasons_)[1:], "combination"]
    tried = getattr(fc, "candidates_", None)
    return [name for name in every if name in tried] if tried else every


def best_partner(fc, bt: Backtest) -> str:
    """The non-deep model with the lowest validation MASE (the naive forecast aside): the
    network's partner in the ensemble."""
    others = [n for n in candidates(fc) if n not in ("deep", "naive")]
    return min(others, key=lambda name: bt.metrics(name, "validation")["mase"])


def leaderboard(fc, bt: Backtest, seconds: dict) -> list[dict]:
    """Every model scored by MASE on the validation and test windows, the kept one first
    (see kept()), then the others by validation MASE; the ensemble averages the network
    with fc.partner_."""
    names = [*candidates(fc), "ensemble"]
    rows = []
    for name in progress(names, desc="Scoring the models", unit="model"):
        val, test = bt.metrics(name, "validation"), bt.metrics(name, "test")
        title = TITLES.get(name) or f"{TITLES['deep']} and {TITLES[fc.partner_]}, averaged"
        took = seconds.get(name, 0.0) + (
            seconds["deep"] + seconds.get(fc.partner_, 0) if name == "ensemble" else 0
        )
        rows.append(
            {
                "name": name,
                "model": title,
                "validation_mase": val["mase"],
                "test_mase": test["mase"],
                "test_smape": test["smape"],
                "seconds": round(took, 2),
            }
        )
    rows.sort(key=lambda r: r["validation_mase"])
    choice = kept(bt, [r["name"] for r in rows])
    rows.sort(key=lambda r: r["name"] != choice)  # stable: the others stay in order
    return [r | {"chosen": r["name"] == choice} for r in rows]


def kept(bt: Backtest, ranked: list[str]) -> str:
    """The model kept, from the names ranked by validation MASE: the best, or the naive
    forecast where it is really as good (the best's lead within the noise in their errors,
    and at most AS_GOOD of naive's error)."""
    choice = ranked[0]
    if choice != "naive":
        gap, noise = bt.gaps(choice, "naive")
        naive_error = bt.metrics("naive", "validation")["mase"]
        if gap + noise >= 0 and -gap <= AS_GOOD * naive_error:
            choice = "naive"
    return choice
