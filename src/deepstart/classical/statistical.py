"""The statistical forecasters the field starts from, from Nixtla's statsforecast: the
naive forecast (the last value), exponential smoothing (AutoETS), Theta (AutoTheta),
ARIMA (AutoARIMA), their combination (the median of the three, as the M4 competition's
combinations and SCUM do) and, for seasons too long for those, MSTL (each season taken
out, the rest forecast by ETS). Each is stored as its name and seasons only (no pickle):
it is fitted again on the history it forecasts from, as these models are meant to be."""

from __future__ import annotations

import re
import threading
import time
import warnings

import numpy as np

TITLES = {
    "naive": "naive (the last value)",
    "ets": "exponential smoothing (AutoETS)",
    "theta": "Theta (AutoTheta)",
    "arima": "ARIMA (AutoARIMA)",
    "mstl": "MSTL (seasons taken out, ETS on the rest)",
    "combination": "ETS, Theta and ARIMA combined (their median)",
}
COMBINED = ("ets", "theta", "arima")  # the members of "combination", each fitted on its own
SHORT_SEASON = 24  # ETS and ARIMA model seasons up to this long; longer ones go to MSTL and Theta
MAX_HISTORY = 1000  # steps an ARIMA is fitted on (the latest ones): its search grows fast with length
# A fit's cost relative to ETS's on the same steps (measured on 80 to 2,000 steps here: Theta
# 0.1-1.5x, MSTL ~1x, ARIMA 3-40x, the most with a season): what a model is expected to take
# before it starts, from what the ones before it took.
COST = {"theta": 1.0, "ets": 1.0, "mstl": 1.5, "arima": 8.0}
SEASONAL_ARIMA = 5.0  # a seasonal ARIMA's search costs about this many times a plain one's


def names(seasons: list[int]) -> list[str]:
    """The statistical models worth fitting for series with these seasons (steps), the
    cheapest first (the combination is made of ets, theta and arima, not fitted itself)."""
    return ["naive", "theta", "ets", *(["mstl"] if any(s > SHORT_SEASON for s in seasons) else []), "arima"]


def cost(name: str, seasons: list[int], lengths: list[int], calendar: bool = True) -> float:
    """The expected cost of fitting name on series of these lengths, in steps of ETS
    fitting (see COST): one time unit, learned from the fits before it, serves them all."""
    total = 0.0
    for steps in lengths:
        seasonal = calendar and any(2 <= s <= SHORT_SEASON and 2 * s <= steps for s in seasons)
        if name == "arima":
            steps = min(steps, MAX_HISTORY) * (SEASONAL_ARIMA if seasonal else 1.0)
        total += COST.get(name, 0.0) * steps
    return total


def _model(name: str, seasons: list[int], length: int, calendar: bool):
    from statsforecast.models import MSTL, AutoARIMA, AutoETS, AutoTheta, Naive

    usable = [s for s in seasons if 2 <= s and 2 * s <= length]  # two whole seasons of history
    short = next((s for s in usable if s <= SHORT_SEASON), 1)
    if name == "naive":
        return Naive()
    if name == "ets":
        return AutoETS(season_length=short)
    if name == "theta":
        return AutoTheta(season_length=usable[0] if usable else 1)
    if name == "arima":  # a cycle found in the data (the sunspots' 11 years) varies in length
        return AutoARIMA(season_length=short if calendar else 1)
    if name == "mstl":
        return MSTL(season_length=usable or [1], trend_forecaster=AutoETS(model="ZZN"))
    raise KeyError(f"unknown statistical model {name!r}")


def fit(name: str, history: np.ndarray, seasons: list[int], form: dict | None = None, calendar: bool = True):
    """The model fitted on a history; None when it cannot be (too short, constant). With
    a form (form() of an earlier fit), only that form is fitted, not searched for again.
    The combination is its members, each fitted. calendar: whether the seasons are the
    calendar's (or given), not found in the data: only then does ARIMA model them (its
    seasonal search took 40 s on 250 yearly sunspots, where the plain one took 0.5 s)."""
    if name == "combination":
        return {m: fit(m, history, seasons, (form or {}).get(m), calendar) for m in COMBINED}
    history = np.asarray(history, np.float64)
    if name == "arima":
        history = history[-MAX_HISTORY:]
    found = (_fixed(name, form), _model(name, seasons, len(history), calendar))
    for model in [m for m in found if m is not None]:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return model.fit(history)
        except Exception:  # noqa: BLE001, PERF203 - statsforecast raises many kinds; the next stands in
            continue
    return None


