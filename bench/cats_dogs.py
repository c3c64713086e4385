"""Issue 2 acceptance: transfer learning on Dogs vs. Cats, 500 photos held out.

Runs `deepstart train train/ --test test/` with an empty feature cache (the first run
on a new machine, ONNX export included), then again with the cache warm, then
`deepstart evaluate --json`. Targets: test accuracy >= 99.0 %, cold train <= 60 s.

    python bench/cats_dogs.py [--eager] [--fine-tune]
        --eager       also time the PyTorch-only path (no ONNX Runtime)
        --fine-tune   also train with --fine-tune (issue 3: must not lose to the frozen path)
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
from pathlib import Path

from common import datasets_dir, run_cli, write_result

TEST_PER_CLASS = {"cats": 224, "dogs": 276}  # 500 held out, stratified (808 : 994)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eager", action="store_true", help="also time eager PyTorch (no ONNX Runtime)")
    parser.add_argument("--fine-tune", action="store_true", help="also fine-tune the whole network")
    args = parser.parse_args()
    source = datasets_dir() / "cats_dogs"
    work = Path(tempfile.mkdtemp(prefix="deepstart-bench-"))
    try:
        train, test = make_split(source, work)
        cache = {"DEEPSTART_CACHE": str(work / "cache")}
        model = str(work / "model")
        cold, _ = run_cli(["-q", "train", str(train), "--test", str(test), "--out", model], cache)
        warm, _ = run_cli(["-q", "train", str(train), "--test", str(test), "--out", model], cache)
        eval_s, out = run_cli(["-q", "evaluate", model, str(test), "--json"], cache)
        metrics = json.loads(out)
        manifest = json.loads((Path(model) / "manifest.json").read_text())
        result = {
            "data": "cats_dogs: 1,302 train (incl. validation), 500 stratified test",
            "command": "deepstart train train/ --test test/ --out model/",
            "test_accuracy": metrics["accuracy"],
            "test_macro_f1": metrics["macro_f1"],
            "n_test": metrics["n"],
            "train_wall_s_cold_cache": round(cold, 1),
            "train_wall_s_warm_cache": round(warm, 1),
            "evaluate_wall_s_warm_cache": round(eval_s, 1),
            "best_epoch": manifest["training"]["history"]["best_epoch"],
            "targets": {"test_accuracy": ">= 0.990", "train_wall_s_cold_cache": "<= 60"},
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
