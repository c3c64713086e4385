"""The statistical forecasters the field starts from, from Nixtla's statsforecast: the
naive forecast (the last value), exponential smoothing (AutoETS), Theta (AutoTheta),
ARIMA (AutoARIMA) and, for seasons too long for those, MSTL (each season taken out,
the rest forecast by ETS). Each is stored as its name and seasons only (no pickle): it
is fitted again on the history it forecasts from, as these models are meant to be."""

from __future__ import annotations

import warnings

import numpy as np

TITLES = {
    "naive": "naive (the last value)",
    "ets": "exponential smoothing (AutoETS)",
    "theta": "Theta (AutoTheta)",
    "arima": "ARIMA (AutoARIMA)",
    "mstl": "MSTL (seasons taken out, ETS on the rest)",
}
SHORT_SEASON = 24  # ETS and ARIMA model seasons up to this long; longer ones go to MSTL and Theta
MAX_HISTORY = 1000  # steps an ARIMA is fitted on (the latest ones): its search grows fast with length


def names(seasons: list[int]) -> list[str]:
    """The statistical models worth fitting for series with these seasons (steps)."""
    return ["naive", "ets", "theta", "arima", *(["mstl"] if any(s > SHORT_SEASON for s in seasons) else [])]


def _model(name: str, seasons: list[int], length: int):
    from statsforecast.models import MSTL, AutoARIMA, AutoETS, AutoTheta, Naive

    usable = [s for s in seasons if 2 <= s and 2 * s <= length]  # two whole seasons of history
    short = next((s for s in usable if s <= SHORT_SEASON), 1)
    if name == "naive":
        return Naive()
    if name == "ets":
        return AutoETS(season_length=short)
    if name == "theta":
        return AutoTheta(season_length=usable[0] if usable else 1)
    if name == "arima":
        return AutoARIMA(season_length=short)
    if name == "mstl":
        return MSTL(season_length=usable or [1], trend_forecaster=AutoETS(model="ZZN"))
    raise KeyError(f"unknown statistical model {name!r}")


def fit(name: str, history: np.ndarray, seasons: list[int]):
    """The model fitted on a history; None when it cannot be (too short, constant)."""
    history = np.asarray(history, np.float64)
    if name == "arima":
        history = history[-MAX_HISTORY:]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _model(name, seasons, len(history)).fit(history)
    except Exception:  # noqa: BLE001 - statsforecast raises many kinds; the naive forecast stands in
        return None


def forward(fitted, history: np.ndarray, horizon: int) -> np.ndarray:
    """The next horizon steps after history, by a model fitted on an earlier part of it
    (its settings kept, its state run over the new steps); the last value when the model
    could not be fitted."""
    history = np.asarray(history, np.float64)
    if fitted is not None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mean = np.asarray(fitted.forward(y=history, h=horizon)["mean"], np.float64)
            if mean.shape == (horizon,) and np.isfinite(mean).all():
                return mean
        except Exception:  # noqa: BLE001 - as in fit
            pass
    return np.full(horizon, history[-1])


def forecast(name: str, history: np.ndarray, seasons: list[int], horizon: int) -> np.ndarray:
    """Fitted on the whole history given, the next horizon steps."""
    return forward(fit(name, history, seasons), history, horizon)
