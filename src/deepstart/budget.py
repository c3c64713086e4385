"""A time limit for a whole run (`--time-limit 10m`, the studio's budget), as AutoGluon's
time_limit and H2O's max_runtime_secs are: every stage asks the run's Budget how much
time is left for it, shortens itself to fit (fewer epochs, fewer folds, fewer models)
and says what it cut; the run ends within the limit, with the best model found so far.

    with limited(600):          # the run's clock starts here
        ...
        seconds = current().share(0.6)   # a stage's part of what is left
        if current().over(): current().cut("the random forest was not tried")

Outside limited(), current() is a Budget without a limit: nothing is cut."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from .errors import ConfigError

UNITS = {"s": 1, "m": 60, "h": 3600}
RESERVE = 0.08  # of the limit, kept for saving the model and writing its report (at least 1.5 s)
MIN_TIME_LIMIT = 5  # seconds: less leaves no time to read the data and train one epoch


class Budget:
    """The time a run has: its limit, when it began, and what was cut to keep to it."""

    def __init__(self, seconds: float | None = None, started: float | None = None):
        self.seconds = seconds
        self.started = time.perf_counter() if started is None else started
        self.cuts: list[str] = []

    @property
    def limited(self) -> bool:
        return self.seconds is not None

    def spent(self) -> float:
        return time.perf_counter() - self.started

    def left(self) -> float:
        """Seconds left before the limit, less the reserve for saving (inf without a limit)."""
        if self.seconds is None:
            return math.inf
        return self.seconds - max(1.5, RESERVE * self.seconds) - self.spent()

    def over(self) -> bool:
        return self.left() <= 0

    def share(self, fraction: float) -> float:
        """A stage's part of the time left (inf without a limit; never below 0)."""
        return max(0.0, fraction * self.left())

    def record(self) -> dict | None:
        """What the manifest keeps of it: the limit, the time spent, what was cut."""
        if self.seconds is None:
            return None
        return {"limit": self.seconds, "spent": round(self.spent(), 2), "cuts": list(self.cuts)}

    def cut(self, what: str) -> None:
        """What was left out or shortened to keep to the limit, in words, once each."""
        if what not in self.cuts:
            self.cuts.append(what)
            from .log import warn

            warn(f"To keep to the time limit ({describe(self.seconds)}), {what}.")


_CURRENT: ContextVar[Budget | None] = ContextVar("deepstart_budget", default=None)


def current() -> Budget:
    """The run's budget (one without a limit outside limited())."""
    return _CURRENT.get() or Budget()


@contextmanager
def limited(seconds: float | None, started: float | None = None) -> Iterator[Budget]:
    """Within: the run has seconds (None: no limit), counted from started (now)."""
    token = _CURRENT.set(Budget(seconds, started))
    try:
        yield _CURRENT.get()
    finally:
        _CURRENT.reset(token)


@contextmanager
def within(seconds: float | None, started: float | None = None) -> Iterator[Budget]:
    """The budget a run keeps to: the one already running (a command that saves too, the
    studio's job), else a new one of seconds."""
    running = _CURRENT.get()
    if running is not None:
        yield running
        return
    with limited(seconds, started) as budget:
        yield budget


def duration(value) -> float:
    """Seconds from "90s", "10m", "2h", "1.5h" or a bare number of seconds; refused in one line."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", str(value))
        seconds = float(found[1]) * UNITS[found[2] or "s"] if found else -1.0
    if not seconds > 0 or not math.isfinite(seconds):
        raise ConfigError(f"Give a time such as 90s, 10m or 2h (a bare number is seconds); got {value!r}.")
    return seconds


def describe(seconds: float | None) -> str:
    """90 -> "1 min 30 s", 45 -> "45 s"."""
    if seconds is None:
        return "none"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes and rest else f"{minutes} min" if minutes else f"{rest} s"


def budget_text(budget: dict | None) -> list[str]:
    """A summary's line for a manifest's budget record: the time limit, the time it took,
    and what was cut to keep to it (none without a limit)."""
    if not budget:
        return []
    cuts = "; ".join(budget["cuts"]) or "nothing was cut"
    return [f"Time limit {describe(budget['limit'])}: trained in {budget['spent']:.0f} s; {cuts}."]
