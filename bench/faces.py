"""Issue 17 acceptance: the "Age Detection" practice problem on real faces.

faces_age (FairFace, 448x448 aligned crops) grouped Young (10-29), Middle (30-49) and
Old (50+): 210 faces. On the same repeated stratified splits (70 % to train, 30 % to
test), `deepstart train train.csv --test test.csv --group gender` as it chooses by
itself (it finds one face in most photos: dlib's face network on each face found and
aligned) against `--no-faces` (EfficientNet-Lite0 ImageNet features + a linear
classifier, what it chose before it looked for faces). Reports test accuracy per split,
their mean, the gap between women and men, and the wall time of each train. Then, on the
same splits: ages as numbers (all 270 faces; FairFace gives ten-year bands, so each age
is its band's middle, 1 for 0-2, 75 for 70+) with `--task regression --model faces`: MAE in
years, against always answering the training faces' mean age; and `--balance gender`
where the training faces are skewed (two of every three women left out): each gender's
test accuracy before and after.

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
MIDDLES = {"0-2": 1, "3-9": 6, "10-19": 15, "20-29": 25, "30-39": 35, "40-49": 45, "50-59": 55, "60-69": 65}
MIDDLES |= {"70+": 75}


def splits(n: int):
    import pandas as pd
    from sklearn.model_selection import StratifiedShuffleSplit

    root = datasets_dir() / "faces_age"
    table = pd.read_csv(root / "labels.csv")
    rows = pd.DataFrame(
        {
            "ID": [str(root / "images" / f) for f in table.filename],
            "Class": table.age.map(GROUPS).fillna("Child"),  # 0-9: not in the three groups
            "age": table.age.map(MIDDLES),
            "gender": table.gender,
        }
    )
    for train, test in StratifiedShuffleSplit(n, test_size=0.3, random_state=0).split(rows, rows.Class):
        yield rows.iloc[train], rows.iloc[test]


def train(folder: Path, name: str, train_rows, test_rows, *more) -> dict:
    """`deepstart train` on these rows; (the test metrics, wall seconds)."""
    train_rows.to_csv(folder / f"{name}-train.csv", index=False)
    test_rows.to_csv(folder / f"{name}-test.csv", index=False)
    args = ["train", str(folder / f"{name}-train.csv"), "--test", str(folder / f"{name}-test.csv"), *more]
    seconds, _ = run_cli([*args, "--out", str(folder / name)])
    return json.loads((folder / name / "manifest.json").read_text())["metrics"]["test"] | {"seconds": seconds}


def women_minus_men(groups: dict) -> float:
    by = groups["by_group"]
    return 100 * (by["Female"]["accuracy"] - by["Male"]["accuracy"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--splits", type=int, default=10)
    args = parser.parse_args()
    runs = {"default": [], "faces": [], "ages": [], "balance": []}
    with tempfile.TemporaryDirectory() as tmp:
        for k, (train_rows, test_rows) in enumerate(splits(args.splits)):
            folder = Path(tmp) / str(k)
            folder.mkdir()
            grouped = [r[r.Class != "Child"].drop(columns=["age"]) for r in (train_rows, test_rows)]
            for name, more in (("default", ["--no-faces"]), ("faces", [])):
                found = train(folder, name, *grouped, "--target", "Class", "--group", "gender", *more)
                chosen = json.loads((folder / name / "manifest.json").read_text())["model"]["name"]
                assert chosen == ("faces" if name == "faces" else "transfer"), chosen
                gap = women_minus_men(found["groups"])
                runs[name].append(
                    {"accuracy": found["accuracy"], "female_minus_male": gap, "seconds": found["seconds"]}
                )
                print(
                    name,
                    k,
                    f"{100 * found['accuracy']:.1f} %  women-men {gap:+.1f} points  {found['seconds']:.0f} s",
                )
            ages = [r.drop(columns="Class") for r in (train_rows, test_rows)]
            found = train(
                folder, "ages", *ages, "--target", "age", "--task", "regression", "--model", "faces"
            )
            mean_guess = float(abs(ages[1].age - ages[0].age.mean()).mean())
            runs["ages"].append(
                {"mae": found["mae"], "mae_of_the_mean": mean_guess, "seconds": found["seconds"]}
            )
            print("ages", k, f"MAE {found['mae']:.1f} years (the mean age: {mean_guess:.1f})")
            women = grouped[0][grouped[0].gender == "Female"]
            skewed = grouped[0].drop(women.index[women.reset_index().index % 3 != 0])  # a third of the women
            found = train(
                folder,
                "balance",
                skewed,
                grouped[1],
                "--target",
                "Class",
                "--model",
                "faces",
                "--balance",
                "gender",
            )
            before, after = (women_minus_men(found["balance"][w]) for w in ("before", "after"))
            runs["balance"].append({"before": before, "after": after, "accuracy": found["accuracy"]})
            print("balance", k, f"women-men {before:+.1f} -> {after:+.1f} points")
    summary = {
        name: {
            "mean_accuracy": round(100 * statistics.mean(r["accuracy"] for r in rows), 1),
            "stdev": round(100 * statistics.stdev(r["accuracy"] for r in rows), 1),
            "mean_gap_women_minus_men": round(statistics.mean(r["female_minus_male"] for r in rows), 1),
            "median_train_seconds": round(statistics.median(r["seconds"] for r in rows), 1),
        }
        for name, rows in runs.items()
        if name in ("default", "faces")
    }
    summary["ages"] = {
        "mean_mae_years": round(statistics.mean(r["mae"] for r in runs["ages"]), 2),
        "mean_mae_of_the_mean_age": round(statistics.mean(r["mae_of_the_mean"] for r in runs["ages"]), 2),
    }
    summary["balance"] = {
        f"mean_gap_women_minus_men_{w}": round(statistics.mean(r[w] for r in runs["balance"]), 1)
        for w in ("before", "after")
    }
    summary["gain_points"] = round(summary["faces"]["mean_accuracy"] - summary["default"]["mean_accuracy"], 1)
    print(json.dumps(summary, indent=2))
    write_result("faces", {"summary": summary, "runs": runs, "splits": args.splits, "faces": 270})


if __name__ == "__main__":
    main()
