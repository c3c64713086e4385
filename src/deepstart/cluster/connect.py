"""Joining a Ray cluster named by --cluster: auto, ray://HOST:PORT, HOST:PORT, or
local:N (a Ray started on this machine, on 127.0.0.1, with N CPUs). Each refusal is
one line that says what to do."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, DeepstartError
from ..log import redacted, say

INSTALL = 'pip install "deepstart[cluster]"'
# To a local Ray's workers. Never DEEPSTART_KEY_FILE: Ray keeps a runtime_env in its GCS, and workers
# sign nothing that is kept (the driver signs the model folder it saves).
PASSED_ON = ("DEEPSTART_CACHE", "DEEPSTART_ENGINE", "HF_HUB_OFFLINE")


@dataclass(frozen=True)
class Cluster:
    """A connected cluster: how it was named, and what it offers."""

    address: str
    cpus: int
    gpus: int

    def workers(self, wanted: int) -> int:
        """Workers that fit: at most one per CPU (per GPU, where there are GPUs enough)."""
        room = self.gpus if self.use_gpu(wanted) else max(self.cpus, 1)
        return max(1, min(wanted, room))

    def use_gpu(self, wanted: int) -> bool:
        return self.gpus >= 1 and self.gpus >= min(wanted, self.cpus)

    def record(self, workers: int) -> dict:
        """What the manifest keeps of a run on this cluster (the address's password hidden)."""
        import ray

        return {
            "address": redacted(self.address),
            "workers": workers,
            "gpus": self.use_gpu(workers),
            "ray": ray.__version__,
        }


def ray_module():
    """Ray, or one line saying how to install it."""
    try:
        import ray
    except ImportError:
        raise ConfigError(f"--cluster needs Ray, which is not installed; run: {INSTALL}") from None
    return ray


def connect(address: str) -> Cluster:
    """ray.init for --cluster ADDRESS (once per process; a second call reuses it)."""
    ray = ray_module()
    if not ray.is_initialized():
        _reachable(address)
        try:
            ray.init(**_init_arguments(address))
        except (ConnectionError, RuntimeError, ValueError, TimeoutError) as e:
            why = redacted(str(e).strip().splitlines()[0])[:160] if str(e).strip() else type(e).__name__
            raise ConfigError(
                f"--cluster {redacted(address)}: no Ray cluster could be reached ({why}); start one "
                "(`ray start --head`), check the address, or try --cluster local:2."
            ) from None
    _quieted()
    found = ray.cluster_resources()
    cluster = Cluster(address, int(found.get("CPU", 0)), int(found.get("GPU", 0)))
    say(f"On the Ray cluster {redacted(address)}: {cluster.cpus} CPUs, {cluster.gpus} GPUs.")
    return cluster


def _reachable(address: str, seconds: float = 5.0) -> None:
    """A HOST:PORT that does not answer is refused at once (Ray would wait minutes for it)."""
    if address == "auto" or address.startswith("local:"):
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=seconds).close()
    except OSError as e:
        raise ConfigError(
            f"--cluster {redacted(address)}: nothing answers there ({e.strerror or type(e).__name__}); start "
            "the cluster's head (`ray start --head`), check the address and port, or try --cluster local:2."
        ) from None


def _quieted() -> None:
    """deepstart's own progress and messages, not Ray's (its logs stay in /tmp/ray)."""
    import ray.data

    for name in ("ray", "ray.train"):
        logging.getLogger(name).setLevel(logging.ERROR)
    logging.getLogger("ray.data").setLevel(logging.CRITICAL)  # a failure is said once, in one line
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = context.print_on_execution_start = False


def _init_arguments(address: str) -> dict:
    quiet = {"log_to_driver": False, "logging_level": logging.WARNING, "configure_logging": True}
    if address.startswith("local:"):
        env = {k: os.environ[k] for k in PASSED_ON if k in os.environ}
        return quiet | {
            "address": "local",
            "num_cpus": int(address.removeprefix("local:")),
            "include_dashboard": False,
            "_node_ip_address": "127.0.0.1",
            "runtime_env": {"env_vars": env},
        }
    if address == "auto" and not os.environ.get("RAY_ADDRESS"):
        return quiet | {"address": "auto"}
    return quiet | {"address": None if address == "auto" else address}


def why_failed(error: BaseException) -> str:
    """Why work on the cluster failed, in one line: the error a worker raised (its own
    message when it is deepstart's), not Ray's wrapping of it (a worker group's failures,
    a task's cause, each with its traceback); a URL's password in it hidden."""
    seen = set()
    while id(error) not in seen:
        seen.add(id(error))
        failures = getattr(error, "worker_failures", None) or {}  # Ray Train: rank -> error
        inner = failures.get(min(failures)) if failures else None
        wrapped = (inner, getattr(error, "controller_failure", None), getattr(error, "cause", None))
        error = next((e for e in wrapped if isinstance(e, BaseException)), error)
    if isinstance(error, DeepstartError):
        return redacted(error)
    lines = [line.strip() for line in redacted(error).splitlines() if line.strip()]
    if any(line.startswith(("Traceback (most recent call last)", 'File "')) for line in lines):
        return re.sub(r"^deepstart\.errors\.\w+: ", "", lines[-1])[:300]  # a traceback's last line: the error
    return f"{type(error).__name__}: {lines[0]}"[:300] if lines else type(error).__name__


def disconnect() -> None:
    """Stop the Ray this process started or joined (tests and benchmarks use it)."""
    import ray

    if ray.is_initialized():
        ray.shutdown()


def remove_run(storage: str, name: str, own: bool) -> None:
    """The run's folder in storage (a local folder or a pyarrow URI such as s3://), and
    storage itself when it is deepstart's own and nothing else is left in it."""
    try:
        if "://" in storage:
            import pyarrow.fs

            files, root = pyarrow.fs.FileSystem.from_uri(storage)
            files.delete_dir(f"{root.rstrip('/')}/{name}")
        else:
            shutil.rmtree(Path(storage) / name)
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as e:
        where = redacted(f"{storage}/{name} could not be removed ({e})")
        say(f"The run's checkpoints in {where}; remove them by hand.")
    if own:
        with contextlib.suppress(OSError):  # not empty: another run's
            Path(storage).rmdir()
