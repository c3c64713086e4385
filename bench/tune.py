"""Issue 18 acceptance: `deepstart tune` beside `deepstart train`'s defaults, in one run,
on the same training and test files.

(a) MNIST ("Identify the Digits" layout, 60,000 to learn from, 10,000 to test) with a
5-minute budget; (b) three real tables (scikit-learn's breast cancer and diabetes,
statsmodels' fair; a quarter held out, seed 0) with 2 minutes each; (c) SST-2 sentiment
(the first 5,000 training sentences, GLUE's dev sentences to validate, 1,821 to test)
with 3 minutes. Reports each test score (accuracy, or RMSE), the difference, its noise
(the binomial standard error of the test accuracy), the trials and the wall times.

    python bench/tune.py [--only mnist|tables|text]
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from pathlib import Path

from mnist import write_png_layout
from tables import data_sets, split

from common import ROOT, datasets_dir, run_cli, write_result

BUDGETS = {"mnist": "5m", "table": "2m", "text": "3m"}
TABLES = ("breast_cancer", "diabetes", "fair")


def side_by_side(name: str, data: Path, test: Path, budget: str, folder: Path, *more: str) -> dict:
    """train with the defaults, then tune, on the same files: their test scores and times."""
    found = {"data": name, "budget": budget}
    for how, args in (("default", ["train"]), ("tuned", ["tune", "--budget", budget])):
        out = folder / f"{name}-{how}"
        seconds, _ = run_cli(["-q", *args, str(data), "--test", str(test), *more, "--out", str(out)])
        manifest = json.loads((out / "manifest.json").read_text())
        test_metrics = manifest["metrics"]["test"]
        metric = "rmse" if "rmse" in test_metrics else "accuracy"
        found[how] = {metric: test_metrics[metric], "seconds": round(seconds, 1), "n_test": test_metrics["n"]}
        if how == "tuned":
            tuning = manifest["tuning"]
            found[how] |= {
                "trials": tuning["n_trials"],
                "completed": tuning["completed"],
                "chosen": tuning["chosen"],
                "validation": [tuning.get("default_validation"), tuning.get("best_validation")],
                "reasons": tuning["reasons"][:3],
            }
    metric = "rmse" if "rmse" in found["default"] else "accuracy"
    a, b = found["default"][metric], found["tuned"][metric]
    found["gain"] = round((a - b) if metric == "rmse" else 100 * (b - a), 4)  # points, or RMSE lower
    if metric == "accuracy":
        found["noise_points"] = round(100 * math.sqrt(a * (1 - a) / found["default"]["n_test"]), 3)
    print(json.dumps(found))
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["mnist", "tables", "text"], default=None)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.only in (None, "mnist"):
            root = write_png_layout(
                datasets_dir() / "mnist" / "mnist.npz", ROOT / "bench" / ".data" / "mnist_png"
            )
            results.append(
                side_by_side("mnist", root / "train.csv", root / "test.csv", BUDGETS["mnist"], folder)
            )
        if args.only in (None, "tables"):
            tables = data_sets()
            for name in TABLES:
                table, target, task = tables[name]
                train, test = split(table, target, task, seed=0)
                train.to_csv(folder / f"{name}-train.csv", index=False)
                test.to_csv(folder / f"{name}-test.csv", index=False)
                more = ["--target", target, "--task", task]
                paths = (folder / f"{name}-train.csv", folder / f"{name}-test.csv")
                results.append(side_by_side(name, *paths, BUDGETS["table"], folder, *more))
        if args.only in (None, "text"):
            sst2 = datasets_dir() / "sst2"
            lines = (sst2 / "train.tsv").read_text().splitlines()
            (folder / "sst2-5000.tsv").write_text("\n".join(lines[:5001]) + "\n")
            more = ["--target", "label", "--val", str(sst2 / "dev.tsv")]
            results.append(
                side_by_side(
                    "sst2", folder / "sst2-5000.tsv", sst2 / "test.tsv", BUDGETS["text"], folder, *more
                )
            )
    write_result("tune" if args.only is None else f"tune_{args.only}", {"results": results})


if __name__ == "__main__":
    main()
