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

import numpy as np
import pandas as pd

from ..errors import DataError

REPEATS = 5  # shuffles per column
RULE_DEPTH = 3


def _outputs(predictor, table: pd.DataFrame) -> np.ndarray:
    x = predictor.encoder_.encode(table, "Explaining").features
    return predictor._outputs(x, list(range(len(x))))


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
    out = predictor._outputs(x, list(range(len(x))))
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
    y = predictor._targets([v.strip() for v in table[column]], "the data")
    return {
        "importance": permutation_importance(predictor, rows, y),
        "surrogate": surrogate_rules(predictor, rows),
        "n_rows": int(len(table)),
    }