ETS_METHOD = re.compile(r"ETS\(([AM]),([AN])(d?),([AMN])\)")


def form(name: str, fitted) -> dict | None:
    """What a fit found, as JSON: ARIMA's orders, ETS's components (None for the others,
    whose search is cheap)."""
    if isinstance(fitted, dict):
        return {m: form(m, part) for m, part in fitted.items()}
    found = getattr(fitted, "model_", None)
    if name == "arima" and found is not None:
        p, q, big_p, big_q, season, d, big_d = (int(v) for v in found["arma"])
        terms = found.get("coef") or {}
        return {"order": [p, d, q], "seasonal_order": [big_p, big_d, big_q], "season": season} | {
            "mean": "intercept" in terms,
            "drift": "drift" in terms,
        }
    parts = (
        ETS_METHOD.fullmatch(str(found.get("method", ""))) if name == "ets" and found is not None else None
    )
    if parts:
        error, trend, damped, season = parts.groups()
        return {"model": error + trend + season, "damped": bool(damped), "season": int(found["m"])}
    return None


def _fixed(name: str, form) -> object | None:
    """The model of a form, or None (no form, or one that does not read as one: a form comes
    from a manifest)."""
    from statsforecast.models import ARIMA, AutoETS

    try:
        if name == "arima":
            order = tuple(int(v) for v in form["order"])
            seasonal = tuple(int(v) for v in form["seasonal_order"])
            if len(order) != 3 or len(seasonal) != 3 or not all(0 <= v <= 9 for v in order + seasonal):
                return None
            return ARIMA(
                order=order,
                seasonal_order=seasonal,
                season_length=max(1, int(form["season"])),
                include_mean=form["mean"] is True,
                include_drift=form["drift"] is True,
            )
        if name == "ets" and re.fullmatch("[AM][AN][AMN]", str(form["model"])):
            return AutoETS(
                season_length=max(1, int(form["season"])), model=form["model"], damped=form["damped"] is True
            )
    except (TypeError, KeyError, ValueError):
        return None
    return None


def watched(work, beat, every: float = 2.0, give_up=None):
    """work() in a thread of its own, with beat(seconds so far) called every `every`
    seconds while it runs (a long fit keeps the progress events coming) and give_up()
    asked as often: when it says so, the fit is left to finish on its own (a daemon
    thread: it ends with the process) and (False, None) is returned; else (True, result)."""
    done, box = threading.Event(), {}

    def run() -> None:
        try:
            box["result"] = work()
        finally:
            done.set()

    threading.Thread(target=run, daemon=True, name="deepstart-fit").start()
    start = time.perf_counter()
    while not done.wait(every):
        beat(time.perf_counter() - start)
        if give_up is not None and give_up():
            return False, None
    return "result" in box, box.get("result")


def recent(name: str, seasons: list[int]) -> int | None:
    """How many of the latest steps a fitted model reads to forecast (None: all): MSTL
    decomposes what it is given at every forecast, 0.3 s for 1,700 steps, and its
    forecasts from the last 500 (or four of its longest seasons) are the same to 0.1 %."""
    return max(500, 4 * max(seasons, default=1)) if name == "mstl" else None


def forward(fitted, history: np.ndarray, horizon: int) -> np.ndarray:
    """The next horizon steps after history, by a model fitted on an earlier part of it
    (its settings kept, its state run over the new steps); the last value when the model
    could not be fitted. The combination: the median of its members' forecasts."""
    history = np.asarray(history, np.float64)
    if isinstance(fitted, dict):
        return np.median([forward(member, history, horizon) for member in fitted.values()], axis=0)
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
    """Fitted on the whole history given (seasons of the calendar), the next horizon steps."""
    return forward(fit(name, history, seasons), history, horizon)
