"""Is deep learning worth it on this data? The deep model and the classical ones are
trained on growing shares of the training rows (2, 5, 10, 25, 50 and 100 %) and scored
on the same held-out test rows: learning curves, as numbers, a plot, and a
recommendation in words. For data that has classical baselines: tables and texts."""

from __future__ import annotations

import io
import logging

import pandas as pd

from .config import TASK_KINDS
from .data.sources import read_labeled
from .data.tables import as_text_table, read_table
from .errors import DataError
from .log import logger, say

FRACTIONS = (0.02, 0.05, 0.1, 0.25, 0.5, 1.0)


def learning_curves(data, target: str | None = None, task: str = "auto", seed: int = 0, **settings) -> dict:
    """{"task", "metric", "test_rows", "points": [{"n_train", model name: test score}],
    "recommendation"}; the test rows are the same for every share."""
    from pathlib import Path

    from .api import Predictor

    table = data if isinstance(data, pd.DataFrame) else read_table(Path(data))
    table = as_text_table(table)
    origin = "the DataFrame" if isinstance(data, pd.DataFrame) else str(data)
    kind, forced = TASK_KINDS.get(task, (task, None))
    probe = read_labeled(table, None, target, None, None, kind, None, forced)
    if probe.kind not in ("table", "text"):
        raise DataError(f"compare needs a table or texts; {origin} holds {probe.kind}s.")
    column = probe.columns["target"]
    regression = probe.task == "regression"
    train, test = _split(table, column, regression, seed)
    points, titles = [], {}
    level = logger.level
    for fraction in FRACTIONS:
        rows = train.sample(frac=fraction, random_state=seed) if fraction < 1 else train
        logger.setLevel(logging.WARNING)  # one line per share, not every fit's notices
        try:
            fitted = Predictor(seed=seed, **settings).fit(rows, target=column, test=test, task=task)
        except DataError as e:
            fitted = None
            problem = str(e)
        finally:
            logger.setLevel(level)
        if fitted is None:
            say(f"  {len(rows):,} rows: skipped ({problem})")
            continue
        key = "test_rmse" if regression else "test_accuracy"
        point = {"n_train": int(len(rows))} | {r["name"]: r[key] for r in fitted.leaderboard_}
        titles |= {r["name"]: _short(r["model"]) for r in fitted.leaderboard_}
        titles["ensemble"] = "deep and best classical, averaged"  # the partner may change with the share
        points.append(point)
        say(
            f"  {len(rows):,} rows: "
            + ", ".join(f"{titles[k]} {v:.4g}" for k, v in point.items() if k in titles)
        )
    if not points:
        raise DataError(f"{origin} is too small to train on any share of it; add rows.")
    result = {
        "task": probe.task,
        "metric": "RMSE (lower is better)" if regression else "accuracy",
        "test_rows": int(len(test)),
        "models": titles,
        "points": points,
    }
    result["recommendation"] = recommend(points, titles, regression)
    return result


def _split(table: pd.DataFrame, column: str, regression: bool, seed: int):
    from sklearn.model_selection import train_test_split

    strata = None if regression else table[column]
    try:
        return train_test_split(table, test_size=0.2, random_state=seed, stratify=strata)
    except ValueError:  # a class with a single row cannot be stratified
        return train_test_split(table, test_size=0.2, random_state=seed)


def _short(title: str) -> str:
    """'logistic regression (C=10)' -> 'logistic regression': the same name at every share."""
    return title if title.endswith("(deep)") or "averaged" in title else title.split(" (")[0]


def recommend(points: list[dict], titles: dict, regression: bool) -> str:
    """Which kind of model to use: the deep model against the best classical one at
    the most data, and at which sizes each was ahead."""

    def lead(point) -> tuple[float, str]:  # (> 0 when the deep model is ahead, the best classical)
        classical = {k: v for k, v in point.items() if k not in ("n_train", "deep", "ensemble")}
        best = (min if regression else max)(classical, key=classical.get)
        gap = (
            (classical[best] - point["deep"]) / max(abs(classical[best]), 1e-12)
            if regression
            else (point["deep"] - classical[best])
        )
        return gap, titles[best]

    n = points[-1]["n_train"]
    gap, best = lead(points[-1])
    size = f"{100 * abs(gap):.1f}"
    if abs(gap) < (0.01 if regression else 0.005):
        verdict = f"With {n:,} rows, the deep model and {best} are level: prefer the simpler, faster {best}."
    elif regression and gap > 0:
        verdict = f"With {n:,} rows, the deep model's error is {size} % lower than {best}'s: use it."
    elif regression:
        verdict = f"With {n:,} rows, {best}'s error is {size} % lower than the deep model's: use it."
    elif gap > 0:
        verdict = (
            f"With {n:,} rows, the deep model is {size} points ahead of {best}, the best classical: use it."
        )
    else:
        verdict = f"With {n:,} rows, {best} is {size} points ahead of the deep model: use it."
    ahead = [p["n_train"] for p in points if lead(p)[0] > 0]
    behind = [p["n_train"] for p in points if lead(p)[0] <= 0]
    if ahead and behind:
        verdict += (
            f" The deep model was ahead at {', '.join(f'{k:,}' for k in ahead)} rows, a classical model at "
            f"{', '.join(f'{k:,}' for k in behind)}: on this much data the two are close."
        )
    return verdict


def curve_png(result: dict) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = result["points"]
    names = [k for k in points[-1] if k != "n_train"]
    titles = result["models"]
    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=100)
    for name in names:
        xs = [p["n_train"] for p in points if name in p]
        ys = [p[name] for p in points if name in p]
        ax.plot(xs, ys, marker="o", linewidth=2.5 if name == "deep" else 1.2, label=titles[name])
    ax.set_xscale("log")
    sizes = [p["n_train"] for p in points]
    ax.set_xticks(sizes, [f"{n:,}" for n in sizes])
    ax.minorticks_off()
    ax.set_xlabel("training rows (log scale)")
    ax.set_ylabel(f"test {result['metric']}")
    ax.set_title(f"Learning curves on the same {result['test_rows']:,} test rows")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
