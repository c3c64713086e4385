"""Series cut into windows: the inputs a forecaster reads (the last `lookback` steps,
centred on their own mean and divided by the series' spread) and the `horizon` steps
after them; forecasts from rolling origins (up to ORIGINS per window, evenly spaced) by
every model, the statistical ones fitted once on the history before the window; their
metrics against seasonal naive, and the leaderboard."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...budget import current
from ...classical import statistical
from ...errors import DataError
from ...evaluate import forecast_metrics, naive_error
from .seasons import seasons_of

MAX_WINDOWS = 50_000  # training windows, spread evenly when there are more
ORIGINS = 20  # forecast origins per series and window, evenly spaced
VALIDATION_SPAN = 2  # the validation window is up to this many times the test window, history allowing
LONG_SEASON = 200  # a season longer than this is left to the statistical models, not the GRU's window
WINDOW_MODELS = ("deep", "naive", "seasonal-naive", "linear-ar")  # forecast from the last window
TITLES = {
    "deep": "GRU over windows (deep)",
    "seasonal-naive": "seasonal naive",
    "linear-ar": "linear autoregressive (ridge)",
    **statistical.TITLES,
}


@dataclass
class Layout:
    """How series are cut: where training ends in each, the horizons in the test window
    (k) and in the validation window before it (kv), the seasons (shortest first), the
    lookback (steps read per forecast) and each series' spread."""

    train_end: list[int]
    k: int
    kv: int
    seasons: list[int]
    season_source: str  # "given", "calendar", "detected" or "none found"
    lookback: int
    scales: list[float]

    @property
    def season(self) -> int:
        """The season of seasonal naive and of MASE's scale: the shortest (1: none)."""
        return self.seasons[0] if self.seasons else 1


