"""Is the model as good for everyone? Metrics per group of rows (a column such as
sex, region or age band), and a flag when one group is served much worse."""

from __future__ import annotations

import numpy as np

from ..data.columns import is_missing, numbers

MIN_ROWS = 10  # groups smaller than this are listed, but not compared
ACCURACY_GAP = 0.1  # accuracy points between the best- and worst-served group
ERROR_RATIO = 1.5  # RMSE of the worst-served group over the best-served one's


def group_metrics(cells, column: str, truth: np.ndarray, out: np.ndarray, targets) -> dict:
    """{"column", "by_group": {value: metrics}, "best", "worst", "flag", "message"}: the
    examples grouped by their values (cells, strings) in column; targets scores them
    (pipeline's Targets). best and worst name the best- and worst-served of the groups
    compared (None when fewer than two are big enough); flag says the gap is too wide."""
    values = _groups(cells)
    by_group = {}
    for value in sorted(set(values)):
        rows = values == value
        by_group[str(value)] = targets.score(truth[rows], out[rows]) | {"n": int(rows.sum())}
        by_group[str(value)].pop("per_class", None)
        by_group[str(value)].pop("confusion_matrix", None)
        by_group[str(value)].pop("classes", None)
    compared = {k: m for k, m in by_group.items() if m["n"] >= MIN_ROWS}
    regression = targets.regression
    key = "rmse" if regression else "accuracy"
    if len(compared) < 2:
        return {
            "column": column,
            "by_group": by_group,
            "best": None,
            "worst": None,
            "flag": False,
            "message": f"Fewer than two groups have {MIN_ROWS} rows or more: nothing to compare.",
        }
    best = (min if regression else max)(compared, key=lambda k: compared[k][key])
    worst = (max if regression else min)(compared, key=lambda k: compared[k][key])
    b, w = compared[best][key], compared[worst][key]
    if regression:
        flag = w > ERROR_RATIO * b
        message = f"RMSE {w:.4g} for '{worst}' against {b:.4g} for '{best}'"
    else:
        flag = b - w > ACCURACY_GAP
        message = f"accuracy {100 * w:.1f} % for '{worst}' against {100 * b:.1f} % for '{best}'"
    if flag:
        message += (
            ": the model serves some groups much worse; check how well each is represented in training."
        )
    else:
        message += ": within the bound" + (
            f" ({ERROR_RATIO:g}x)." if regression else f" ({100 * ACCURACY_GAP:g} points)."
        )
    return {
        "column": column,
        "by_group": by_group,
        "best": best,
        "worst": worst,
        "flag": bool(flag),
        "message": message,
    }


def _groups(cells) -> np.ndarray:
    """Each row's group: the cell's value; for a column of many numbers (ages, incomes),
    its quarter of the range of values (e.g. '30 to 42'), so that groups are big enough
    to compare."""
    values = cells.str.strip()
    found = numbers(cells)
    missing = is_missing(cells)
    if found[~missing].notna().all() and found.nunique() > 10:
        edges = np.unique(np.quantile(found.dropna(), [0, 0.25, 0.5, 0.75, 1]))
        index = np.clip(np.searchsorted(edges, found, side="right") - 1, 0, len(edges) - 2)
        labels = [f"{edges[k]:.4g} to {edges[k + 1]:.4g}" for k in range(len(edges) - 1)]
        values = np.array([labels[k] for k in index], dtype=object)
        values[missing.to_numpy()] = "(missing)"
        return values
    return values.where(~missing, "(missing)").replace("", "(missing)").to_numpy()
