"""Issue 7 acceptance: int8 ONNX against eager PyTorch on Dogs vs. Cats, and a bounded
load test of `deepstart serve` on this machine's loopback.

1. Train the transfer model on 1,302 photos (500 held out, stratified), export it to
   ONNX in fp32 and int8, and score all three on the 500 test photos. Targets: int8
   loses <= 0.5 accuracy points; int8 runs >= 2x the images/s of eager PyTorch fp32.
   Speed is the network alone (decoded 224x224 pixels in, probabilities out), every
   engine on the same batches, in turns, in this one process; medians of 5 rounds.
2. Serve the int8 model (`deepstart serve`, a separate process) and send it a fixed
   number of photo uploads (default 2,000 at concurrency 16): errors, p50/p99
   latency, throughput, and the server's memory (RSS) before and after.

    python bench/deploy.py [--requests 2000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from cats_dogs import make_split

from common import datasets_dir, run_cli, write_result

BATCH = 32
ROUNDS = 5


def engines_side_by_side(model: Path, fp32: Path, int8: Path, test: Path) -> dict:
    """Images/s of each engine on the same decoded test photos."""
    import torch
    from torch import nn

    from deepstart import Predictor, load_model
    from deepstart.modalities.images.encoders import PixelEncoder
    from deepstart.models import efficientnet
    from deepstart.models.layers import Rescale

    files = sorted(test.rglob("*.jpg"))
    pixels = PixelEncoder(efficientnet.PIXELS, cache=False).encode(files, "Decoding").features
    original = Predictor.load(model)
    eager = nn.Sequential(Rescale(), efficientnet.build_features(), original.net_).eval()
    runners = {
        "pytorch_eager_fp32": lambda x: torch.softmax(eager(torch.from_numpy(x)), 1).numpy(),
        "onnx_fp32": load_model(fp32).net_,
        "onnx_int8": load_model(int8).net_,
    }
    seconds = {name: [] for name in runners}
    outputs = {}
    with torch.inference_mode():
        for run in runners.values():  # warm-up: one batch each
            run(pixels[:BATCH])
        for _ in range(ROUNDS):
            for name, run in runners.items():
                start = time.perf_counter()
                outputs[name] = np.concatenate(
                    [run(pixels[s : s + BATCH]) for s in range(0, len(pixels), BATCH)]
                )
                seconds[name].append(time.perf_counter() - start)
    speed = {name: len(pixels) / statistics.median(s) for name, s in seconds.items()}
    reference = outputs["pytorch_eager_fp32"]
    return {
        "images": len(pixels),
        "batch": BATCH,
        "rounds": ROUNDS,
        "torch_threads": torch.get_num_threads(),
        "images_per_s": {k: round(v, 1) for k, v in speed.items()},
        "seconds_per_round": {k: [round(x, 2) for x in v] for k, v in seconds.items()},
        "int8_speedup_over_eager": round(speed["onnx_int8"] / speed["pytorch_eager_fp32"], 2),
        "fp32_onnx_speedup_over_eager": round(speed["onnx_fp32"] / speed["pytorch_eager_fp32"], 2),
        "max_abs_difference_from_eager": {
            k: float(np.abs(v - reference).max()) for k, v in outputs.items() if k != "pytorch_eager_fp32"
        },
        "predictions_agreeing_with_eager": {
            k: float(np.mean(v.argmax(1) == reference.argmax(1)))
            for k, v in outputs.items()
            if k != "pytorch_eager_fp32"
        },
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def hammer(url: str, photos: list[bytes], n: int, concurrency: int) -> dict:
    import httpx

    latencies, statuses = [], {}
    queue = list(range(n))

    async def worker(client):
        while queue:
            k = queue.pop()
            start = time.perf_counter()
            try:
                r = await client.post(
                    url, files={"file": (f"{k}.jpg", photos[k % len(photos)], "image/jpeg")}
                )
                status = r.status_code if r.status_code != 200 or "predictions" in r.json() else -1
            except httpx.HTTPError as e:
                status = type(e).__name__
            latencies.append(time.perf_counter() - start)
            statuses[status] = statuses.get(status, 0) + 1

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        start = time.perf_counter()
        await asyncio.gather(*[worker(client) for _ in range(concurrency)])
        wall = time.perf_counter() - start
    ms = np.array(latencies) * 1000
    return {
        "requests": n,
        "concurrency": concurrency,
        "statuses": {str(k): v for k, v in statuses.items()},
        "errors": n - statuses.get(200, 0),
        "wall_s": round(wall, 2),
        "requests_per_s": round(n / wall, 1),
        "latency_ms": {
            q: round(float(np.percentile(ms, p)), 1) for q, p in (("p50", 50), ("p90", 90), ("p99", 99))
        }
        | {"max": round(float(ms.max()), 1)},
    }


def load_test(model: Path, test: Path, n: int, concurrency: int) -> dict:
    photos = [f.read_bytes() for f in sorted(test.rglob("*.jpg"))]
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "deepstart", "serve", str(model), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        for _ in range(600):
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        warm = asyncio.run(hammer(base + "/predict", photos, 200, concurrency))
        before = rss_mb(server.pid)
        result = asyncio.run(hammer(base + "/predict", photos, n, concurrency))
        after = rss_mb(server.pid)
        again = asyncio.run(hammer(base + "/predict", photos, n, concurrency))
        last = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "server": "deepstart serve (uvicorn, one process), int8 ONNX model, 127.0.0.1",
        "payload": f"{len(photos)} test photos (JPEG, mostly about 500x375), one per request, in turn",
        "warm_up_errors": warm["errors"],
        "run": result,
        "second_run": again,
        "rss_mb": {
            "after_warm_up": round(before, 1),
            "after_run": round(after, 1),
            "after_second_run": round(last, 1),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="deepstart-bench-"))
    try:
        train, test = make_split(datasets_dir() / "cats_dogs", work)
        model, fp32, int8 = (str(work / n) for n in ("model", "onnx_fp32", "onnx_int8"))
        train_s, _ = run_cli(["-q", "train", str(train), "--test", str(test), "--out", model])
        fp32_s, _ = run_cli(["-q", "export", model, "--out", fp32])
        int8_s, said = run_cli(["-q", "export", model, "--int8", "--out", int8])
        accuracy = {}
        for name, folder in (("pytorch", model), ("onnx_fp32", fp32), ("onnx_int8", int8)):
            _, out = run_cli(
                ["-q", "evaluate", folder, str(test), "--json"], {"DEEPSTART_CACHE": str(work / name)}
            )
            accuracy[name] = json.loads(out)["accuracy"]
        manifest = json.loads((Path(int8) / "manifest.json").read_text())
        result = {
            "data": "cats_dogs: 1,302 train (incl. validation), 500 stratified test photos",
            "commands": [
                "deepstart train train/ --test test/ --out model/",
                "deepstart export model/ [--int8] --out x/",
                "deepstart evaluate x/ test/ --json",
            ],
            "test_accuracy": accuracy,
            "int8_accuracy_change_points": round(100 * (accuracy["onnx_int8"] - accuracy["pytorch"]), 2),
            "export_check": manifest["runtime"]["check"],
            "quantization": manifest["runtime"]["quantization"],
            "onnx_mb": {
                n: round((Path(f) / "model.onnx").stat().st_size / 1e6, 1)
                for n, f in (("fp32", fp32), ("int8", int8))
            },
            "seconds": {
                "train": round(train_s, 1),
                "export_fp32": round(fp32_s, 1),
                "export_int8": round(int8_s, 1),
            },
            "engines": engines_side_by_side(Path(model), Path(fp32), Path(int8), test),
            "load_test": load_test(Path(int8), test, args.requests, args.concurrency),
        }
        write_result("deploy", result)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
