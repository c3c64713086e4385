"""The statistical models' fits. In training, each is fitted once per series on the steps
before the validation window, the cheapest first, within the run's time limit (a model
expected to run past it is not started, one that runs past it is left out) and with a
progress event at least every HEARTBEAT seconds. What a fit found (ARIMA's orders, ETS's
components: its form) is kept for the models the kept forecaster uses, so that a forecast
fits them again on the history it is given in a fraction of the search's time."""

from __future__ import annotations

import importlib
import sys
import time

from ...budget import current
from ...classical import statistical
from ...log import progress
from .windows import TITLES, calendar

HEARTBEAT = 2.0  # seconds between progress events while a statistical model is fitted
# What a run must keep, beyond the budget's own reserve, for what follows the last stage: the
# report's two plots (and matplotlib's first import, where no plot was drawn yet), measured
# 2.5-4 s on two busy cores.
REPORT_SECONDS = 2.0
IMPORTS = {"matplotlib.pyplot": 1.5}


def left() -> float:
    """The seconds a stage of training may still take: the run's, less what saving the model
    and its report will (inf without a time limit)."""
    return current().left() - REPORT_SECONDS - _importing("matplotlib.pyplot")


def _importing(module: str) -> float:
    return 0.0 if module in sys.modules else IMPORTS[module]


def fit_statistical(fc, series, train_end: list[int]) -> dict[str, float]:
    """Each statistical model fitted on every series' steps before train_end (fc.fits_)
    while the time limit allows; {model: seconds} of those fitted, the combination of ETS,
    Theta and ARIMA too where all three are."""
    names, tried, rate = statistical.names(fc.seasons_)[1:], {}, None
    lengths = list(train_end)
    with progress(total=len(names) * len(lengths), desc="Statistical models", unit="fit") as bar:
        ready = _import(bar)
        for name in names:
            work = statistical.cost(name, fc.seasons_, lengths, calendar(fc))
            title = TITLES[name].split(" (")[0]
            if not ready or left() <= 0 or (rate is not None and rate * work > left()):
                current().cut(f"{title} was not tried")
                bar.update(len(lengths))
                continue
            took = _fit_each(fc, name, series, train_end, bar)
            if took is None:
                current().cut(f"{title} was stopped at the time limit and left out")
                continue
            tried[name] = took
            done = sum(statistical.cost(n, fc.seasons_, lengths, calendar(fc)) for n in tried)
            rate = sum(tried.values()) / max(done, 1e-9)  # seconds per step of ETS fitting, here
    if all(m in tried for m in statistical.COMBINED):
        for i, end in enumerate(train_end):
            key = (i, end, id(series.values))
            fc.fits_[("combination", *key)] = {m: fc.fits_[(m, *key)] for m in statistical.COMBINED}
        tried["combination"] = sum(tried[m] for m in statistical.COMBINED)
    return tried


def _import(bar) -> bool:
    """statsforecast imported (the first time, a few seconds), unless the time limit is
    reached first."""
    module = "statsforecast.models"
    if module not in sys.modules and left() <= 0:
        return False
    beat = lambda seconds: bar.set_postfix({"importing": "statsforecast", "seconds": round(seconds)})  # noqa: E731
    finished, _ = statistical.watched(lambda: importlib.import_module(module), beat, HEARTBEAT, _late)
    return finished


def _late() -> bool:
    return left() <= 0


def _fit_each(fc, name: str, series, train_end: list[int], bar) -> float | None:
    """name fitted on each series; its seconds, or None when it was left at the time limit."""
    start = time.perf_counter()
    for i, (values, end) in enumerate(zip(series.values, train_end)):
        bar.set_postfix({"model": name})

        def beat(seconds: float) -> None:
            bar.set_postfix({"model": name, "seconds": round(seconds)})

        def work(values=values, end=end):
            return statistical.fit(name, values[:end], fc.seasons_, calendar=calendar(fc))

        finished, fitted = statistical.watched(work, beat, HEARTBEAT, _late)
        if not finished:
            return None
        fc.fits_[(name, i, end, id(series.values))] = fitted
        bar.update(1)
    return time.perf_counter() - start


def used(choice: str, partner: str) -> list[str]:
    """The statistical models a kept forecaster forecasts with."""
    names = [choice] + ([partner] if choice == "ensemble" else [])
    return [n for n in names if n in statistical.TITLES and n != "naive"]


def forms_found(fc, series, train_end: list[int]) -> dict[str, dict]:
    """{model: {series id: its form}} of the statistical models the kept forecaster uses,
    as fitted in training."""
    found = {}
    for name in used(fc.choice_, fc.partner_):
        fits = [fc.fits_.get((name, i, end, id(series.values))) for i, end in enumerate(train_end)]
        found[name] = {key: statistical.form(name, f) for key, f in zip(series.ids, fits)}
    return found


def fit_kept(fc, series, ends: list[int]) -> None:
    """The statistical models the kept forecaster uses, fitted on each series' steps
    before ends (fc.fits_), in the form found in training where the series was seen."""
    for name in used(fc.choice_, fc.partner_):
        forms = fc.forms_.get(name, {})
        for i, (key, values, end) in enumerate(zip(series.ids, series.values, ends)):
            fitted = statistical.fit(name, values[:end], fc.seasons_, forms.get(key), calendar(fc))
            fc.fits_[(name, i, end, id(series.values))] = fitted
