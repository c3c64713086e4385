"""Serving a studio model: `deepstart serve` started on a free port of this machine
(127.0.0.1), stopped from the page or when the studio stops; and the curl line that
calls it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request

from ..errors import Refused
from ..modalities import REGISTRY

STARTUP = 60.0  # seconds a service has to answer /health


class Serving:
    def __init__(self):
        self.services: dict[int, tuple[subprocess.Popen, str, str]] = {}

    def start(self, run_id: int, folder) -> dict:
        if run_id in self.services and self.services[run_id][0].poll() is None:
            _, url, curl = self.services[run_id]
            return {"url": url, "curl": curl}
        port = _free_port()
        args = [
            sys.executable,
            "-m",
            "deepstart",
            "serve",
            str(folder),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        worker = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + STARTUP
        while not _answers(url + "health"):
            if worker.poll() is not None or time.monotonic() > deadline:
                worker.kill()
                said = (worker.stderr.read() or b"").decode(errors="replace").strip().splitlines()
                raise Refused(500, f"The service did not start ({said[-1] if said else 'no answer'}).")
            time.sleep(0.2)
        with urllib.request.urlopen(url + "metadata", timeout=5) as answer:
            info = json.loads(answer.read())
        curl = curl_line(REGISTRY[info["modality"]], info, url)
        self.services[run_id] = (worker, url, curl)
        return {"url": url, "curl": curl}

    def stop(self, run_id: int) -> None:
        found = self.services.pop(run_id, None)
        if found is not None:
            found[0].terminate()
            try:
                found[0].wait(10)
            except subprocess.TimeoutExpired:
                found[0].kill()

    def stop_all(self) -> None:
        for run_id in list(self.services):
            self.stop(run_id)


def curl_line(modality, info: dict, url: str) -> str:
    """How to call the service from a terminal."""
    if modality.uploads:
        return f"curl -F file=@your-file {url}predict"
    body = json.dumps(modality.example_body(info))
    return f"curl -H 'content-type: application/json' -d '{body}' {url}predict"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:
            return answer.status == 200
    except OSError:
        return False
