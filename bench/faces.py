"""Issue 17 acceptance: the "Age Detection" practice problem on real faces.

faces_age (FairFace, 448x448 aligned crops) grouped Young (10-29), Middle (30-49) and
Old (50+): 210 faces. On the same repeated stratified splits (70 % to train, 30 % to
test), `deepstart train train.csv --test test.csv --group gender` with the default
(EfficientNet-Lite0 ImageNet features + a linear classifier) against `--model faces`
(dlib's face network on each face found and aligned). Reports test accuracy per split,
their mean, the gap between women and men, and the wall time of each train.

    python bench/faces.py [--splits 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from common import datasets_dir, run_cli, write_result

GROUPS = {"10-19": "Young", "20-29": "Young", "30-39": "Middle", "40-49": "Middle"}
GROUPS |= {"50-59": "Old", "60-69": "Old", "70+": "Old"}


def splits(n: int):
    import pandas as pd
    from sklearn.model_selection import StratifiedShuffleSplit

    root = datasets_dir() / "faces_age"
    table = pd.read_csv(root / "labels.csv")
    table = table[table.age.isin(GROUPS)].reset_index(drop=True)
    rows = pd.DataFrame(
        {
            "ID": [str(root / "images" / f) for f in table.filename],
            "Class": table.age.map(GROUPS),
            "gender": table.gender,
        }
    )
    for train, test in StratifiedShuffleSplit(n, test_size=0.3, random_state=0).split(rows, rows.Class):
        yield rows.iloc[train], rows.iloc[test]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--splits", type=int, default=10)
    args = parser.parse_args()
    runs = {"default": [], "faces": []}
    with tempfile.TemporaryDirectory() as tmp:
        for k, (train, test) in enumerate(splits(args.splits)):
            folder = Path(tmp) / str(k)
            folder.mkdir()
            train.to_csv(folder / "train.csv", index=False)
            test.to_csv(folder / "test.csv", index=False)
            for name, more in (("default", []), ("faces", ["--model", "faces"])):
                out = folder / name
                args_ = [
                    "train",
                    str(folder / "train.csv"),
                    "--target",
                    "Class",
                    "--test",
                    str(folder / "test.csv"),
                ]
                seconds, _ = run_cli([*args_, "--group", "gender", *more, "--out", str(out)])
                test_metrics = json.loads((out / "manifest.json").read_text())["metrics"]["test"]
                by = test_metrics["groups"]["by_group"]
                gap = 100 * (by["Female"]["accuracy"] - by["Male"]["accuracy"])
                runs[name].append(
                    {"accuracy": test_metrics["accuracy"], "female_minus_male": gap, "seconds": seconds}
                )
                print(
                    name,
                    k,
                    f"{100 * test_metrics['accuracy']:.1f} %  women-men {gap:+.1f} points  {seconds:.0f} s",
                )
    summary = {
        name: {
            "mean_accuracy": round(100 * statistics.mean(r["accuracy"] for r in rows), 1),
            "stdev": round(100 * statistics.stdev(r["accuracy"] for r in rows), 1),
            "mean_gap_women_minus_men": round(statistics.mean(r["female_minus_male"] for r in rows), 1),
            "median_train_seconds": round(statistics.median(r["seconds"] for r in rows), 1),
        }
        for name, rows in runs.items()
    }
    summary["gain_points"] = round(summary["faces"]["mean_accuracy"] - summary["default"]["mean_accuracy"], 1)
    print(json.dumps(summary, indent=2))
    write_result("faces", {"summary": summary, "runs": runs, "splits": args.splits, "faces": 210})


if __name__ == "__main__":
    main()
