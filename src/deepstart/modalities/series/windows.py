"""Series cut into windows: the inputs a forecaster reads (the last `lookback` steps,
centred on their own mean and divided by the series' spread) and the `horizon` steps
after them; forecasts from every origin of a window one step apart (rolling origins),
and their metrics against seasonal naive."""

from __future__ import annotations

import numpy as np

from ...evaluate import forecast_metrics, naive_error

MAX_WINDOWS = 50_000  # training windows, spread evenly when there are more


def windows(f, values, starts, ends, first_target: bool = False):
    """Scaled (inputs, targets) for every origin t with starts[k] <= t <= ends[k] - H (the
    inputs end at t, the targets are the H steps from t); f is the forecaster."""
    h, lookback, xs, ys = f.horizon_, f.lookback_, [], []
    for v, scale, a, b in zip(values, f.scales_, starts, ends):
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


def rolling(f, values, starts: list[int], model: str | None, scales: list[float]):
    """Forecasts by model from every origin whose H steps lie in the window of k x H steps
    from starts[i], one step apart: (truths, forecasts, series index); model None: the
    truths only (forecasts None)."""
    truth, inputs, window_scales, which = [], [], [], []
    for i, (v, a) in enumerate(zip(values, starts)):
        for j in range((f.k_ - 1) * f.horizon_ + 1):
            t = a + j
            inputs.append(v[t - f.lookback_ : t])
            truth.append(v[t : t + f.horizon_])
            window_scales.append(scales[i])
            which.append(i)
    if model is None:
        return np.array(truth), None, np.array(which)
    forecasts = f.predict_windows(np.array(inputs), np.array(window_scales), model)
    return np.array(truth), forecasts, np.array(which)


def metrics(f, series, starts: list[int], model: str, scales: list[float] | None = None) -> dict:
    """MASE (errors over the in-sample seasonal-naive error of each series, averaged),
    sMAPE, MAE, and the MAE relative to seasonal naive's on the same window."""
    scales = scales or f.scales_
    truth, forecast, which = rolling(f, series.values, starts, model, scales)
    _, naive, _ = rolling(f, series.values, starts, "seasonal-naive", scales)
    given = series.observed or [np.ones(len(v), bool) for v in series.values]
    scored, _, _ = rolling(f, given, starts, None, scales)
    scale = np.array([naive_error(v[:a], f.season_) for v, a in zip(series.values, starts)])
    return forecast_metrics(truth, forecast, naive, which, scored.astype(bool), scale)