def layout(series, horizon: int, season: int | None, k_max: int) -> Layout:
    """The last k x H steps of every series test, the kv x H before them validate (kv up to
    VALIDATION_SPAN x k where the history is long: choosing among models on more windows
    is less of a lottery), the rest trains; the seasons are given, or the calendar's that
    show, or detected; refused when the history is too short for them."""
    shortest = min(len(v) for v in series.values)
    k = max(1, min(k_max, shortest // (10 * horizon)))
    kv = max(k, min(VALIDATION_SPAN * k_max, shortest // (10 * horizon)))
    train_end = [len(v) - (k + kv) * horizon for v in series.values]
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
    seasons, source = seasons_of(series.step, train_parts, season)
    windowed = max([s for s in seasons if s <= LONG_SEASON], default=0)
    lookback = int(min(max(2 * horizon, 2 * windowed, 16), min(train_end) - horizon))
    scales = [float(np.std(p)) or 1.0 for p in train_parts]  # each series' spread
    return Layout(train_end, k, kv, seasons, source, lookback, scales)


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


def origins(fc, start: int, k: int) -> np.ndarray:
    """The origins of a window of k x H steps from start: every one whose H steps lie in
    it, thinned evenly to at most ORIGINS."""
    span = (k - 1) * fc.horizon_ + 1
    return start + np.unique(np.linspace(0, span - 1, min(span, ORIGINS)).round().astype(int))


def rolling(fc, values, starts: list[int], model: str | None, scales: list[float], k: int):
    """Forecasts by model from the origins of each series' window of k x H steps from
    starts[i]: (truths, forecasts, series index); model None: the truths only."""
    truth, inputs, window_scales, which, histories = [], [], [], [], []
    for i, (v, a) in enumerate(zip(values, starts)):
        for t in origins(fc, a, k):
            inputs.append(v[t - fc.lookback_ : t])
            truth.append(v[t : t + fc.horizon_])
            window_scales.append(scales[i])
            which.append(i)
            histories.append((i, a, t))
    if model is None:
        return np.array(truth), None, np.array(which)
    forecasts = fc.predict_windows(np.array(inputs), np.array(window_scales), model, values, histories)
    return np.array(truth), forecasts, np.array(which)


def statistical_forecasts(fc, name: str, values, histories: list[tuple]) -> np.ndarray:
    """A statistical model's forecasts from each origin (series i, window start a, origin t):
    fitted once per series on the steps before the window, run on to each origin."""
    out = []
    for i, a, t in histories:
        key = (name, i, a, id(values))
        if key not in fc.fits_:
            fc.fits_[key] = statistical.fit(name, values[i][:a], fc.seasons_)
        out.append(statistical.forward(fc.fits_[key], values[i][:t], fc.horizon_))
    return np.array(out)


def metrics(fc, series, starts: list[int], model: str, k: int, scales: list[float] | None = None) -> dict:
    """MASE (errors over the in-sample seasonal-naive error of each series, averaged),
    sMAPE, MAE, and the MAE relative to seasonal naive's, on the windows of k x H steps
    from starts."""
    scales = scales or fc.scales_
    truth, forecast, which = rolling(fc, series.values, starts, model, scales, k)
    _, naive, _ = rolling(fc, series.values, starts, "seasonal-naive", scales, k)
    given = series.observed or [np.ones(len(v), bool) for v in series.values]
    scored, _, _ = rolling(fc, given, starts, None, scales, k)
    scale = np.array([naive_error(v[:a], fc.season_) for v, a in zip(series.values, starts)])
    return forecast_metrics(truth, forecast, naive, which, scored.astype(bool), scale)


def candidates(fc) -> list[str]:
    """The models scored on validation: the GRU, the window baselines, the statistical ones
    (those that were tried: affordable())."""
    every = [*WINDOW_MODELS, *statistical.names(fc.seasons_)[1:]]  # naive is a window model
    tried = getattr(fc, "candidates_", None)
    return [name for name in every if name in tried] if tried else every


def affordable(fc, series, train_end: list[int]) -> list[str]:
    """The candidates tried within the run's time limit: the window models always, each
    statistical model while time is left (fitted now, on the validation window; scored
    later from fc.fits_)."""
    tried = list(WINDOW_MODELS)
    for name in statistical.names(fc.seasons_)[1:]:
        if current().over():
            current().cut(f"{TITLES[name].split(' (')[0]} was not tried")
            continue
        metrics(fc, series, train_end, name, fc.kv_)
        tried.append(name)
    return tried


def best_partner(fc, series, train_end: list[int]) -> str:
    """The non-deep model with the lowest validation MASE (the naive forecast aside): the
    GRU's partner in the ensemble."""
    others = [n for n in candidates(fc) if n not in ("deep", "naive")]
    return min(others, key=lambda name: metrics(fc, series, train_end, name, fc.kv_)["mase"])


def leaderboard(fc, series, train_end: list[int], seconds: dict) -> list[dict]:
    """Every model scored by MASE on the validation window (from rolling origins), best
    first; the ensemble averages the GRU with fc.partner_."""
    val_end = [e + fc.kv_ * fc.horizon_ for e in train_end]
    scores = {name: metrics(fc, series, train_end, name, fc.kv_) for name in (*candidates(fc), "ensemble")}
    rows = []
    for name, val in scores.items():
        test = metrics(fc, series, val_end, name, fc.k_)
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
    best = rows[order[0]]["name"]
    if best != "naive" and not beats_naive(fc, series, train_end, best):
        order.remove(naive := next(i for i, r in enumerate(rows) if r["name"] == "naive"))
        order.insert(0, naive)
    return [rows[i] | {"chosen": rank == 0} for rank, i in enumerate(order)]


def beats_naive(fc, series, train_end: list[int], name: str) -> bool:
    """Whether the model's errors on the validation window are lower than the naive
    forecast's by more than their noise: the mean paired difference of scaled errors,
    below zero by more than one standard error (counting the window's kv x H steps per
    series as kv independent windows, since forecasts from nearby origins overlap)."""
    truth, ours, which = rolling(fc, series.values, train_end, name, fc.scales_, fc.kv_)
    _, naive, _ = rolling(fc, series.values, train_end, "naive", fc.scales_, fc.kv_)
    scale = np.array([naive_error(v[:a], fc.season_) for v, a in zip(series.values, train_end)])[which]
    gaps = (np.abs(truth - ours) - np.abs(truth - naive)) / scale[:, None]  # (origins, H)
    independent = max(len(series.values) * fc.kv_, 2)
    return float(gaps.mean() + gaps.std() / np.sqrt(independent)) < 0
