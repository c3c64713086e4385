"""Is deep learning worth it on this data? The deep model and the classical ones are
trained on growing shares of the training rows (2, 5, 10, 25, 50 and 100 %) and scored
on the same held-out test rows: learning curves, as numbers, a plot, and a
recommendation in words. Tables and texts here; other modalities (images) in their own way."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .budget import current
from .data.tables import as_text_table, read_table
from .errors import DataError
from .log import quiet, say
from .modalities import REGISTRY, read_labeled
from .predictor import Predictor
from .report.plots import figure, png
from .settings import TASK_KINDS

FRACTIONS = (0.02, 0.05, 0.1, 0.25, 0.5, 1.0)


def learning_curves(data, target: str | None = None, task: str = "auto", seed: int = 0, **settings) -> dict:
    """{"task", "metric", "test_rows", "models", "points": [{"n_train", model name: test
    score}], "recommendation"}; the test rows are the same for every share. data: a table
    (a path or a DataFrame) of rows or texts, or images: a folder of class subfolders or a
    CSV that lists image files (then also "modality": "image" and "unit": "photos")."""
    kind, forced = TASK_KINDS.get(task, (task, None))
    frame = isinstance(data, pd.DataFrame)
    source = as_text_table(data) if frame else Path(data)
    probe = read_labeled(source, None, target, None, None, kind, None, forced)
    modality = REGISTRY[probe.kind]
    if not modality.compare_rows:  # a modality that compares its own way, or not at all
        result, deep = modality.learning_curves(probe, seed, FRACTIONS, _fit, settings)
        regression = result["task"] == "regression"
        result["recommendation"] = recommend(
            result["points"], result["models"], regression, result["unit"], deep, result["test_rows"]
        )
        return result
    table, origin = (source, "the DataFrame") if frame else (as_text_table(read_table(source)), str(data))
    return _row_curves(table, origin, probe, modality, task, seed, settings)


def _fit(data, settings: dict, **options) -> Predictor:
    """A model trained as Predictor(**settings).fit(data, **options) trains one; refused
    (DataError: the share is skipped) once the comparison's time limit is spent."""
    if current().over():
        current().cut("the larger shares were not trained")
        raise DataError("not trained: the time limit was reached")
    return Predictor(**settings).fit(data, **options)


def _row_curves(table, origin: str, probe, modality, task: str, seed: int, settings: dict) -> dict:
    """Learning curves on shares of a table's rows (of values or of texts)."""
    column = probe.columns["target"]
    regression = probe.task == "regression"
    train, test = _split(table, column, regression, seed)
    points, titles, unit = [], {}, modality.noun
    for fraction in FRACTIONS:
        rows = train.sample(frac=fraction, random_state=seed) if fraction < 1 else train
        try:
            with quiet():  # one line per share, not every fit's notices
                fitted = _fit(rows, {"seed": seed, **settings}, target=column, test=test, task=task)
        except DataError as e:
            fitted = None
            problem = str(e)
        if fitted is None:
            say(f"  {len(rows):,} {unit}: skipped ({problem})")
            continue
        key = "test_rmse" if regression else "test_accuracy"
        # no leaderboard: the time limit left only the network (the classical models were cut)
        alone = {
            "name": "deep",
            "model": titles.get("deep", "network (deep)"),
            key: fitted.metrics_["test"][key[5:]],
        }
        board = fitted.leaderboard_ or [alone]
        point = {"n_train": int(len(rows))} | {r["name"]: r[key] for r in board}
        titles |= {r["name"]: _short(r["model"]) for r in board}
        # the members and weights may change with the share
        titles |= {"ensemble": "deep and classical, combined", "blend": "classical models, weighted"}
        points.append(point)
        say(
            f"  {len(rows):,} {unit}: "
            + ", ".join(f"{titles[k]} {v:.4g}" for k, v in point.items() if k in titles)
        )
    if not points:
        raise DataError(f"{origin} is too small to train on any share of it; add {unit}.")
    result = {
        "task": probe.task,
        "metric": "RMSE (lower is better)" if regression else "accuracy",
        "test_rows": int(len(test)),
        "unit": unit,
        "models": titles,
        "points": points,
    }
    result["recommendation"] = recommend(points, titles, regression, unit, n_test=len(test))
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


SIMPLER_FIRST = ("linear", "tree", "gbm", "forest")  # a tie between classical models goes to the simpler


