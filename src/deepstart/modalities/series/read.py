"""Time series from a table: one series, or many in long format (an --id column), each
a --target number per --time step. Steps must be regular: duplicates are refused,
gaps are reported and filled by linear interpolation, as are missing values."""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ...data.columns import is_missing, numbers, parse_dates
from ...data.labels import require_column
from ...data.tables import as_text_table, read_table
from ...errors import DataError
from ...log import say, warn
from ...settings import named

TIME_NAMES = ("date", "time", "timestamp", "datetime", "year", "month", "week", "day", "period", "ds")


@dataclass
class Series:
    """Regular series: ids, and per series its values and the time of its first step."""

    ids: list[str]
    values: list[np.ndarray]  # float64, gaps filled
    starts: list  # a pd.Timestamp, or a number for numeric time
    step: object  # a pd.Timedelta / pd.DateOffset, or a number
    columns: dict  # {"target", "time", "id"}
    observed: list[np.ndarray] | None = None  # per series: True where the value was given, not filled in

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for key, values in zip(self.ids, self.values):
            digest.update(key.encode() + b"\0" + values.tobytes())
        return digest.hexdigest()

    def next_times(self, k: int, horizon: int) -> list:
        """The times of the horizon steps after series k."""
        last = self.starts[k] + self.step * (len(self.values[k]) - 1)
        return [last + self.step * (h + 1) for h in range(horizon)]


def read_series_from(data, target: str | None, time: str | None, id_column: str | None) -> Series:
    """Series from a table file (CSV, Parquet, ...) or a DataFrame."""
    if isinstance(data, pd.DataFrame):
        return read_series(as_text_table(data), "the DataFrame", target, time, id_column)
    path = Path(data)
    if not path.is_file():
        raise DataError(f"{path} is not a table file; give a table (CSV, Parquet, ...) with a time column.")
    return read_series(read_table(path), str(path), target, time, id_column)


def read_series(
    table: pd.DataFrame, origin: str, target: str | None, time: str | None, id_column: str | None
) -> Series:
    """Series from a table of strings (as read_table gives)."""
    if table.empty:
        raise DataError(f"{origin} has no rows; give one row per time step.")
    time = require_column(table, time, origin, "time") if time else _time_column(table, origin)
    if id_column:
        require_column(table, id_column, origin, "id")
    target = _target_column(table, target, [c for c in table.columns if c not in (time, id_column)], origin)
    values = _target_values(table[target], target, origin)
    stamps, numeric_time = _times(table[time], time, origin)
    groups = table[id_column].str.strip() if id_column else pd.Series("", index=table.index)
    frame = pd.DataFrame({"id": groups, "t": stamps, "y": values}).sort_values(["id", "t"], kind="stable")
    _one_row_per_step(frame, origin, bool(id_column))
    step = _step(frame, numeric_time, origin)
    ids, series, starts, observed = _on_steps(frame, step, numeric_time, origin, target)
    return Series(ids, series, starts, step, {"target": target, "time": time, "id": id_column}, observed)


def _target_column(table: pd.DataFrame, target: str | None, others: list[str], origin: str) -> str:
    """The column to forecast: the one given, else the only column besides time and id."""
    if target:
        return require_column(table, target, origin, "target")
    if len(others) == 1:
        return others[0]
    raise DataError(
        f"Cannot tell which column of {origin} to forecast (columns: {', '.join(table.columns)}); "
        f"choose it with {named('target')}."
    )


def _target_values(cells: pd.Series, target: str, origin: str) -> pd.Series:
    """The target's cells as numbers (NaN where missing); text or infinities refused."""
    values = numbers(cells)
    text = cells[values.isna() & ~is_missing(cells)]
    if len(text) or np.isinf(values).any():
        bad = text.iloc[0] if len(text) else "inf"
        raise DataError(
            f"The target '{target}' of {origin} must hold numbers, but holds {bad[:30]!r}; fix it."
        )
    return values


def _one_row_per_step(frame: pd.DataFrame, origin: str, has_ids: bool) -> None:
    """Refuses a time step given twice in one series (sorted frame of id, t, y)."""
    duplicated = frame.duplicated(["id", "t"])
    if duplicated.any():
        row = frame[duplicated].iloc[0]
        where = f" of series '{row['id']}'" if has_ids else ""
        raise DataError(
            f"{origin} has {int(duplicated.sum())} duplicate time steps{where} (e.g. {row['t']}); keep one "
            "row per time step"
            + (" and series." if has_ids else f", or name its series with {named('id')} if it holds several.")
        )


def _on_steps(frame: pd.DataFrame, step, numeric_time: bool, origin: str, target: str) -> tuple:
    """(ids, values, starts, observed) of each series on its regular steps: blanks at
    either end left out, skipped steps and missing values filled in by linear
    interpolation (and said); refused when too many steps are missing."""
    ids, series, starts, observed, gaps, filled, trimmed, steps = [], [], [], [], 0, 0, 0, 0
    for key, part in frame.groupby("id", sort=True):
        known = part["y"].notna().to_numpy()
        if not known.any():
            raise DataError(
                f"Series '{key}' of {origin} has no values of '{target}'; fill them in or drop it."
            )
        kept = part.iloc[np.argmax(known) : len(known) - np.argmax(known[::-1])]  # no blanks at either end
        trimmed += len(part) - len(kept)
        y = _on_grid(kept, step, numeric_time, origin)
        gaps += len(y) - len(kept)
        steps += len(y)
        filled += int(y.isna().sum())
        ids.append(str(key))
        series.append(y.interpolate().to_numpy(np.float64))
        observed.append(y.notna().to_numpy())
        starts.append(kept["t"].iloc[0])
    if gaps > 0.2 * steps:
        raise DataError(
            f"{origin} misses {gaps:,} of {steps:,} time steps: the times may be irregular or one may be "
            "mistyped; give one row per regular step."
        )
    if trimmed:
        say(f"  {trimmed} rows without a value of '{target}' at the start or end of a series were left out.")
    if gaps:
        warn(f"{origin} skips {gaps} time steps; they were filled in by linear interpolation.")
    elif filled:
        say(f"  {filled} missing values of '{target}' were filled in by linear interpolation.")
    return ids, series, starts, observed


