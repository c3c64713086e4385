"""Shared helpers for benchmarks: find the real data sets, describe the machine,
run the deepstart CLI as a user would and time it, write results as JSON."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def datasets_dir() -> Path:
    """$DEEPSTART_DATA, else ../shared/datasets beside the checkout; exit if missing."""
    path = Path(os.environ.get("DEEPSTART_DATA", ROOT.parent / "shared" / "datasets"))
    if not path.is_dir():
        sys.exit(f"Data sets not found at {path}; set DEEPSTART_DATA to the datasets folder.")
    return path


def machine() -> dict:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import torch

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
    }


def run_cli(args: list[str], env: dict | None = None) -> tuple[float, str]:
    """Run `deepstart ARGS`; return (wall seconds, stdout). Fails loudly on error."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "deepstart", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"deepstart {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds, done.stdout


def write_result(name: str, result: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    result = {"benchmark": name, "date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine(), **result}
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return path
