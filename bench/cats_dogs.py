"""Issue 2 acceptance: transfer learning on Dogs vs. Cats, 500 photos held out; issue 29,
item 5: the first run.

Times `deepstart train train/ --test test/` from three caches, side by side in each of
--rounds rounds (their order turning), each from a fresh copy, and reports the medians:
  cold      nothing cached: the first run on a machine (the network's ONNX export included)
  new data  the prepared network cached, no features: a new data set on a machine that
            has run deepstart before
  warm      the network and these photos' features cached: the same data again
then `deepstart evaluate --json`. Targets: test accuracy >= 99.0 %, cold train <= 60 s,
cold <= 1.5 x new data.

    python bench/cats_dogs.py [--rounds N] [--eager] [--fine-tune]
        --eager       also time the PyTorch-only path (no ONNX Runtime)
        --fine-tune   also train with --fine-tune (issue 3: must not lose to the frozen path)
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
from pathlib import Path

from common import datasets_dir, run_cli, write_result

TEST_PER_CLASS = {"cats": 224, "dogs": 276}  # 500 held out, stratified (808 : 994)
CACHES = ("cold", "new_data", "warm")


def make_split(source: Path, work: Path, seed: int = 0) -> tuple[Path, Path]:
    """train/ and test/ class folders of symbolic links; 500 stratified test photos."""
    rng = random.Random(seed)
    for name, n_test in TEST_PER_CLASS.items():
        files = sorted((source / name).iterdir())
        rng.shuffle(files)
        for part, chosen in (("test", files[:n_test]), ("train", files[n_test:])):
            folder = work / part / name
            folder.mkdir(parents=True)
            for f in chosen:
                (folder / f.name).symlink_to(f.resolve())
    return work / "train", work / "test"


def first_run(train: Path, test: Path, work: Path, rounds: int, env: dict | None = None) -> dict:
    """Wall seconds of `train` from each of CACHES, in `rounds` rounds whose order turns
    (cold, new data, warm; then new data, warm, cold; ...), so that a machine that other
    work slows down slows each alike; every run starts from its own copy of the cache."""
    command = ["-q", "train", str(train), "--test", str(test), "--out", str(work / "model")]
    seed = work / "seed"  # a finished run's cache: the network prepared, the features computed
    run_cli(command, {**(env or {}), "DEEPSTART_CACHE": str(seed)})
    times: dict[str, list[float]] = {name: [] for name in CACHES}
    for r in range(rounds):
        for name in CACHES[r % 3 :] + CACHES[: r % 3]:
            cache = work / f"{name}-{r}"
            if name == "new_data":
                shutil.copytree(seed / "onnx", cache / "onnx")
            elif name == "warm":
                shutil.copytree(seed, cache)
            seconds, _ = run_cli(command, {**(env or {}), "DEEPSTART_CACHE": str(cache)})
            times[name].append(round(seconds, 1))
            shutil.rmtree(cache, ignore_errors=True)
    median = {name: round(statistics.median(t), 1) for name, t in times.items()}
    return {
        "rounds": rounds,
        "train_wall_s": times,
        "median_s": median,
        "cold_over_new_data": round(median["cold"] / median["new_data"], 2),
        "cold_over_warm": round(median["cold"] / median["warm"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the three caches (default 3)")
    parser.add_argument("--eager", action="store_true", help="also time eager PyTorch (no ONNX Runtime)")
    parser.add_argument("--fine-tune", action="store_true", help="also fine-tune the whole network")
    args = parser.parse_args()
    source = datasets_dir() / "cats_dogs"
    work = Path(tempfile.mkdtemp(prefix="deepstart-bench-"))
    try:
        train, test = make_split(source, work)
        first = first_run(train, test, work, args.rounds)
        cache = {"DEEPSTART_CACHE": str(work / "seed")}
        model = str(work / "model")
        eval_s, out = run_cli(["-q", "evaluate", model, str(test), "--json"], cache)
        metrics = json.loads(out)
        manifest = json.loads((Path(model) / "manifest.json").read_text())
        result = {
            "data": "cats_dogs: 1,302 train (incl. validation), 500 stratified test",
            "command": "deepstart train train/ --test test/ --out model/",
            "test_accuracy": metrics["accuracy"],
            "test_macro_f1": metrics["macro_f1"],
            "n_test": metrics["n"],
            "train_wall_s_cold_cache": first["median_s"]["cold"],
            "train_wall_s_warm_cache": first["median_s"]["warm"],
            "first_run": first,
            "evaluate_wall_s_warm_cache": round(eval_s, 1),
            "best_epoch": manifest["training"]["history"]["best_epoch"],
            "targets": {
                "test_accuracy": ">= 0.990",
                "train_wall_s_cold_cache": "<= 60",
                "cold_over_new_data": "<= 1.5",
            },
        }
        if args.eager:
            eager_cache = {"DEEPSTART_CACHE": str(work / "cache-eager"), "DEEPSTART_ENGINE": "pytorch"}
            result["train_wall_s_cold_cache_eager_pytorch"] = round(
                run_cli(["-q", "train", str(train), "--test", str(test), "--out", model], eager_cache)[0], 1
            )
        if args.fine_tune:
            tuned = str(work / "tuned")
            seconds, _ = run_cli(
                ["-q", "train", str(train), "--test", str(test), "--out", tuned, "--fine-tune"], cache
            )
            manifest = json.loads((Path(tuned) / "manifest.json").read_text())
            result["fine_tune"] = {
                "command": "deepstart train train/ --test test/ --fine-tune",
                "test_accuracy": manifest["metrics"]["test"]["accuracy"],
                "train_wall_s_warm_cache": round(seconds, 1),
                "epochs": len(manifest["training"]["history"]["epochs"]),
                "best_epoch": manifest["training"]["history"]["best_epoch"],  # 0: kept the linear probe
                "val_loss_per_epoch": [
                    round(e["val_loss"], 4) for e in manifest["training"]["history"]["epochs"]
                ],
                "target": "test accuracy not below the frozen path's",
            }
        write_result("cats_dogs", result)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
