"""Issue 15 acceptance, tables: on twelve real tables that nobody here tuned to (from
scikit-learn, statsmodels, vega_datasets and palmerpenguins; with categories, dates and
missing values), the model `deepstart train` keeps is scored on held-out rows beside
scikit-learn's HistGradientBoosting with default settings and, where its own venv is
given, AutoGluon's `medium_quality` preset with twice deepstart's time, all trained on
the same rows. Each table is split 3 ways (seeds 0-2, 25 % test, stratified for
classes). Target: deepstart's mean over the splits no worse than HistGradientBoosting's
by more than 0.01 accuracy or 2 % RMSE, on every table.

HistGradientBoosting gets the table as a practitioner would give it: text columns as
pandas categories (its native categorical support), dates as year, month and day of the
year. Car names (an identifier) are dropped from vega's cars for every system.

    pip install -e .[bench]; python bench/tables.py
    AUTOGLUON_PYTHON=/path/to/venv/bin/python python bench/tables.py   # AutoGluon beside
    AUTOGLUON_PYTHON=... python bench/tables.py --own-time fair        # issue 29, item 4

--own-time gives AutoGluon no time limit (medium_quality's own time) instead of deepstart's,
and writes bench/results/tables_own_time.json: is deepstart's default train at most
AutoGluon's own time, at the same quality, on the tables named?

AutoGluon's own venv (never a dependency of deepstart), as made here: python -m venv ag;
ag/bin/pip install torch==2.13.0; ag/bin/pip install -c constraints.txt (torch==2.13.0)
"autogluon.tabular[lightgbm,catboost,xgboost,fastai]==1.6.3"; ag/bin/pip uninstall -y
torchvision (a CUDA build that fails to import; tabular models do not use it).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from common import run_cli, write_result

SEEDS = range(3)
TEST_SIZE = 0.25
AUTOGLUON = os.environ.get("AUTOGLUON_PYTHON")


def data_sets() -> dict[str, tuple[pd.DataFrame, str, str]]:
    """name -> (table, target column, task)."""
    import palmerpenguins
    import statsmodels.api as sm
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
    from vega_datasets import local_data as vega

    fair = sm.datasets.fair.load_pandas().data
    fair = fair.assign(had_affair=(fair.pop("affairs") > 0).astype(int))  # statsmodels' own example
    star = sm.datasets.star98.load_pandas().data
    star = star.assign(pct_above=100 * star.NABOVE / (star.NABOVE + star.NBELOW)).drop(
        columns=["NABOVE", "NBELOW"]
    )
    cars = vega.cars().drop(columns="Name")
    weather = vega.seattle_weather()
    return {
        "breast_cancer": (load_breast_cancer(as_frame=True).frame, "target", "classification"),
        "wine": (load_wine(as_frame=True).frame, "target", "classification"),
        "fair": (fair, "had_affair", "classification"),
        "anes96_vote": (sm.datasets.anes96.load_pandas().data, "vote", "classification"),
        "cars_origin": (cars, "Origin", "classification"),
        "seattle_weather": (weather, "weather", "classification"),
        "penguins_species": (palmerpenguins.load_penguins(), "species", "classification"),
        "diabetes": (load_diabetes(as_frame=True, scaled=False).frame, "target", "regression"),
        "randhie": (sm.datasets.randhie.load_pandas().data, "mdvis", "regression"),
        "cars_mpg": (cars.dropna(subset=["Miles_per_Gallon"]), "Miles_per_Gallon", "regression"),
        "seattle_temp_max": (weather, "temp_max", "regression"),
        "star98_pct_above": (star, "pct_above", "regression"),
    }


def split(table: pd.DataFrame, target: str, task: str, seed: int):
    from sklearn.model_selection import train_test_split

    strata = table[target] if task == "classification" else None
    return train_test_split(table, test_size=TEST_SIZE, random_state=seed, stratify=strata)


def for_boosting(table: pd.DataFrame) -> pd.DataFrame:
    """Dates as numbers, text as pandas categories (HistGradientBoosting's native support)."""
    out = {}
    for name, column in table.items():
        if pd.api.types.is_datetime64_any_dtype(column):
            out |= {f"{name}_year": column.dt.year, f"{name}_month": column.dt.month}
            out[f"{name}_day"] = column.dt.dayofyear
        elif column.dtype == object:
            out[name] = column.astype("category")
        else:
            out[name] = column
    return pd.DataFrame(out, index=table.index)


def score(truth: pd.Series, predicted, task: str) -> float:
    if task == "classification":
        return float((np.asarray(predicted) == truth.to_numpy()).mean())
    return float(np.sqrt(np.mean((np.asarray(predicted, float) - truth.to_numpy()) ** 2)))


def hist_gradient_boosting(train: pd.DataFrame, test: pd.DataFrame, target: str, task: str, seed: int):
    """scikit-learn's HistGradientBoosting with default settings: test accuracy or RMSE."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    kind = HistGradientBoostingClassifier if task == "classification" else HistGradientBoostingRegressor
    x = for_boosting(pd.concat([train, test]).drop(columns=target))  # the same categories in both
    model = kind(random_state=seed).fit(x.loc[train.index], train[target])
    return score(test[target], model.predict(x.loc[test.index]), task)


def autogluon(folder: Path, target: str, task: str, seconds: float) -> dict | None:
    """AutoGluon's medium_quality preset in its own venv, given `seconds`: test score and wall time."""
    if not AUTOGLUON:
        return None
    script = Path(__file__).with_name("autogluon_fit.py")
    args = [AUTOGLUON, str(script), str(folder), target, task, str(int(seconds))]
    # Passive OpenMP waits: LightGBM's spinning threads ran 200x slower beside other work here.
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    done = subprocess.run(args, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"AutoGluon failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def one_run(name: str, table, target: str, task: str, seed: int, folder: Path, own_time: bool) -> dict:
    train, test = split(table, target, task, seed)
    train.to_csv(folder / "train.csv", index=False)
    test.to_csv(folder / "test.csv", index=False)
    model = folder / "model"
    seconds, _ = run_cli(
        ["-q", "train", str(folder / "train.csv"), "--test", str(folder / "test.csv"), "--target", target]
        + ["--out", str(model), "--seed", str(seed)]
    )
    _, out = run_cli(["evaluate", str(model), str(folder / "test.csv"), "--target", target, "--json"])
    manifest = json.loads((model / "manifest.json").read_text())
    board = {r["name"]: r for r in manifest["leaderboard"]}
    key = "accuracy" if task == "classification" else "rmse"
    row = {
        "seed": seed,
        "kept": manifest["leaderboard"][0]["model"],
        "deepstart": json.loads(out)[key],
        "deep_mlp": board["deep"][f"test_{key}"],
        "hist_gradient_boosting": hist_gradient_boosting(train, test, target, task, seed),
        "train_seconds": round(seconds, 2),
        "n_train": len(train),
        "n_test": len(test),
    }
    ag = autogluon(folder, target, task, 0 if own_time else seconds)
    if ag:
        row |= {"autogluon": ag["score"], "autogluon_seconds": ag["seconds"]}
    print(name, json.dumps(row), flush=True)
    return row


def summary(table, task: str, runs: list[dict]) -> dict:
    key = "accuracy" if task == "classification" else "rmse"
    systems = [s for s in ("deepstart", "deep_mlp", "hist_gradient_boosting", "autogluon") if s in runs[0]]
    mean = {s: statistics.mean(r[s] for r in runs) for s in systems}
    hgb = mean["hist_gradient_boosting"]
    ok = mean["deepstart"] >= hgb - 0.01 if key == "accuracy" else mean["deepstart"] <= 1.02 * hgb
    gaps = [r["deepstart"] - r["hist_gradient_boosting"] for r in runs]
    found = {
        "task": task,
        "rows": len(table),
        "metric": key,
        "mean_over_splits": mean,
        "deepstart_minus_hgb": {"mean": statistics.mean(gaps), "per_split": gaps},
        "meets_target_on_mean": bool(ok),
        "median_train_seconds": statistics.median(r["train_seconds"] for r in runs),
        "runs": runs,
    }
    if "autogluon" in mean:
        better = (
            mean["deepstart"] >= mean["autogluon"]
            if key == "accuracy"
            else mean["deepstart"] <= mean["autogluon"]
        )
        found["at_least_autogluon"] = bool(better)
    return found


def own_time_result(results: dict) -> dict:
    """Issue 29, item 4: deepstart's default train time and score against AutoGluon
    medium_quality's own (no time limit), on the same splits."""
    rows = {}
    for name, found in results.items():
        runs = found["runs"]
        ours = statistics.median(r["train_seconds"] for r in runs)
        theirs = statistics.median(r["autogluon_seconds"] for r in runs)
        rows[name] = {
            "rows": found["rows"],
            "metric": found["metric"],
            "mean_over_splits": found["mean_over_splits"],
            "median_seconds": {"deepstart": ours, "autogluon": theirs},
            "time_ratio": round(ours / theirs, 2),
            "at_least_autogluon": found.get("at_least_autogluon"),
            "runs": runs,
        }
    return {
        "target": "a default train on a table of a few thousand rows takes at most AutoGluon medium's own "
        "time on the same split, at the same quality",
        "splits": f"seeds {list(SEEDS)}, {TEST_SIZE:.0%} test, stratified for classes",
        "autogluon": "1.6.3, medium_quality, no time limit, OMP_WAIT_POLICY=PASSIVE",
        "deepstart": "deepstart train (default settings), wall time of the command (a new process)",
        "data_sets": rows,
    }


def main() -> None:
    results = {}
    own_time = "--own-time" in sys.argv
    only = [a for a in sys.argv[1:] if a != "--own-time"]
    for name, (table, target, task) in data_sets().items():
        if only and name not in only:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            runs = [one_run(name, table, target, task, seed, Path(tmp), own_time) for seed in SEEDS]
        results[name] = summary(table, task, runs)
    met = [n for n, r in results.items() if r["meets_target_on_mean"]]
    ag = [n for n, r in results.items() if r.get("at_least_autogluon")]
    if own_time:
        write_result("tables_own_time", own_time_result(results))
        return
    write_result(
        "tables",
        {
            "target": "on every table, deepstart's mean test metric over the splits no worse than default "
            "HistGradientBoosting's by more than 0.01 accuracy or 2 % RMSE",
            "splits": f"seeds {list(SEEDS)}, {TEST_SIZE:.0%} test, stratified for classes",
            "autogluon": "medium_quality, time_limit = deepstart's train time (equal time)"
            if AUTOGLUON
            else "not run",
            "tables_meeting_target": f"{len(met)} of {len(results)}",
            "tables_at_least_autogluon": f"{len(ag)} of {len(results)}" if AUTOGLUON else None,
            "data_sets": results,
        },
    )


if __name__ == "__main__":
    main()
