"""A series' seasons. The calendar comes first: for daily steps a week and a year, for
hours a day and a week, for months a year, for quarters a year; each is kept where the
series really repeat so (their autocorrelation peaks there) and two whole seasons fit in
the history. When the calendar has none (steps that are plain numbers, or no calendar
season shows), the autocorrelation's own strongest peak is the season."""

from __future__ import annotations

import pandas as pd

from ...classical.series import confirmed, detect_season

PERIODS = (pd.Timedelta(days=1), pd.Timedelta(days=7), pd.Timedelta(days=365.25))  # a day, week, year


def calendar(step) -> list[int]:
    """The calendar's seasons, in steps, for a step (a pandas offset; none for numbers)."""
    if isinstance(step, (int, float)):
        return []
    months = _months(step)
    if months:
        return [12 // months] if months < 12 and 12 % months == 0 else []
    length = _length(step)
    if length is None:
        return []
    found = []
    for period in PERIODS:
        m = period / length
        whole = abs(m - round(m)) < 0.01 or period == PERIODS[-1]  # a year of days: 365.25 -> 365
        if m >= 2 and whole:
            found.append(int(round(m)))
    return found


def _months(step) -> int | None:
    offsets = pd.offsets
    if isinstance(step, (offsets.MonthBegin, offsets.MonthEnd)):
        return step.n
    if isinstance(step, (offsets.QuarterBegin, offsets.QuarterEnd)):
        return 3 * step.n
    if isinstance(step, (offsets.YearBegin, offsets.YearEnd)):
        return 12 * step.n
    if type(step) is pd.DateOffset:
        return step.kwds.get("months") or 12 * step.kwds.get("years", 0) or None
    return None


def _length(step) -> pd.Timedelta | None:
    if isinstance(step, pd.offsets.Week):
        return pd.Timedelta(days=7 * step.n)
    try:
        return pd.Timedelta(step)
    except (ValueError, TypeError):
        return None


def seasons_of(step, train_parts: list, given: int | None) -> tuple[list[int], str]:
    """(the seasons, shortest first, and where they come from: "given", "calendar",
    "detected" or "none found")."""
    if given:
        return [given], "given"
    shortest = min(len(p) for p in train_parts)
    found = [m for m in calendar(step) if 2 * m <= shortest and confirmed(train_parts, m)]
    if found:
        return found, "calendar"
    detected = detect_season(train_parts, min(shortest // 3, 400))
    return ([detected], "detected") if detected > 1 else ([], "none found")
