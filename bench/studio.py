"""Issue 14 acceptance: the studio's page stays responsive while a job trains.

Starts `deepstart studio` on a fresh workspace, uploads Dogs vs. Cats (1,802 photos, as
a .zip, as a user drops it), and trains with the default settings while a client asks
what the page asks (the projects, the project, the run, the queue, /health) every 50 ms
and follows the run's events as an open page does. Reports the API's latency (p50,
p99; target p99 < 200 ms on these 2 cores) and how much longer the job took than
`deepstart train` alone on the same photos (both with an empty feature cache).

    python bench/studio.py
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import httpx

from common import datasets_dir, run_cli, write_result

ASKED = ("/api/projects", "/api/projects/{project}", "/api/runs/{run}", "/api/queue", "/health")


def start_studio(workspace: Path, cache: Path) -> tuple[subprocess.Popen, httpx.Client]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DEEPSTART_CACHE": str(cache)}
    args = [sys.executable, "-m", "deepstart", "studio", "--workspace", str(workspace), "--port", str(port)]
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
    for _ in range(600):
        try:
            if client.get("/health").status_code == 200:
                return process, client
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("the studio did not start")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def ask_while_training(client: httpx.Client, project: int, run: int) -> dict[str, list[float]]:
    """Latencies (ms) per route, asked every 50 ms until the run has finished; an events
    stream followed beside them, as an open page does."""
    latencies = {path: [] for path in ASKED}
    follower = threading.Thread(
        target=lambda: client.get(f"/api/runs/{run}/events", timeout=3600), daemon=True
    )
    follower.start()
    while True:
        for path in ASKED:
            t0 = time.perf_counter()
            answer = client.get(path.format(project=project, run=run))
            latencies[path].append(1000 * (time.perf_counter() - t0))
            if path == "/api/runs/{run}" and answer.json()["status"] not in ("queued", "running"):
                follower.join(30)
                return latencies
            time.sleep(0.05)


def main() -> None:
    source = datasets_dir() / "cats_dogs"
    work = Path(tempfile.mkdtemp(prefix="deepstart-bench-studio-"))
    try:
        archive = work / "cats_dogs.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:  # JPEGs: nothing to compress
            for f in sorted(source.rglob("*.jpg")):
                z.write(f, f"cats_dogs/{f.relative_to(source)}")
        cli_s, _ = run_cli(
            ["-q", "train", str(source), "--out", str(work / "cli_model")],
            {"DEEPSTART_CACHE": str(work / "cache_cli")},
        )
        process, client = start_studio(work / "workspace", work / "cache_studio")
        try:
            t0 = time.perf_counter()
            with open(archive, "rb") as data:
                project = client.post(
                    "/api/projects",
                    data={"name": "cats and dogs"},
                    files={"files": ("cats_dogs.zip", data, "application/zip")},
                ).json()
            upload_s = time.perf_counter() - t0
            run = client.post(f"/api/projects/{project['id']}/runs", json={}).json()
            latencies = ask_while_training(client, project["id"], run["id"])
            done = client.get(f"/api/runs/{run['id']}").json()
        finally:
            process.terminate()
            process.wait(30)
        every = [v for values in latencies.values() for v in values]
        job_s = done["finished"] - done["started"]
        result = {
            "data": "cats_dogs: 1,802 photos uploaded as one .zip; default settings (a fifth to test)",
            "upload_and_detection_s": round(upload_s, 1),
            "detected": {
                "kind": project["detection"].get("kind"),
                "n": project["detection"].get("n"),
                "classes": project["detection"].get("classes"),
            },
            "run": {"status": done["status"], "test": done["summary"]["test"] if done["summary"] else None},
            "requests": len(every),
            "latency_ms": {
                "p50": round(statistics.median(every), 1),
                "p99": round(percentile(every, 99), 1),
                "max": round(max(every), 1),
            },
            "latency_ms_by_route": {
                path: {"p50": round(statistics.median(v), 1), "p99": round(percentile(v, 99), 1)}
                for path, v in latencies.items()
            },
            "job_s_in_studio": round(job_s, 1),
            "train_s_cli_alone": round(cli_s, 1),
            "slowdown_with_studio_open": round(job_s / cli_s, 2),
            "targets": {"latency_ms_p99": "< 200"},
        }
        write_result("studio", result)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