def recommend(
    points: list[dict],
    titles: dict,
    regression: bool,
    unit: str = "rows",
    deep: str = "the deep model",
    n_test: int = 0,
) -> str:
    """Which kind of model to use: the deep model against the best classical one at
    the most data, and at which sizes each was ahead. unit: what n_train counts
    ("rows", "photos"); deep: how a sentence names the deep model ("transfer learning").
    n_test: the test examples; accuracy gaps under 1.5 of them count as level."""

    def classical_of(point) -> dict:
        return {k: v for k, v in point.items() if k not in ("n_train", "deep", "ensemble")}

    def lead(point) -> tuple[float, str]:  # (> 0 when the deep model is ahead, the best classical)
        classical = classical_of(point)
        rank = {k: SIMPLER_FIRST.index(k) if k in SIMPLER_FIRST else len(SIMPLER_FIRST) for k in classical}
        best = min(classical, key=lambda k: ((1 if regression else -1) * classical[k], rank[k]))
        gap = (
            (classical[best] - point["deep"]) / max(abs(classical[best]), 1e-12)
            if regression
            else (point["deep"] - classical[best])
        )
        return gap, titles[best]

    # a time limit can leave a share with the deep model or the classical ones only
    points = [p for p in points if "deep" in p and classical_of(p)]
    if not points:
        return (
            f"No share had both {deep} and a classical model trained, so they cannot be compared; "
            "give it more time."
        )
    level = 0.01 if regression else max(0.005, 1.5 / n_test if n_test else 0)  # gaps below: a tie
    n = points[-1]["n_train"]
    gap, best = lead(points[-1])
    size, deep_s = f"{100 * abs(gap):.1f}", deep[0].upper() + deep[1:]  # deep_s starts a sentence
    if abs(gap) < level:
        verdict = f"With {n:,} {unit}, {deep} and {best} are level: prefer the simpler, faster {best}."
    elif regression and gap > 0:
        verdict = f"With {n:,} {unit}, {deep}'s error is {size} % lower than {best}'s: use it."
    elif regression:
        verdict = f"With {n:,} {unit}, {best}'s error is {size} % lower than {deep}'s: use it."
    elif gap > 0:
        verdict = f"With {n:,} {unit}, {deep} is {size} points ahead of {best}, the best classical: use it."
    else:
        verdict = f"With {n:,} {unit}, {best} is {size} points ahead of {deep}: use it."
    ahead = [p["n_train"] for p in points if lead(p)[0] >= level]
    behind = [p["n_train"] for p in points if lead(p)[0] <= -level]
    if ahead and behind:
        verdict += (
            f" {deep_s} was ahead at {', '.join(f'{k:,}' for k in ahead)} {unit}, a classical model at "
            f"{', '.join(f'{k:,}' for k in behind)}"
        )
        verdict += ": on this much data the two are close." if abs(gap) < 3 * level else "."
    return verdict


COLOURS = {"deep": "tab:red", "linear": "tab:blue", "tree": "tab:green", "gbm": "tab:orange"}
COLOURS["ensemble"] = "tab:purple"


def curve_png(result: dict) -> bytes:
    points = result["points"]
    names = list(dict.fromkeys(k for p in points for k in p if k != "n_train"))  # a cut share may lack some
    titles = result["models"]
    fig, ax = figure(figsize=(7.5, 4.2), dpi=100)
    for name in sorted(names, key=lambda k: k != "deep"):  # the deep model first, in the legend too
        xs = [p["n_train"] for p in points if name in p]
        ys = [p[name] for p in points if name in p]
        deep = name == "deep"  # a wide band underneath: a classical line with the same scores shows on it
        ax.plot(
            xs,
            ys,
            marker="o",
            color=COLOURS.get(name, "tab:gray"),
            linestyle="--" if name == "ensemble" else "-",
            linewidth=5 if deep else 1.5,
            alpha=0.45 if deep else 1,
            zorder=1 if deep else 2,
            label=titles[name],
        )
    ax.set_xscale("log")
    sizes = [p["n_train"] for p in points]
    ax.set_xticks(sizes, [f"{n:,}" for n in sizes])
    ax.minorticks_off()
    unit = result.get("unit", "rows")
    ax.set_xlabel(f"training {unit} (log scale)")
    ax.set_ylabel(f"test {result['metric']}")
    ax.set_title(f"Learning curves on the same {result['test_rows']:,} test {unit}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return png(fig)