def _on_grid(part: pd.DataFrame, step, numeric_time: bool, origin: str) -> pd.Series:
    """One series' values at every step from its first time to its last (NaN where missing)."""
    if numeric_time:
        offsets = (part["t"] - part["t"].iloc[0]) / step
        if (np.abs(offsets - np.rint(offsets)) > 1e-6).any() or offsets.iloc[-1] > 50 * len(part):
            raise DataError(
                f"The times of {origin} are not whole steps of {step:g} apart (or one is mistyped); give one "
                "row per regular step."
            )
        y = pd.Series(np.nan, index=range(int(round(offsets.iloc[-1])) + 1))
        y.iloc[np.rint(offsets).astype(int).to_numpy()] = part["y"].to_numpy()
        return y
    if _far(part["t"], step):
        raise DataError(
            f"A time of {origin} lies far beyond the others ({part['t'].iloc[-1]}); is it mistyped?"
        )
    full = pd.date_range(part["t"].iloc[0], part["t"].iloc[-1], freq=step)
    if not part["t"].isin(full).all():
        odd = part["t"][~part["t"].isin(full)].iloc[0]
        raise DataError(
            f"The time steps of {origin} are irregular: {odd} is not a whole number of steps "
            f"({describe_step(step)}) after {part['t'].iloc[0]}; give one row per regular step."
        )
    return part.set_index("t")["y"].reindex(full)


def _far(times: pd.Series, step) -> bool:
    """Whether the last time lies more than 50 steps a row beyond the first (a mistyped
    date); a bound past the calendar's end (year 2262) is no bound."""
    try:
        return bool(times.iloc[-1] > times.iloc[0] + step * (50 * len(times)))
    except (OverflowError, pd.errors.OutOfBoundsDatetime, pd.errors.OutOfBoundsTimedelta):
        return False


def describe_step(step) -> str:
    """A step for people and the manifest: '1 day', '7 days', '1 month', 2.0."""
    if isinstance(step, float):
        return f"{step:g}"
    if type(step) is pd.DateOffset:  # months or years, anchored on the first date
        months = step.kwds.get("months") or 12 * step.kwds.get("years", 0)
        if months:
            return f"{months} month{'s' * (months != 1)}"
    return step.freqstr


def _time_column(table: pd.DataFrame, origin: str) -> str:
    named = [c for c in table.columns if c.lower() in TIME_NAMES]
    if named:
        return named[0]
    raise DataError(
        f"Cannot tell which column of {origin} holds the time (columns: {', '.join(table.columns)}); "
        f"choose it with {named('time')}."
    )


def _times(cells: pd.Series, column: str, origin: str):
    """Timestamps, or numbers for a numeric time column (years, step counts)."""
    as_numbers = numbers(cells)
    if as_numbers.notna().all():
        return as_numbers, True
    stamps = parse_dates(cells)
    if stamps is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            each = pd.to_datetime(cells.str.strip(), errors="coerce", format="mixed")
        stamps = each if each.isna().any() else None  # a cell that is no date at all is named below
    if stamps is None:
        raise DataError(
            f"The time column '{column}' of {origin} is not in one date format throughout (e.g. "
            f"{cells.iloc[0][:30]!r}); write every date the same way (2021-01-13 is safest)."
        )
    if stamps.isna().any():
        bad = cells[stamps.isna()].iloc[0]
        raise DataError(
            f"The time column '{column}' of {origin} holds {bad[:30]!r}, which is not a date or a number; "
            f"fix it or choose the right column with {named('time')}."
        )
    return stamps, False


def _step(frame: pd.DataFrame, numeric_time: bool, origin: str):
    """The step between consecutive times: a number, or a calendar frequency (days,
    weeks, month starts, ...) inferred from the first series."""
    diffs = frame.groupby("id")["t"].diff().dropna()
    if diffs.empty:
        raise DataError(f"{origin} has a single time step; a series needs many.")
    if numeric_time:
        return float(diffs.mode().iloc[0])
    first = frame.loc[frame["id"] == frame["id"].iloc[0], "t"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas 3 warns that pandas 4 returns an offset
        freq = pd.infer_freq(pd.DatetimeIndex(first)) if len(first) >= 3 else None
    freq = getattr(freq, "freqstr", freq)
    if freq is None:  # gaps, or months not anchored at their start or end: judge from the usual step
        days = diffs.mode().iloc[0] / pd.Timedelta(days=1)
        months = next(
            (m for m, low, high in ((1, 28, 31), (3, 89, 92), (12, 365, 366)) if low <= days <= high), 0
        )
        same_day = first.dt.day.nunique() == 1 and (first.dt.normalize() == first).all()
        if months and same_day:
            return pd.DateOffset(months=months)  # the 15th of every month
        return pd.tseries.frequencies.to_offset(diffs.mode().iloc[0])
    return pd.tseries.frequencies.to_offset(freq)
