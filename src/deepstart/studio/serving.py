"""Serving a studio model: `deepstart serve` started on a free port of this machine
(127.0.0.1) with a token of its own (as protected as the studio: any web page could
otherwise call it), stopped from the page or when the studio stops; and the curl line
that calls it."""

from __future__ import annotations

import json
import os
import secrets
import shlex
import socket
import subprocess
import sys
import time
import urllib.request

from ..errors import Refused
from ..modalities import REGISTRY

STARTUP = 60.0  # seconds a service has to answer /health


class Serving:
    def __init__(self, workspace):
        self.workspace = workspace
        self.services: dict[int, tuple[subprocess.Popen, dict]] = {}

    def start(self, run_id: int, folder, example: dict | None = None) -> dict:
        """{"url", "token", "curl"} of the run's service, started if it is not running; the
        curl line sends the run's example (a file of that name, or its JSON)."""
        if run_id in self.services and self.services[run_id][0].poll() is None:
            return self.services[run_id][1]
        port, token = _free_port(), secrets.token_urlsafe(24)
        args = [
            sys.executable,
            "-m",
            "deepstart",
            "serve",
            str(folder.relative_to(self.workspace.root)),  # what it says names no path of this machine
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        env = {**os.environ, "DEEPSTART_TOKEN": token}  # never on its command line, which ps shows
        worker = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=self.workspace.root
        )
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + STARTUP
        while not _answers(url + "health"):
            if worker.poll() is not None or time.monotonic() > deadline:
                worker.kill()
                said = (worker.stderr.read() or b"").decode(errors="replace").strip().splitlines()
                raise Refused(500, f"The service did not start ({said[-1] if said else 'no answer'}).")
            time.sleep(0.2)
        asked = urllib.request.Request(url + "metadata", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(asked, timeout=5) as answer:
            info = json.loads(answer.read())
        found = {
            "url": url,
            "token": token,
            "curl": curl_line(REGISTRY[info["modality"]].service, info, url, token, example),
        }
        self.services[run_id] = (worker, found)
        return found

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


def curl_line(service, info: dict, url: str, token: str, example: dict | None = None) -> str:
    """How to call the service from a terminal (service: the model's modality's), with the
    run's example: its file (downloaded beside the line) or its text, row or history."""
    auth = f"-H 'Authorization: Bearer {token}'"
    if service.uploads:
        name = (example or {}).get("file") or "your-file"
        return f"curl {auth} -F file=@{shlex.quote(name)} {url}predict"
    if example and "input" in example and info.get("try", {}).get("field"):
        body = {info["try"]["field"]: example["input"]}
    else:
        body = service.example_body(info)
    return f"curl {auth} -H 'content-type: application/json' -d {shlex.quote(json.dumps(body))} {url}predict"


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
