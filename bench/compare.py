"""Issue 6 acceptance, compare: learning curves of the deep and the classical models,
with a recommendation, on Dogs vs. Cats (1,802 photos: transfer learning against
logistic regression on 32x32 pixels and gradient boosting on colours and 8x8
thumbnails) and on scikit-learn's breast cancer table (569 rows: an MLP against
logistic regression, a decision tree and gradient boosting). Each runs
`deepstart compare` once, the photos with an empty feature cache (a first run).

    python bench/compare.py [--keep DIR]    (--keep: leave the plots and JSON in DIR)
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from common import datasets_dir, run_cli, write_result


def compare(data: Path, out: Path, extra: list[str], env: dict) -> dict:
    """`deepstart compare DATA --out OUT`: its numbers, recommendation and wall time."""
    seconds, said = run_cli(["-q", "compare", str(data), "--out", str(out), *extra], env)
    result = json.loads((out / "compare.json").read_text())
    if not (out / "learning_curve.png").read_bytes().startswith(b"\x89PNG"):
        raise SystemExit(f"{out / 'learning_curve.png'} is not a PNG")
    if result["recommendation"] not in said:
        raise SystemExit(f"The printed recommendation differs from compare.json's:\n{said}")
    return {
        "command": f"deepstart compare {data.name} {' '.join(extra)}".strip(),
        "wall_s": round(seconds, 1),
        "test_examples": result["test_rows"],
        "metric": result["metric"],
        "models": result["models"],
        "points": [{k: _rounded(v) for k, v in p.items()} for p in result["points"]],
        "recommendation": result["recommendation"],
    }


def _rounded(value):
    return round(value, 4) if isinstance(value, float) else value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, default=None, help="leave the plots and JSON in this folder")
    args = parser.parse_args()
    from sklearn.datasets import load_breast_cancer

    photos = datasets_dir() / "cats_dogs"
    work = Path(tempfile.mkdtemp(prefix="deepstart-bench-"))
    out = args.keep or work
    try:
        env = {"DEEPSTART_CACHE": str(work / "cache")}
        table = work / "breast_cancer.csv"
        load_breast_cancer(as_frame=True).frame.to_csv(table, index=False)
        result = {
            "data": "cats_dogs: 1,802 photos (808 cats, 994 dogs); breast cancer: 569 rows, 30 columns; "
            "a fifth of each (stratified, seed 0) to test, 2 to 100 % of the rest to train",
            "cats_dogs": compare(photos, out / "cats_dogs", [], env),
            "breast_cancer": compare(table, out / "breast_cancer", ["--target", "target"], env),
            "targets": {"outputs": "learning_curve.png, compare.json, a recommendation agreeing with them"},
        }
        write_result("compare", result)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
