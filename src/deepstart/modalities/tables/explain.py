"""Why a table model predicts what it does, for any kept model (deep, classical or
their average), by asking the model itself:

- per row: how much the prediction moves when one column's value is hidden (replaced
  by what the model reads for a missing value: the median, or "unknown");
- globally: how much the score drops when one column's values are shuffled across
  rows (permutation importance, column by column, as given by the user);
- as rules: a shallow decision tree fitted to the model's own predictions, printed as
  if/then rules, with its fidelity (agreement with the model on rows it was not fitted on).
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from ...data.tables import rows_of
from ...errors import ConfigError, DataError
from ...files import write_atomic
from ..explainer import Explainer
from .read import read_unlabeled

REPEATS = 5  # shuffles per column
RULE_DEPTH = 3


def _outputs(predictor, table: pd.DataFrame) -> np.ndarray:
    x = predictor.encoder_.encode(table, "Explaining").features
    return predictor.outputs(x, list(range(len(x))))


def _columns(predictor) -> list[str]:
    return list(predictor.encoder_.types)


def row_attributions(predictor, table: pd.DataFrame) -> list[dict]:
    """Per row: the prediction, and per column how much hiding its value lowers the
    predicted class's probability (or changes the predicted number); largest first."""
    base = _outputs(predictor, table)
    regression = predictor.task_ == "regression"
    picked = None if regression else base.argmax(1)
    effects = {}
    for column in _columns(predictor):
        hidden = _outputs(predictor, table.assign(**{column: ""}))
        if regression:
            effects[column] = base - hidden
        else:
            rows = np.arange(len(table))
            effects[column] = base[rows, picked] - hidden[rows, picked]
    records = []
    for i in range(len(table)):
        contributions = sorted(((c, float(e[i])) for c, e in effects.items()), key=lambda t: -abs(t[1]))
        record = {"row": i + 1, "contributions": dict(contributions)}
        if regression:
            record["prediction"] = float(base[i])
        else:
            record |= {"label": predictor.classes_[picked[i]], "probability": float(base[i, picked[i]])}
        records.append(record)
    return records


def permutation_importance(predictor, table: pd.DataFrame, y: np.ndarray, seed: int = 0) -> list[dict]:
    """Per column: the mean drop in accuracy (or rise in RMSE) over REPEATS shuffles of
    its values, with the spread; most important first."""
    rng = np.random.default_rng(seed)
    baseline = _score(predictor, _outputs(predictor, table), y)
    found = []
    for column in _columns(predictor):
        drops = []
        for _ in range(REPEATS):
            shuffled = table.assign(**{column: rng.permutation(table[column].to_numpy())})
            drops.append(baseline - _score(predictor, _outputs(predictor, shuffled), y))
        found.append({"column": column, "importance": float(np.mean(drops)), "spread": float(np.std(drops))})
    return sorted(found, key=lambda r: -r["importance"])


def _score(predictor, out: np.ndarray, y: np.ndarray) -> float:
    """Higher is better: accuracy, or minus the RMSE."""
    if predictor.task_ == "regression":
        return -float(np.sqrt(np.mean((out - y) ** 2)))
    return float((out.argmax(1) == y).mean())


def surrogate_rules(predictor, table: pd.DataFrame, seed: int = 0) -> dict:
    """A decision tree of depth RULE_DEPTH fitted to the model's predictions on 70 % of
    the rows; its rules, and its fidelity on the other 30 %."""
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    if len(table) < 20:
        raise DataError(f"Rules need at least 20 rows to fit and check them on; got {len(table)}.")
    x = predictor.encoder_.encode(table, "Explaining").features
    out = predictor.outputs(x, list(range(len(x))))
    regression = predictor.task_ == "regression"
    target = out if regression else out.argmax(1)
    design = predictor.encoder_.design(x)
    order = np.random.default_rng(seed).permutation(len(table))
    fit_rows, check_rows = order[: int(0.7 * len(order))], order[int(0.7 * len(order)) :]
    tree = (DecisionTreeRegressor if regression else DecisionTreeClassifier)(
        max_depth=RULE_DEPTH, random_state=seed
    )
    tree.fit(design[fit_rows], target[fit_rows])
    agreed = tree.predict(design[check_rows])
    if regression:
        spread = float(np.var(target[check_rows])) or 1.0
        fidelity = {"r2": 1.0 - float(np.mean((agreed - target[check_rows]) ** 2)) / spread}
    else:
        fidelity = {"agreement": float((agreed == target[check_rows]).mean())}
    columns = predictor.encoder_.design_columns()
    return {
        "rules": _rules(tree, columns, predictor),
        "fidelity": fidelity,
        "n_checked": int(len(check_rows)),
    }


