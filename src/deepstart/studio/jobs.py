"""The studio's queue: runs wait their turn (one at a time by default) and each runs in
a worker process (worker.py); Cancel stops it. When the studio starts, runs that were
running when it stopped are marked interrupted; their finished neighbours stay as
they are."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time

from .store import Store
from .workspace import Workspace

log = logging.getLogger("deepstart.studio")
POLL = 0.3  # seconds between looks at the queue
GRACE = 10.0  # seconds a cancelled worker has to stop before it is killed


class Jobs:
    def __init__(self, workspace: Workspace, store: Store, at_once: int = 1):
        self.workspace, self.store, self.at_once = workspace, store, at_once
        self.workers: dict[int, subprocess.Popen] = {}
        self.cancelled: set[int] = set()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="deepstart-studio-jobs", daemon=True)

    def start(self) -> None:
        for run in self.store.runs(status="running"):  # its studio stopped: so does the run
            self.store.set_status(run["id"], "interrupted", error="The studio stopped while this ran.")
            _stop_orphan(run.get("pid"), self.workspace, run["id"])
        self.thread.start()

    def stop(self) -> None:
        """Stop taking runs; running workers are stopped too (their runs: interrupted)."""
        self.stopping.set()
        self.thread.join(5)
        with self.lock:
            for run_id, worker in list(self.workers.items()):
                self._terminate(run_id)
                try:
                    worker.wait(GRACE)
                except subprocess.TimeoutExpired:
                    worker.kill()
                if run_id not in self.cancelled:
                    self.store.set_status(run_id, "interrupted", error="The studio stopped while this ran.")
            self.workers.clear()

    def cancel(self, run_id: int) -> bool:
        """Cancel a queued or running run; False when it has already finished."""
        run = self.store.run(run_id)
        if run is None or run["status"] not in ("queued", "running"):
            return False
        with self.lock:
            self.cancelled.add(run_id)
            if run_id in self.workers:
                self._terminate(run_id)
            else:
                self.store.set_status(run_id, "cancelled")
        return True

    def waiting(self) -> list[int]:
        return [r["id"] for r in self.store.runs(status="queued")]

    def _loop(self) -> None:
        while not self.stopping.wait(POLL):
            try:
                with self.lock:
                    self._reap()
                    queued = self.store.runs(status="queued")
                    while queued and len(self.workers) < self.at_once:
                        self._launch(queued.pop(0)["id"])
            except Exception:  # the queue goes on: one run's trouble must not stop the others
                log.exception("the studio's queue met an error; it goes on")

    def _launch(self, run_id: int) -> None:
        log = open(self.workspace.run_dir(run_id).with_suffix(".log"), "ab")  # noqa: SIM115
        args = [sys.executable, "-m", "deepstart.studio.worker", str(self.workspace.root), str(run_id)]
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        self.workers[run_id] = subprocess.Popen(args, stdout=log, stderr=log, env=env, start_new_session=True)
        log.close()
        self.store.set_status(run_id, "running", started=time.time(), pid=self.workers[run_id].pid)

    def _reap(self) -> None:
        """Runs whose worker ended: recorded as the worker said, or as failed or cancelled."""
        for run_id, worker in list(self.workers.items()):
            if worker.poll() is None:
                continue
            del self.workers[run_id]
            found = self.store.run(run_id)
            if found is None:  # its project (or the run) was deleted while it ran: cancelled
                self.cancelled.discard(run_id)
                self.workspace.remove_run(run_id)  # what the worker wrote after the deletion
                continue
            if run_id in self.cancelled:
                self.store.set_status(run_id, "cancelled")
            elif found["status"] == "running":  # it died before saying how it ended (killed, out of memory)
                self.store.set_status(
                    run_id, "failed", error=f"The worker ended unexpectedly ({worker.returncode})."
                )

    def _terminate(self, run_id: int) -> None:
        worker = self.workers[run_id]
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            threading.Thread(target=_kill_later, args=(worker,), daemon=True).start()


def _kill_later(worker: subprocess.Popen) -> None:
    try:
        worker.wait(GRACE)
    except subprocess.TimeoutExpired:
        worker.kill()


def _stop_orphan(pid: int | None, workspace: Workspace, run_id: int) -> None:
    """A worker left running by a studio that was killed: stopped, if it is this run's
    worker on this workspace (its command line says so: the pid may be another process's
    now, or another studio's worker)."""
    if not pid:
        return
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as found:
            command = found.read().split(b"\0")
    except OSError:
        return
    ours = [b"-m", b"deepstart.studio.worker", str(workspace.root).encode(), str(run_id).encode()]
    if command[1:5] == ours:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
