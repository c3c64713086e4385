"""Training the network on a Ray cluster: Ray Train's TorchTrainer runs the one training
loop (train/loop.py) on N workers with DistributedDataParallel (gloo on CPUs, NCCL on
GPUs). Each worker learns from its share of the training examples, with batches of
1/N the size, so that a step sees as many examples as on one machine; the first worker
saves a checkpoint after every epoch to the run's storage, and when a worker dies Ray
starts the group again and training resumes from the last checkpoint. The run's
checkpoints are removed when it ends (nothing resumes from them then)."""

from __future__ import annotations

import json
import tempfile
import uuid
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from ..cache import cache_dir
from ..errors import ConfigError, DataError, DeepstartError, TrainingError
from ..log import quiet, say
from ..models.runtime import device
from ..train import History, fit
from ..train.checkpoint import Checkpoint
from .connect import connect, ray_module, remove_run, why_failed

MAX_FAILURES = 3  # workers that may die during one run before it fails
FINAL_WEIGHTS, FINAL_HISTORY, FAILED = "net.safetensors", "history.json", "failed.json"
STOPPED = {e.__name__: e for e in (ConfigError, DataError, TrainingError)}  # as a worker raised it


def fit_on_cluster(
    net, train, val, settings, plan, checkpoint=None, resume=False, keep_start=False
) -> History:
    """train/loop.fit(net, train, val, ...) on the cluster's workers; net ends with the
    best epoch's weights, as on one machine. The history says where it was trained."""
    if resume:
        raise ConfigError(
            "--resume is for a run on one machine; a run on --cluster resumes by itself from its last "
            "checkpoint when a worker fails. Drop --resume."
        )
    cluster = connect(settings.cluster)
    ray = ray_module()
    from ray.train import ScalingConfig, TrainingFailedError  # Train V2's is not a RayError
    from ray.train.torch import TorchTrainer

    workers = cluster.workers(settings.workers)
    if workers < settings.workers:
        say(f"--workers {settings.workers} is more than the cluster holds; training on {workers} workers.")
    identity = checkpoint.identity if checkpoint is not None else {}
    config = {"net": net, "train": train, "val": val, "settings": settings, "plan": plan}
    config |= {"keep_start": keep_start, "identity": identity}
    storage, own = _storage(settings, checkpoint)
    run = _run_config(f"deepstart-{uuid.uuid4().hex[:12]}", storage)
    scaling = ScalingConfig(num_workers=workers, use_gpu=cluster.use_gpu(workers))
    say(f"Training on {workers} Ray workers (DistributedDataParallel)...")
    try:
        result = TorchTrainer(_worker, train_loop_config=config, scaling_config=scaling, run_config=run).fit()
        history, restarts = _final(result.checkpoint, net)
    except (ray.exceptions.RayError, TrainingFailedError) as e:
        raise TrainingError(f"Training on the cluster failed: {why_failed(e)}") from None
    finally:  # the weights are read (or the run failed): nothing resumes from its checkpoints
        remove_run(storage, run.name, own)
    history.cluster = cluster.record(workers) | {"restarts": restarts}
    return history


def _run_config(name: str, storage: str):
    from ray.train import CheckpointConfig, FailureConfig, RunConfig

    return RunConfig(
        name=name,
        storage_path=storage,
        failure_config=FailureConfig(max_failures=MAX_FAILURES),
        checkpoint_config=CheckpointConfig(num_to_keep=2),
    )


def _storage(settings, checkpoint) -> tuple[str, bool]:
    """Where the run's checkpoints go: --cluster-storage, or beside the model's own
    checkpoint folder, or this machine's cache (one machine only); and whether that
    folder is deepstart's own (beside the checkpoint), to remove when it is left empty."""
    given = settings.cluster_storage
    if given:
        return (given if "://" in given else str(Path(given).absolute())), False
    if checkpoint is not None:
        folder = Path(checkpoint.folder).absolute()
        return str(folder.with_name(folder.name + ".ray")), True
    return str(cache_dir() / "ray"), False


def _final(found, net) -> tuple[History, int]:
    """The best weights into net, and the history, from the run's last checkpoint; or
    the error every worker stopped on (one of deepstart's, not worth a restart)."""
    if found is None:
        raise TrainingError("Training on the cluster ended without a checkpoint; see the Ray logs.")
    with found.as_directory() as folder:
        if (Path(folder) / FAILED).is_file():
            failed = json.loads((Path(folder) / FAILED).read_text())
            raise STOPPED.get(failed["kind"], TrainingError)(failed["message"])
        net.load_state_dict(load_file(Path(folder) / FINAL_WEIGHTS))
        saved = json.loads((Path(folder) / FINAL_HISTORY).read_text())
    restarts = saved.pop("restarts", 0)
    return History(**saved), restarts


