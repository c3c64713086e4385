"""Issue 29, item 6: the GPU is used when there is one. Run on a machine with a CUDA GPU:

    python bench/gpu.py            # DEEPSTART_DATA: the data sets (mnist/mnist.npz, cats_dogs/)

- MNIST from PNG files (bench/mnist.py's layout, written with every core): `deepstart
  train train.csv --test test.csv` in this process, each stage timed (reading, training),
  test accuracy; targets >= 99.3 % with <= 5 s of training on one H200;
- the same network through the Python API on the arrays, over batch sizes and epochs:
  what the GPU's defaults are chosen from;
- cats/dogs (what DEEPSTART_DATA holds of it): frozen features and fine-tuning, wall time
  and test accuracy, beside the CPU's figures in bench/results/cats_dogs.json.
Writes bench/results/gpu.json with the machine."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from common import ROOT, datasets_dir, write_result

STAGES: dict[str, float] = {}


def timed_stages(event: dict) -> None:
    """A progress listener: how long each stage took (first event to its finish)."""
    if event["event"] != "progress":
        return
    key = f"{event['stage']}_started"
    STAGES.setdefault(key, time.perf_counter())
    if event["finished"]:
        STAGES[event["stage"]] = round(time.perf_counter() - STAGES.pop(key), 2)


def write_pngs(npz: Path, root: Path) -> Path:
    """MNIST as PNGs + CSVs, every core writing."""
    data = np.load(npz)
    for part, folder in (("train", "Train"), ("test", "Test")):
        names = [f"{part}_{i:05d}.png" for i in range(len(data[f"y_{part}"]))]
        _save_all(data[f"x_{part}"], [root / folder / n for n in names])
        rows = ["filename,label", *[f"{n},{y}" for n, y in zip(names, data[f"y_{part}"])]]
        (root / f"{part}.csv").write_text("\n".join(rows) + "\n")
    return root


def _save_all(images: np.ndarray, paths: list[Path]) -> None:
    paths[0].parent.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: Image.fromarray(images[i]).save(paths[i]), range(len(paths))))


def mnist_from_pngs(root: Path, work: Path) -> dict:
    from deepstart import Predictor
    from deepstart.log import listening

    STAGES.clear()
    start = time.perf_counter()
    with listening(timed_stages):
        p = Predictor().fit(str(root / "train.csv"), test=str(root / "test.csv"))
    wall = time.perf_counter() - start
    p.save(work / "mnist")
    history = p.training_["history"]
    return {
        "command": "deepstart train train.csv --test test.csv (in this process, the defaults)",
        "test_accuracy": p.metrics_["test"]["accuracy"],
        "training_s": history["seconds"],
        "fit_wall_s": round(wall, 2),
        "epochs": len(history["epochs"]),
        "batch_size": p.training_["settings"].get("batch_size"),
        "stages_s": dict(STAGES),
        "targets": {"test_accuracy": ">= 0.993", "training_s": "<= 5 on one H200"},
    }


def mnist_grid(npz: Path) -> list[dict]:
    from deepstart import Predictor

    data = np.load(npz)
    x, y, xt, yt = data["x_train"], data["y_train"], data["x_test"], data["y_test"]
    rows = []
    for batch, epochs in ((128, 3), (512, 4), (512, 8), (1024, 8), (1024, 12)):
        p = Predictor(model="cnn", batch_size=batch, epochs=epochs, seed=0).fit(x, y, test=(xt, yt))
        history = p.training_["history"]
        rows.append(
            {
                "batch_size": batch,
                "epochs": epochs,
                "test_accuracy": p.metrics_["test"]["accuracy"],
                "training_s": history["seconds"],
            }
        )
        print(rows[-1], flush=True)
    return rows


def frozen_breakdown(folder: Path) -> dict:
    """Where the frozen path's time goes: decoding the photos (every core), building the
    network, the network on the decoded photos."""
    import os

    import torch

    from deepstart.modalities.images.encoders import GPU_BATCH as BATCH
    from deepstart.modalities.images.encoders import FeatureEncoder, _load_chunk, chunk_size

    files = sorted(folder.rglob("*.jpg"))
    encoder = FeatureEncoder(workers=os.cpu_count() or 1, cache=False)
    start = time.perf_counter()
    size = chunk_size(len(files), encoder.workers)
    with ThreadPoolExecutor(encoder.workers) as pool:
        parts = pool.map(
            _load_chunk,
            [files[s : s + size] for s in range(0, len(files), size)],
            [encoder.pixels] * len(files),
            [encoder.max_pixels] * len(files),
        )
        pixels = np.stack([a for part in parts for _, a in part if not isinstance(a, str)])
    decode = time.perf_counter() - start
    start = time.perf_counter()
    encoder.transform(pixels[:BATCH])  # builds the network, first call
    torch.cuda.synchronize()
    build = time.perf_counter() - start
    start = time.perf_counter()
    for s in range(0, len(pixels), BATCH):
        encoder.transform(pixels[s : s + BATCH])
    torch.cuda.synchronize()
    return {
        "photos": len(pixels),
        "decode_s": round(decode, 2),
        "first_call_s": round(build, 2),
        "network_s": round(time.perf_counter() - start, 2),
    }


def cats_dogs(folder: Path, work: Path) -> dict:
    from deepstart import Predictor
    from deepstart.log import listening

    found = {}
    for name, settings in (("frozen", {}), ("fine_tune", {"fine_tune": True, "epochs": 3})):
        STAGES.clear()
        start = time.perf_counter()
        with listening(timed_stages):
            p = Predictor(**settings).fit(str(folder))
        found[name] = {
            "test_accuracy": p.metrics_["test"]["accuracy"],
            "n_test": p.metrics_["test"]["n"],
            "fit_wall_s": round(time.perf_counter() - start, 2),
            "training_s": p.training_["history"]["seconds"],
            "stages_s": dict(STAGES),
        }
        print(name, found[name], flush=True)
    photos = sum(1 for _ in folder.rglob("*.jpg"))
    cpu = json.loads((ROOT / "bench" / "results" / "cats_dogs.json").read_text())
    return found | {
        "photos": photos,
        "cpu_for_comparison": {
            "machine": cpu["machine"],
            "photos": 1802,
            "frozen_train_wall_s_cold_cache": cpu["train_wall_s_cold_cache"],
            "fine_tune_train_wall_s_warm_cache": cpu["fine_tune"]["train_wall_s_warm_cache"],
        },
    }


def main() -> None:
    import torch

    if not torch.cuda.is_available():
        sys.exit("bench/gpu.py needs a CUDA GPU.")
    data = datasets_dir()
    work = Path(tempfile.mkdtemp(prefix="deepstart-gpu-"))
    result = {}
    root = write_pngs(data / "mnist" / "mnist.npz", work / "mnist_png")
    result["mnist_from_pngs"] = mnist_from_pngs(root, work)
    print(result["mnist_from_pngs"], flush=True)
    if "--grid" in sys.argv:
        result["mnist_grid"] = mnist_grid(data / "mnist" / "mnist.npz")
    if (data / "cats_dogs").is_dir():
        result["cats_dogs_frozen_breakdown"] = frozen_breakdown(data / "cats_dogs")
        print(result["cats_dogs_frozen_breakdown"], flush=True)
        result["cats_dogs"] = cats_dogs(data / "cats_dogs", work)
    write_result("gpu", result)


if __name__ == "__main__":
    main()