def _rules(tree, columns: list[dict], predictor) -> list[str]:
    """One 'if ... and ...: then ...' line per leaf, in the user's units; repeated
    splits on one number are merged into one range."""
    t, lines = tree.tree_, []

    def walk(node: int, bounds: dict, conditions: tuple) -> None:
        if t.children_left[node] < 0:
            value = t.value[node, 0]
            share = t.n_node_samples[node] / t.n_node_samples[0]
            if predictor.task_ == "regression":
                then = f"about {value[0]:.4g}"
            else:
                label = predictor.classes_[int(tree.classes_[value.argmax()])]
                then = f"{label} ({value.max() / value.sum():.0%} of them)"
            ranges = [_range(name, low, high) for name, (low, high) in bounds.items()]
            lines.append(
                f"if {' and '.join([*ranges, *conditions]) or 'always'}: {then}  [{share:.0%} of rows]"
            )
            return
        column, threshold = columns[t.feature[node]], t.threshold[node]
        if column["kind"] == "number":
            raw = threshold * column["std"] + column["mean"]
            low, high = bounds.get(column["name"], (-np.inf, np.inf))
            walk(t.children_left[node], bounds | {column["name"]: (low, min(high, raw))}, conditions)
            walk(t.children_right[node], bounds | {column["name"]: (max(low, raw), high)}, conditions)
            return
        left, right = _condition(column)
        walk(t.children_left[node], bounds, (*conditions, left))
        walk(t.children_right[node], bounds, (*conditions, right))

    walk(0, {}, ())
    return lines


def _range(name: str, low: float, high: float) -> str:
    if np.isfinite(low) and np.isfinite(high):
        return f"{low:.4g} < {name} <= {high:.4g}"
    return f"{name} <= {high:.4g}" if np.isfinite(high) else f"{name} > {low:.4g}"


def _condition(column: dict) -> tuple[str, str]:
    """(the rule for the left branch, for the right one) of a flag, yes/no or category."""
    name = column["name"]
    if column["kind"] == "missing":
        return f"{name} is given", f"{name} is missing"
    if column["kind"] == "boolean":
        return f"{name} is no", f"{name} is yes"
    return f"{name} is not {column['value']}", f"{name} is {column['value']}"


def explain_table(predictor, table: pd.DataFrame, target: str | None = None) -> dict:
    """Everything global for a table model on labelled rows: permutation importance and
    surrogate rules. The target column is the model's unless given."""
    column = target or (predictor.columns_ or {}).get("target")
    if column not in table.columns:
        raise DataError(
            f"The data lacks the target column '{column}' that importance is measured against; give labelled "
            "rows (or --target)."
        )
    rows = table.drop(columns=[column])
    y = predictor.targets([v.strip() for v in table[column]], "the data")
    return {
        "importance": permutation_importance(predictor, rows, y),
        "surrogate": surrogate_rules(predictor, rows),
        "n_rows": int(len(table)),
    }


def explain_command(
    predictor, rows: pd.DataFrame | None, labelled: pd.DataFrame | None, target, out
) -> list[str]:
    """deepstart explain: for rows, how much each column moved each prediction; for
    labelled rows (--global), how much each column matters overall and a few rules."""
    found, lines = {}, []
    if rows is not None:
        found["rows"] = row_attributions(predictor, rows)
        lines += _rows_lines(found["rows"], predictor.task_ == "regression", out)
    if labelled is not None:
        found["global"] = explain_table(predictor, labelled, target)
        lines.append("Columns by importance (drop in the score when a column's values are shuffled):")
        for r in found["global"]["importance"]:
            lines.append(f"  {r['column']:<24} {r['importance']:+.4f}  (± {r['spread']:.4f})")
        surrogate = found["global"]["surrogate"]
        fidelity = ", ".join(f"{k} {v:.1%}" for k, v in surrogate["fidelity"].items())
        checked = surrogate["n_checked"]
        lines.append(f"Rules that mimic the model ({fidelity} on {checked} rows they were not fitted on):")
        lines += [f"  {rule}" for rule in surrogate["rules"]]
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ConfigError(f"--out {out} cannot be created ({e.strerror}); give another folder.") from None
        write_atomic(out / "explanations.json", json.dumps(found, indent=2) + "\n")
    return lines


