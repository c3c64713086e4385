"""report.html for a forecaster: what was trained on which series, how good its
forecasts of the test window are (MASE, sMAPE, MAE, against seasonal naive), a plot
of the last test window (history, truth, forecast) for a few series, the leaderboard,
the training curve and the diagnostics. Same page skeleton as report.py."""

from __future__ import annotations

import re
from html import escape

import numpy as np

from .page import diagnostics_html, page, png_html, table_html, training_html
from .plots import figure, png
from .text import validation_steps

N_PLOTTED = 3  # series in the plot of the last test window
MAX_HISTORY = 400  # steps of history before it


def last_window(forecaster, series, fitted_to: list[int] | None = None) -> list[dict]:
    """For the first few series: the last H steps (the truth), the chosen model's and
    seasonal naive's forecasts of them from the steps before, and some of that history. A
    statistical model is fitted on the steps before fitted_to[k] (by default, the window's
    start) and run on over the rest."""
    h, found = forecaster.horizon_, []
    for k in range(min(N_PLOTTED, len(series.ids))):
        v = series.values[k]
        origin = len(v) - h
        shown = min(origin, max(forecaster.lookback_, 3 * h), MAX_HISTORY)
        history = v[origin - forecaster.lookback_ : origin][None]
        scale = np.array([forecaster.scales_[k]])
        fitted = origin if fitted_to is None else fitted_to[k]
        whole = (series.values, [(k, fitted, origin)])  # a statistical model reads all the steps before
        forecast = forecaster.predict_windows(history, scale, forecaster.choice_, *whole)[0]
        naive = forecaster.predict_windows(history, scale, "seasonal-naive")[0]
        times = [_time(series.starts[k] + series.step * i) for i in range(origin - shown, len(v))]
        found.append(
            {
                "series": str(series.ids[k]),
                "times": times,
                "history": _floats(v[origin - shown : origin]),
                "truth": _floats(v[origin:]),
                "forecast": _floats(forecast),
                "seasonal_naive": _floats(naive),
            }
        )
    return found


def _floats(values) -> list[float]:
    return [round(float(x), 6) for x in values]


def _time(when) -> str:
    if hasattr(when, "isoformat"):  # a date, or a date and time when the steps are shorter
        return when.date().isoformat() if when == when.normalize() else when.isoformat()
    return f"{float(when):g}"


def forecast_report_html(manifest: dict, curve: bytes | None = None) -> str:
    """The page for a trained forecaster (its manifest)."""
    encoder, data, test = manifest["encoder"], manifest["data"], manifest["metrics"]["test"]
    target, window = manifest["columns"]["target"], encoder["test_origins"] * encoder["horizon"]
    kept = next((r["model"] for r in manifest.get("leaderboard", []) if r["chosen"]), manifest["choice"])
    reason = manifest["model"]["reason"]
    reason = escape(reason[0].upper() + reason[1:])
    parts = [
        f"<h1>deepstart forecaster: the next {encoder['horizon']} steps of '{escape(target)}'</h1>",
        f"<p>Kept: <b>{escape(kept)}</b>, the best on validation. {reason}.</p>",
        _data(data, encoder, window),
        "<h2>How good are its forecasts on data it never saw?</h2>",
        _metrics(test, target, window, " of each series" if data["n_series"] > 1 else ""),
    ]
    if data.get("last_window"):
        parts += [
            "<h2>The last test window</h2>",
            f"<p>The last {encoder['horizon']} steps: the history before them (grey), what really came "
            "next (black) and the kept model's forecast (blue), beside seasonal naive's (dotted), which "
            "repeats the last season.</p>",
            png_html(window_png(data["last_window"]), "forecast of the last test window"),
        ]
    if manifest.get("leaderboard"):
        parts += [
            "<h2>Deep and classical models on the same windows</h2>",
            _leaderboard(manifest["leaderboard"]),
        ]
    parts += training_html(curve)
    parts += ["<h2>Diagnostics</h2>", diagnostics_html(manifest)]
    return page(parts)


def _data(data: dict, encoder: dict, window: int) -> str:
    n = data["n_series"]
    ids = data.get("ids") or []
    named = f" ({escape(', '.join(map(str, ids[:10])))}{', …' if len(ids) > 10 else ''})" if n > 1 else ""
    each = " of each series" if n > 1 else ""
    season = (
        f"a season of {encoder['season']} steps ({escape(str(encoder['season_source']))})"
        if encoder["season"] > 1
        else "no season"
    )
    step = escape(step_words(encoder["step"]))
    validation = validation_steps(data, encoder)
    return (
        f"<p>{n:,} series{named}, {data['n_steps']:,} steps in all, one step = {step}; {season}. "
        f"The last {window} steps{each} test the model, the {validation} before them validate it "
        f"(they pick the best epoch and model), the rest ({data['n_train']:,} steps) trains it.</p>"
    )


