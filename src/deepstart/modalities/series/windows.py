"""Series cut into windows: the inputs a forecaster reads (the last `lookback` steps,
centred on their own mean and divided by the series' spread) and the `horizon` steps
after them; forecasts from every origin of a window one step apart (rolling origins),
and their metrics against seasonal naive."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...classical.series import detect_season
from ...errors import DataError
from ...evaluate import forecast_metrics, naive_error

MAX_WINDOWS = 50_000  # training windows, spread evenly when there are more
CLASSICAL = ("seasonal-naive", "linear-ar")
TITLES = {
    "deep": "GRU over windows (deep)",
    "seasonal-naive": "seasonal naive",
    "linear-ar": "linear autoregressive (ridge)",
}


@dataclass
class Layout:
    """How series are cut: where training ends in each, the test origins k, the season,
    the lookback (steps read per forecast) and each series' spread."""

    train_end: list[int]
    k: int
    season: int
    season_source: str  # "given", "detected" or "none found"
    lookback: int
    scales: list[float]


def layout(series, horizon: int, season: int | None, k_max: int) -> Layout:
    """The last 2 x k x H steps of every series validate and test, the rest trains; the
    season is given or detected; refused when the history is too short for them."""
    shortest = min(len(v) for v in series.values)
    k = max(1, min(k_max, shortest // (10 * horizon)))
    train_end = [len(v) - 2 * k * horizon for v in series.values]
    if min(train_end) < horizon + 4:
        need = 2 * horizon + 4 + horizon
        raise DataError(
            f"The horizon ({horizon} steps) is too long for the history: the shortest series has "
            f"{shortest} steps, and testing and validating on {horizon} steps each leaves too few to "
            f"learn from (at least {need} are needed); shorten --horizon or give a longer history."
        )
    train_parts = [v[:e] for v, e in zip(series.values, train_end)]
    if season is not None and season > (min(train_end) - horizon) // 2:
        raise DataError(
            f"--season {season} is too long for the history: the shortest series has {min(train_end)} "
            f"steps to learn from, and two seasons and the horizon must fit in them; give a shorter "
            "--season or a longer history."
        )
    detected = detect_season(train_parts, min(min(train_end) // 3, 400))
    source = "given" if season else "detected" if detected > 1 else "none found"
    season = season or detected
    lookback = int(min(max(2 * horizon, 2 * season if season > 1 else 0, 16), min(train_end) - horizon))
    scales = [float(np.std(p)) or 1.0 for p in train_parts]  # each series' spread
    return Layout(train_end, k, season, source, lookback, scales)


def windows(fc, values, starts, ends, first_target: bool = False):
    """Scaled (inputs, targets) for every origin t with starts[k] <= t <= ends[k] - H (the
    inputs end at t, the targets are the H steps from t); fc is the forecaster."""
    h, lookback, xs, ys = fc.horizon_, fc.lookback_, [], []
    for v, scale, a, b in zip(values, fc.scales_, starts, ends):
        origins = np.arange(max(a, lookback), b - h + 1)
        if len(origins) == 0:
            continue
        cut = np.lib.stride_tricks.sliding_window_view(v, lookback + h)[origins - lookback]
        level = cut[:, :lookback].mean(1, keepdims=True)
        scaled = (cut - level) / scale
        xs.append(scaled[:, :lookback])
        ys.append(scaled[:, lookback:])
    x, y = np.concatenate(xs), np.concatenate(ys)
    if len(x) > MAX_WINDOWS and not first_target:
        keep = np.linspace(0, len(x) - 1, MAX_WINDOWS).astype(int)
        x, y = x[keep], y[keep]
    return x.astype(np.float32), y.astype(np.float32)


def rolling(fc, values, starts: list[int], model: str | None, scales: list[float]):
    """Forecasts by model from every origin whose H steps lie in the window of k x H steps
    from starts[i], one step apart: (truths, forecasts, series index); model None: the
    truths only (forecasts None)."""
    truth, inputs, window_scales, which = [], [], [], []
    for i, (v, a) in enumerate(zip(values, starts)):
        for j in range((fc.k_ - 1) * fc.horizon_ + 1):
            t = a + j
            inputs.append(v[t - fc.lookback_ : t])
            truth.append(v[t : t + fc.horizon_])
            window_scales.append(scales[i])
            which.append(i)
    if model is None:
        return np.array(truth), None, np.array(which)
    forecasts = fc.predict_windows(np.array(inputs), np.array(window_scales), model)
    return np.array(truth), forecasts, np.array(which)


def metrics(fc, series, starts: list[int], model: str, scales: list[float] | None = None) -> dict:
    """MASE (errors over the in-sample seasonal-naive error of each series, averaged),
    sMAPE, MAE, and the MAE relative to seasonal naive's on the same window."""
    scales = scales or fc.scales_
    truth, forecast, which = rolling(fc, series.values, starts, model, scales)
    _, naive, _ = rolling(fc, series.values, starts, "seasonal-naive", scales)
    given = series.observed or [np.ones(len(v), bool) for v in series.values]
    scored, _, _ = rolling(fc, given, starts, None, scales)
    scale = np.array([naive_error(v[:a], fc.season_) for v, a in zip(series.values, starts)])
    return forecast_metrics(truth, forecast, naive, which, scored.astype(bool), scale)


def best_classical(fc, series, train_end: list[int]) -> str:
    """The classical model with the lower validation MASE: the GRU's partner in the ensemble."""
    return min(CLASSICAL, key=lambda name: metrics(fc, series, train_end, name)["mase"])


def leaderboard(fc, series, train_end: list[int], seconds: dict) -> list[dict]:
    """Every model scored by MASE on the validation window (from every origin one step
    apart), best first; the ensemble averages the GRU with fc.partner_."""
    val_end = [e + fc.k_ * fc.horizon_ for e in train_end]
    scores = {name: metrics(fc, series, train_end, name) for name in ("deep", *CLASSICAL, "ensemble")}
    rows = []
    for name, val in scores.items():
        test = metrics(fc, series, val_end, name)
        title = TITLES.get(name) or f"{TITLES['deep']} and {TITLES[fc.partner_]}, averaged"
        took = seconds.get(name, 0.0) + (seconds["deep"] if name == "ensemble" else 0)
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
    order = sorted(range(len(rows)), key=lambda i: (rows[i]["validation_mase"], i))
    return [rows[i] | {"chosen": rank == 0} for rank, i in enumerate(order)]
