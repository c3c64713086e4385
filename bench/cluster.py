"""Issue 20: what --cluster costs and gives on this machine, on a local Ray.

1. Frozen EfficientNet-Lite0 features of the cats_dogs photos: the single-process
   encoder (decoding threads + one ONNX Runtime session) against Ray Data's actor pool
   (one actor a CPU, each with its own session); the features must be equal.
2. The CNN from scratch on MNIST: one process against Ray Train with DDP on 1 and on 2
   workers (same epochs, same global batch); wall time of the whole fit, the training
   loop's own time, and test accuracy.

On 2 cores expect overhead, not speed-up: one ONNX session already uses both cores,
and DDP on 2 CPU workers splits the same 2 cores while adding gradient all-reduce,
Ray's start-up (workers, placement) and a checkpoint per epoch.

    python bench/cluster.py [--photos N] [--mnist N] [--epochs N] [--cpus N]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from common import datasets_dir, write_result


def features(photos: int, cpus: int) -> dict:
    """Single-process features against Ray Data's, on the same photos (no cache)."""
    from deepstart.cluster.features import encode_on_cluster
    from deepstart.modalities.images.encoders import FeatureEncoder
    from deepstart.settings import Settings

    source = datasets_dir() / "cats_dogs"
    files = sorted(p for name in ("cats", "dogs") for p in sorted((source / name).iterdir())[: photos // 2])
    encoder = FeatureEncoder(workers=cpus, cache=False)
    encoder.encode(files[:8], "warm-up")  # the ONNX export, once per machine, not timed
    start = time.perf_counter()
    here = encoder.encode(files, "one process")
    one = time.perf_counter() - start
    settings = Settings(cluster=f"local:{cpus}", workers=cpus, cache=False)
    encode_on_cluster(encoder, files[:8], "warm-up", settings)  # Ray's start and its actors, once
    start = time.perf_counter()
    there = encode_on_cluster(encoder, files, "Ray Data", settings)
    ray_seconds = time.perf_counter() - start
    return {
        "photos": len(files),
        "one_process_s": round(one, 2),
        "ray_data_s": round(ray_seconds, 2),
        "one_process_photos_per_s": round(len(files) / one, 1),
        "ray_data_photos_per_s": round(len(files) / ray_seconds, 1),
        "ray_over_one": round(ray_seconds / one, 2),
        "max_abs_difference": float(np.abs(there.features - here.features).max()),
        "same_rows": there.kept == here.kept,
    }


def mnist(n: int, epochs: int) -> list[dict]:
    """The CNN on n MNIST training digits (20 % held out for the test): one process, DDP
    on 1 and 2 Ray workers."""
    from deepstart import Predictor

    data = np.load(datasets_dir() / "mnist" / "mnist.npz")
    rows = np.sort(
        np.random.default_rng(0).permutation(len(data["y_train"]))[:n]
    )  # the file is sorted by class
    x, y = data["x_train"][rows], data["y_train"][rows]
    runs = []
    for label, cluster in (
        ("one process", {}),
        ("DDP, 1 worker", {"workers": 1}),
        ("DDP, 2 workers", {"workers": 2}),
    ):
        if cluster:
            cluster |= {"cluster": "local:2", "cluster_storage": tempfile.mkdtemp(prefix="deepstart-ray-")}
        settings = {"model": "cnn", "epochs": epochs, "seed": 0, **cluster}
        start = time.perf_counter()
        p = Predictor(**settings).fit(x, y)  # 20 % held out for the test, the same in every run
        runs.append(
            {
                "run": label,
                "workers": cluster.get("workers", 1),
                "fit_s": round(time.perf_counter() - start, 1),
                "training_loop_s": round(p.history_.seconds, 1),
                "test_accuracy": round(p.metrics_["test"]["accuracy"], 4),
            }
        )
        print(runs[-1], flush=True)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=1802, help="cats_dogs photos (all: 1802)")
    parser.add_argument("--mnist", type=int, default=60_000, help="MNIST training digits")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--cpus", type=int, default=os.cpu_count() or 2, help="CPUs of the local Ray")
    parser.add_argument("--out", default="cluster", help="results name (bench/results/NAME.json)")
    args = parser.parse_args()
    os.environ.setdefault("DEEPSTART_CACHE", str(Path(tempfile.mkdtemp(prefix="deepstart-cache-"))))
    from deepstart.cluster.connect import connect, disconnect

    connect(f"local:{args.cpus}")
    try:
        result = {
            "ray": __import__("ray").__version__,
            "local_ray_cpus": args.cpus,
            "features": features(args.photos, args.cpus),
            "mnist_cnn": {
                "train_digits": args.mnist,
                "epochs": args.epochs,
                "runs": mnist(args.mnist, args.epochs),
            },
        }
    finally:
        disconnect()
    write_result(args.out, result)


if __name__ == "__main__":
    main()
