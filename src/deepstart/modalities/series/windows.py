"""Series cut into windows: the inputs a forecaster reads (the last `lookback` steps,
centred on their own mean and divided by the series' spread) and the `horizon` steps
after them; forecasts from rolling origins (up to ORIGINS per window, evenly spaced) by
every model, the statistical ones fitted once on the history before the window (or
before an earlier one: their state is run on over the steps between), and their metrics
against seasonal naive. Which models are scored and kept: board.py."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...classical import statistical
from ...errors import DataError
from ...evaluate import forecast_metrics, naive_error
from .seasons import seasons_of

MAX_WINDOWS = 50_000  # training windows, spread evenly when there are more
ORIGINS = 20  # forecast origins per series and window, evenly spaced
VALIDATION_SPAN = 2  # the validation window is up to this many times the test window, history allowing
LONG_SEASON = 200  # a season longer than this is left to the statistical models, not the GRU's window
WINDOW_MODELS = ("deep", "naive", "seasonal-naive", "linear-ar")  # forecast from the last window
NETWORKS = {  # the deep model's title, by network (older model folders hold the GRU)
    "mlp-forecaster": "N-HiTS multilayer perceptrons over windows (deep)",
    "gru-forecaster": "GRU over windows (deep)",
}
TITLES = {
    "deep": NETWORKS["mlp-forecaster"],
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


def rolling(fc, values, starts: list[int], model: str | None, scales: list[float], k: int, fitted_to=None):
    """Forecasts by model from the origins of each series' window of k x H steps from
    starts[i]: (truths, forecasts, series index); model None: the truths only. A
    statistical model is fitted on the steps before fitted_to[i] (starts[i] by default)."""
    truth, inputs, window_scales, which, histories = [], [], [], [], []
    for i, (v, a) in enumerate(zip(values, starts)):
        for t in origins(fc, a, k):
            inputs.append(v[t - fc.lookback_ : t])
            truth.append(v[t : t + fc.horizon_])
            window_scales.append(scales[i])
            which.append(i)
            histories.append((i, a if fitted_to is None else fitted_to[i], t))
    if model is None:
        return np.array(truth), None, np.array(which)
    forecasts = fc.predict_windows(np.array(inputs), np.array(window_scales), model, values, histories)
    return np.array(truth), forecasts, np.array(which)


def statistical_forecasts(fc, name: str, values, histories: list[tuple]) -> np.ndarray:
    """A statistical model's forecasts from each origin (series i, fitted to a, origin t):
    fitted once per series on the steps before a, run on to each origin."""
    out, keep = [], statistical.recent(name, fc.seasons_)
    for i, a, t in histories:
        key = (name, i, a, id(values))
        if key not in fc.fits_:
            fc.fits_[key] = statistical.fit(name, values[i][:a], fc.seasons_, calendar=calendar(fc))
        history = values[i][:t]
        out.append(statistical.forward(fc.fits_[key], history[-keep:] if keep else history, fc.horizon_))
    return np.array(out)


def calendar(fc) -> bool:
    """Whether the forecaster's seasons are the calendar's or given, not found in the data."""
    return fc.season_source_ != "detected"


def metrics(fc, series, starts: list[int], model: str, k: int, scales: list[float] | None = None) -> dict:
    """MASE (errors over the in-sample seasonal-naive error of each series, averaged),
    sMAPE, MAE, and the MAE relative to seasonal naive's, on the windows of k x H steps
    from starts."""
    scales = scales or fc.scales_
    truth, forecast, which = rolling(fc, series.values, starts, model, scales, k)
    _, naive, _ = rolling(fc, series.values, starts, "seasonal-naive", scales, k)
    return scored(fc, series, starts, k, (truth, forecast, which), naive)


def scored(fc, series, starts: list[int], k: int, forecasts: tuple, naive: np.ndarray) -> dict:
    """metrics() of forecasts already made: (truths, forecasts, series index) and seasonal
    naive's forecasts from the same origins."""
    truth, forecast, which = forecasts
    given = series.observed or [np.ones(len(v), bool) for v in series.values]
    observed, _, _ = rolling(fc, given, starts, None, [1.0] * len(given), k)  # where truths were given
    scale = np.array([naive_error(v[:a], fc.season_) for v, a in zip(series.values, starts)])
    return forecast_metrics(truth, forecast, naive, which, observed.astype(bool), scale)
