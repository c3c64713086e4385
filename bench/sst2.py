"""Issue 4 acceptance: sentiment of movie reviews (GLUE SST-2), from the text table.

1. Embedding throughput, side by side in one process on the same sentences (no cache):
   sentence-transformers' plain `encode` against deepstart's encoder (int8 ONNX
   Runtime, and fp32 for reference); medians of 3 interleaved rounds.
2. `deepstart train train.tsv --val dev.tsv --test test.tsv` (67,349 sentences to
   train, GLUE's 872 dev sentences to validate, 1,821 labelled test sentences) with an
   empty cache, then `deepstart evaluate --json`. Targets: test accuracy >= 83 %,
   train wall time <= 8 min. Then the same without --val, for comparison: a tenth of
   train.tsv validates, but its phrases are cut from the same sentences as the rest.
3. With --fine-tune: the same with --fine-tune (target >= 88 %; its time is reported).

    python bench/sst2.py [--fine-tune] [--skip-default]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from common import datasets_dir, run_cli, write_result

SAMPLE = 3000  # sentences for the throughput comparison


def throughput(train_tsv: Path) -> dict:
    """Sentences per second of each encoder on the same SAMPLE sentences."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    import numpy as np
    import pandas as pd
    from sentence_transformers import SentenceTransformer

    from deepstart.modalities.texts.encoders import TextEncoder
    from deepstart.models import minilm

    texts = list(pd.read_csv(train_tsv, sep="\t", dtype=str, keep_default_na=False)["sentence"][:SAMPLE])
    st = SentenceTransformer(str(minilm.model_dir()), device="cpu")
    ours = {"int8": TextEncoder(cache=False, int8=True), "fp32": TextEncoder(cache=False, int8=False)}
    for encoder in ours.values():
        encoder.embed(texts[:64])  # export (once per machine) and warm up outside the clock
    st.encode(texts[:64])
    rates: dict[str, list[float]] = {"sentence_transformers": [], "int8": [], "fp32": []}
    outputs = {}
    for _ in range(3):
        for name in rates:
            start = time.perf_counter()
            if name == "sentence_transformers":
                outputs[name] = st.encode(texts, batch_size=32)
            else:
                outputs[name] = ours[name].embed(texts)
            rates[name].append(len(texts) / (time.perf_counter() - start))
    median = {k: round(statistics.median(v), 1) for k, v in rates.items()}
    cosine = {k: (outputs["sentence_transformers"] * outputs[k]).sum(1) for k in ours}
    return {
        "sentences": len(texts),
        "sentences_per_s_median": median,
        "sentences_per_s_all": {k: [round(x, 1) for x in v] for k, v in rates.items()},
        "speedup_vs_sentence_transformers": {
            k: round(median[k] / median["sentence_transformers"], 2) for k in ours
        },
        "cosine_to_sentence_transformers": {
            k: {"min": round(float(np.min(c)), 4), "mean": round(float(np.mean(c)), 4)}
            for k, c in cosine.items()
        },
        "target": "deepstart's encoder >= 2x sentence-transformers' encode",
    }


def trained(args: list[str], train: Path, test: Path, model: str, env: dict) -> dict:
    seconds, _ = run_cli(["-q", "train", str(train), "--test", str(test), "--out", model, *args], env)
    args = [a if not a.endswith(".tsv") else Path(a).name for a in args]
    eval_s, out = run_cli(["-q", "evaluate", model, str(test), "--json"], env)
    manifest = json.loads((Path(model) / "manifest.json").read_text())
    history = manifest["training"]["history"]
    return {
        "command": f"deepstart train train.tsv --test test.tsv --out model/ {' '.join(args)}".strip(),
        "deep_model_test_accuracy": next(r for r in manifest["leaderboard"] if r["name"] == "deep")[
            "test_accuracy"
        ],
        "test_accuracy": json.loads(out)["accuracy"],
        "train_wall_s": round(seconds, 1),
        "evaluate_wall_s": round(eval_s, 1),
        "kept": manifest["choice"],
        "leaderboard": manifest["leaderboard"],
        "epochs": len(history["epochs"]),
        "best_epoch": history["best_epoch"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fine-tune", action="store_true", help="also train with --fine-tune")
    parser.add_argument("--skip-default", action="store_true", help="only the --fine-tune run")
    args = parser.parse_args()
    source = datasets_dir() / "sst2"
    train, dev, test = source / "train.tsv", source / "dev.tsv", source / "test.tsv"
    work = Path(tempfile.mkdtemp(prefix="deepstart-bench-"))
    result = {
        "data": "sst2: train.tsv 67,349 sentences to train; dev.tsv 872 to validate (without --val: a "
        "tenth of train.tsv); test.tsv 1,821 to test"
    }
    try:
        env = {"DEEPSTART_CACHE": str(work / "cache")}
        if not args.skip_default:
            os.environ.update(env)  # the throughput run's ONNX export is cached like a user's first run
            result["throughput"] = throughput(train)
            shutil.rmtree(work / "cache" / "onnx", ignore_errors=True)  # train starts from nothing
            result["default"] = trained(["--val", str(dev)], train, test, str(work / "model"), env)
            result["default"]["targets"] = {"test_accuracy": ">= 0.83", "train_wall_s": "<= 480"}
            result["default_without_val"] = trained([], train, test, str(work / "model"), env)
        if args.fine_tune:
            result["fine_tune"] = trained(
                ["--val", str(dev), "--fine-tune"], train, test, str(work / "tuned"), env
            )
            result["fine_tune"]["target"] = {"test_accuracy": ">= 0.88"}
        write_result("sst2_fine_tune" if args.skip_default else "sst2", result)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