UNITS = {
    "D": "day",
    "B": "business day",
    "W": "week",
    "h": "hour",
    "H": "hour",
    "min": "minute",
    "T": "minute",
}
UNITS |= {
    "s": "second",
    "S": "second",
    "M": "month",
    "MS": "month",
    "ME": "month",
    "Q": "quarter",
    "QS": "quarter",
}
UNITS |= {"Y": "year", "YS": "year", "YE": "year", "A": "year", "AS": "year"}


def step_words(step) -> str:
    """A step as pandas spells it ('D', '7D', 'W-SUN', 'h') in words ('1 day', '7 days',
    '1 week', '1 hour'); others ('1 month', 2.0) as they are."""
    found = re.fullmatch(r"(\d*)([A-Za-z]+)(-\w+)?", str(step))
    if not found or found.group(2) not in UNITS:
        return str(step)
    n = int(found.group(1) or 1)
    return f"{n} {UNITS[found.group(2)]}{'s' * (n != 1)}"


def _metrics(m: dict, target: str, window: int, each: str) -> str:
    relative = m.get("mae_relative_to_seasonal_naive")
    rows = [
        (
            "MASE",
            f"{m['mase']:.3f}",
            "the error relative to seasonal naive's one step ahead on the training data",
        ),
        ("sMAPE", f"{m['smape']:.2f} %", "the error as a percentage of the values (symmetric)"),
        ("MAE", f"{m['mae']:.4g}", f"the average error, in units of '{target}'"),
    ]
    if relative is not None:
        rows.append(
            (
                "vs seasonal naive",
                f"{relative:.2f} ×",
                "this MAE over seasonal naive's on the same test window",
            )
        )
    head = f"<p>On the last {window} steps{each}, its forecasts are off by <b>{m['mae']:.4g}</b> on average"
    if relative is not None:
        than = "less" if relative < 1 else "more"
        head += f", {abs(1 - relative):.0%} {than} than seasonal naive's (which repeats the last season)"
    head += ". Lower is better for every measure below.</p>"
    foot = f"<p class='muted'>On {m['n']:,} forecast values, from the same origins for every model.</p>"
    return head + table_html(["measure", "value", "what it means"], rows) + foot


def _leaderboard(rows: list[dict]) -> str:
    shown = [
        (
            ("→ " if r["chosen"] else "") + r["model"],
            f"{r['validation_mase']:.3f}",
            f"{r['test_mase']:.3f}",
            f"{r['test_smape']:.2f} %",
            f"{r['seconds']:.1f} s",
        )
        for r in rows
    ]
    header = ["model", "validation MASE", "test MASE", "test sMAPE", "time"]
    return table_html(header, shown, kept=0) + "<p class='muted'>The lowest validation MASE is kept.</p>"


def window_png(windows: list[dict]) -> bytes:
    """One panel per series: history, truth, forecast and seasonal naive's forecast."""
    fig, axes = figure(len(windows), 1, figsize=(10, 2.8 * len(windows)), dpi=100, squeeze=False)
    for ax, w in zip(axes[:, 0], windows):
        n, h = len(w["history"]), len(w["truth"])
        ahead = np.arange(n - 1, n + h)  # the future lines start at the last known value
        last = w["history"][-1:]
        ax.plot(np.arange(n), w["history"], color="#888", label="history")
        ax.plot(ahead, last + w["truth"], color="black", label="truth")
        ax.plot(ahead, last + w["forecast"], color="#1f77b4", linewidth=2, label="forecast")
        ax.plot(ahead, last + w["seasonal_naive"], color="#888", linestyle=":", label="seasonal naive")
        ax.axvline(n - 0.5, color="gray", linestyle="--", linewidth=1)
        ticks = np.unique(np.linspace(0, n + h - 1, 6).round().astype(int))
        ax.set_xticks(ticks, [w["times"][i] for i in ticks])
        ax.set_title(f"series {w['series']}" if len(windows) > 1 else "", loc="left")
        ax.grid(alpha=0.3)
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="upper right", ncol=4, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.3 / (2.8 * len(windows))))
    return png(fig)