class RayCheckpoint(Checkpoint):
    """The loop's checkpoint, written by the first worker after every epoch and handed
    to Ray (ray.train.report), which keeps it in the run's storage; every worker reads
    the last one back when Ray starts them again after a failure."""

    def __init__(self, rank: int, identity: dict):
        super().__init__(Path(tempfile.gettempdir()) / "unused", identity)
        self.rank, self.restarts = rank, 0

    def exists(self) -> bool:
        import ray.train

        return ray.train.get_checkpoint() is not None

    def save(self, model, optimizer, schedule, extra: dict, best: dict | None) -> None:
        import ray.train

        metrics = {"epoch": len(extra["history"]["epochs"]), "best_loss": float(extra["best_loss"])}
        if self.rank != 0:  # every worker reports; the first one's checkpoint is kept
            ray.train.report(metrics)
            return
        with tempfile.TemporaryDirectory() as folder:
            state = Checkpoint(Path(folder) / "state", self.identity)
            state.save(model, optimizer, schedule, extra | {"restarts": self.restarts}, best)
            ray.train.report(metrics, checkpoint=ray.train.Checkpoint.from_directory(folder))

    def load(self, model, optimizer, schedule) -> tuple[dict, dict | None]:
        import ray.train

        with ray.train.get_checkpoint().as_directory() as folder:
            state, best = Checkpoint(Path(folder) / "state", self.identity).load(model, optimizer, schedule)
        self.restarts = state.pop("restarts", 0) + 1
        return state, best


def _worker(config: dict) -> None:
    """One worker of the run: its share of the data, the network wrapped for DDP, the loop."""
    import ray.train
    import ray.train.torch

    context = ray.train.get_context()
    rank, world = context.get_world_rank(), context.get_world_size()
    net, plan = config["net"], config["plan"]
    if plan.layout == "images" and device().type == "cpu":
        net.to(memory_format=torch.channels_last)  # before DDP takes the parameters' layout
    model = ray.train.torch.prepare_model(net)  # DistributedDataParallel, on this worker's device
    plan = replace(plan, batch_size=max(1, plan.batch_size // world), agree=_first_workers)
    train = share(config["train"], rank, world, config["settings"].seed)
    checkpoint = RayCheckpoint(rank, config["identity"])
    try:
        with quiet():
            history = fit(
                model, train, config["val"], config["settings"], plan, checkpoint, checkpoint.exists(),
                keep_start=config["keep_start"],
            )  # fmt: skip
    except DeepstartError as e:  # a run that diverged: the same on every worker, and again if restarted
        _report_failed(rank, e)
        return
    _report_final(rank, net, history, checkpoint.restarts)


def _report_failed(rank: int, error: DeepstartError) -> None:
    """The error, handed to the driver as the run's last checkpoint: the run ends (a worker
    that raised would make Ray start the group again, MAX_FAILURES times)."""
    import ray.train

    if rank != 0:
        ray.train.report({"failed": 1})
        return
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / FAILED).write_text(json.dumps({"kind": type(error).__name__, "message": str(error)}))
        ray.train.report({"failed": 1}, checkpoint=ray.train.Checkpoint.from_directory(folder))


def _report_final(rank: int, net, history: History, restarts: int) -> None:
    import ray.train

    if rank != 0:
        ray.train.report({"final": 1})
        return
    saved = history.to_dict() | {"restarts": restarts}
    saved["grad_norms"] = [{k.removeprefix("module."): v for k, v in e.items()} for e in saved["grad_norms"]]
    with tempfile.TemporaryDirectory() as folder:
        weights = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
        save_file(weights, Path(folder) / FINAL_WEIGHTS)
        (Path(folder) / FINAL_HISTORY).write_text(json.dumps(saved))
        ray.train.report({"final": 1}, checkpoint=ray.train.Checkpoint.from_directory(folder))


def share(data: tuple, rank: int, world: int, seed: int) -> tuple:
    """This worker's share of (X, y): the examples in a random order (the same on every
    worker), padded by repeating the first ones to a multiple of world, every world-th
    from rank on (as torch's DistributedSampler): all workers take as many steps."""
    x, y = data
    order = np.random.default_rng(seed).permutation(len(y))
    order = np.resize(order, -(-len(y) // world) * world)  # pads by repeating from the start
    mine = torch.from_numpy(np.sort(order[rank::world]))
    return tuple(a[mine] if isinstance(a, torch.Tensor) else a[mine.numpy()] for a in (x, y))


def _first_workers(record: dict) -> dict:
    """The first worker's epoch record, on every worker (its validation loss decides)."""
    found = [record]
    torch.distributed.broadcast_object_list(found, src=0)
    return found[0]