def _rows_lines(records: list[dict], regression: bool, out: Path | None) -> list[str]:
    lines = [
        "How much hiding each column's value lowers the prediction"
        + (":" if regression else "'s probability (+0.20: by 20 points):")
    ]
    for r in records[:20]:
        effects = list(r["contributions"].items())[:3]
        top = ", ".join(f"{c} {v:+.3g}" for c, v in effects)
        if not effects or abs(effects[0][1]) < 0.005:
            top = "no single value moves it: the model is sure"
        said = r["label"] if "label" in r else f"{r['prediction']:.4g}"
        lines.append(f"row {r['row']}\t{said}\t(moved most by: {top})")
    if len(records) > 20:
        lines.append(f"... {len(records) - 20} more rows" + (f" in {out}" if out else "; use --out"))
    return lines


TOP_VALUES = 3  # values named per row in report.html, the largest effects first
MAX_SHOWN = 12  # of a row's values listed beside it


def values_html(predictor, worst: list[dict]) -> dict[str, str]:
    """report.html: under each worst mistake's row, the values that moved it most."""
    given = [m for m in worst if isinstance(m.get("row"), dict)]
    if not given:
        return {}
    records = row_attributions(predictor, pd.DataFrame([m["row"] for m in given]).fillna(""))
    found = {}
    for mistake, record in zip(given, records):
        label = record.get("label")
        large = [
            (c, e) for c, e in record["contributions"].items() if abs(e) >= (1e-9 if label is None else 0.005)
        ]
        said = [_effect_words(c, mistake["row"].get(c, ""), e, label) for c, e in large[:TOP_VALUES]]
        items = (
            "".join(f"<li>{escape(line)}</li>" for line in said)
            or "<li>Hiding any one value changes little.</li>"
        )
        values = ", ".join(f"{c} = {v or '(missing)'}" for c, v in list(mistake["row"].items())[:MAX_SHOWN])
        more = ", …" if len(mistake["row"]) > MAX_SHOWN else ""
        found[mistake["input"]] = (
            f"<b>{escape(mistake['input'])}</b>: <span class='muted'>{escape(values[:300])}{more}</span>"
            f"<ul class='effects'>{items}</ul>"
        )
    return found


def _effect_words(column: str, value: str, effect: float, label: str | None) -> str:
    """'age = 71 pushed towards 'yes' by 0.23', or for a number to predict
    'age = 71 raised the prediction by 12.5'."""
    shown = f"{column} = {value}" if value.strip() else f"{column} missing"
    if label is None:
        return f"{shown} {'raised' if effect > 0 else 'lowered'} the prediction by {abs(effect):.3g}"
    return f"{shown} pushed {'towards' if effect > 0 else 'away from'} '{label}' by {abs(effect):.2f}"


class TableExplainer(Explainer):
    """How much each column moved each row's prediction; overall (--global): how much
    each column matters, and rules that mimic the model."""

    options = frozenset({"global"})

    def explain(self, model, inputs: list, out, options: dict) -> list[str]:
        if not inputs and not options.get("global"):
            raise ConfigError("Give tables of rows to explain, or --global --data with labelled rows.")
        if options.get("global") and options.get("data") is None:
            raise ConfigError("--global needs --data: labelled rows to measure the columns against.")
        rows = read_unlabeled(list(inputs), model.columns_ or {}).items if inputs else None
        labelled = rows_of([options["data"]])[0] if options.get("global") else None
        return explain_command(model, rows, labelled, options.get("target"), out)

    def explain_one(self, model, item) -> dict:
        found = row_attributions(model, pd.DataFrame([item], dtype=object))[0]
        return {k: v for k, v in found.items() if k != "row"}

    def explain_mistakes(self, model, worst: list[dict]) -> dict[str, str]:
        return values_html(model, worst)

    def mistakes_note(self, task: str) -> str:
        moved = "the predicted number" if task == "regression" else "the probability of the predicted class"
        return (
            f"Under each row, the values that moved the prediction most: how much {moved} changes when "
            "the value is hidden (as if it were missing)."
        )
