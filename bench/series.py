"""Issue 5 acceptance, series: on real series that statsmodels ships, the forecaster
`deepstart train --task timeseries` keeps must reach MASE < 1 on the test window (the
last H x k steps, forecast from rolling origins one step apart). MASE divides the
errors by the in-sample error of seasonal naive; the benchmark also reports the
stricter ratio to seasonal naive's own error on the same test window, and the deep
GRU's MASE beside the kept model's.

- co2: weekly CO2 at Mauna Loa, 1958-2001 (2,284 weeks), a year ahead (H = 52);
- sunspots: yearly sunspot activity, 1700-2008 (309 years), H = 11 (about one cycle);
- elnino: monthly sea surface temperature, 1950-2010 (732 months), a year ahead (H = 12).

    pip install statsmodels; python bench/series.py
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd

from common import run_cli, write_result


def series() -> dict[str, tuple[pd.DataFrame, str, str, int]]:
    """name -> (table, target column, time column, horizon)."""
    import statsmodels.api as sm

    co2 = sm.datasets.co2.load_pandas().data.rename_axis("date").reset_index()
    sun = sm.datasets.sunspots.load_pandas().data
    nino = sm.datasets.elnino.load_pandas().data.melt(id_vars="YEAR", var_name="month", value_name="sst")
    months = {m: k for k, m in enumerate(sm.datasets.elnino.load_pandas().data.columns[1:], 1)}
    nino["date"] = pd.to_datetime({"year": nino.YEAR.astype(int), "month": nino.month.map(months), "day": 1})
    nino = nino.sort_values("date")[["date", "sst"]]
    return {
        "co2": (co2, "co2", "date", 52),
        "sunspots": (sun, "SUNACTIVITY", "YEAR", 11),
        "elnino": (nino, "sst", "date", 12),
    }


def main() -> None:
    results = {}
    for name, (table, target, time_column, horizon) in series().items():
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            table.to_csv(folder / "series.csv", index=False)
            seconds, _ = run_cli(
                ["-q", "train", str(folder / "series.csv"), "--task", "timeseries", "--target", target]
                + ["--time", time_column, "--horizon", str(horizon), "--out", str(folder / "model")]
            )
            manifest = json.loads((folder / "model" / "manifest.json").read_text())
        board = {r["name"]: r for r in manifest["leaderboard"]}
        test = manifest["metrics"]["test"]
        results[name] = {
            "steps": len(table),
            "horizon": horizon,
            "season": manifest["encoder"]["season"],
            "season_source": manifest["encoder"]["season_source"],
            "lookback": manifest["encoder"]["lookback"],
            "test_window_steps": manifest["data"]["n_test"],
            "kept": manifest["leaderboard"][0]["model"],
            "kept_test_mase": test["mase"],
            "kept_test_smape_percent": test["smape"],
            "kept_mae_relative_to_seasonal_naive": test["mae_relative_to_seasonal_naive"],
            "test_mase": {n: r["test_mase"] for n, r in board.items()},
            "validation_mase": {n: r["validation_mase"] for n, r in board.items()},
            "meets_target_mase_below_1": test["mase"] < 1,
            "beats_seasonal_naive_on_test_window": test["mae_relative_to_seasonal_naive"] < 1,
            "train_seconds": round(seconds, 2),
        }
        print(name, json.dumps(results[name]))
    write_result(
        "series",
        {"target": "kept forecaster's test MASE < 1 (against seasonal naive)", "series": results},
    )


if __name__ == "__main__":
    main()
