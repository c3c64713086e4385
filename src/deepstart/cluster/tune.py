"""`deepstart tune --cluster`, Ray's side: Ray Tune's Tuner runs the trials in parallel,
at most one per CPU (or GPU) of the cluster, sampled by OptunaSearch with the TPE sampler
of tune/search.py over the same search space (as Optuna distributions). What is shared
by every trial (the inputs, encoded once) goes to Ray's object store once
(tune.with_parameters); each trial hands its model folder back as its checkpoint.
deepstart's side (what a trial runs, the study rebuilt) is tune/parallel.py."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..cache import cache_dir
from ..errors import TrainingError
from ..log import redacted, say
from .connect import connect, ray_module, remove_run


class TrialFailed(RuntimeError):
    """A trial whose training failed: Ray Tune records it as an error (Optuna: FAIL)."""


@dataclass
class Ran:
    """What the trials gave: per trial (in the order they began) its Ray Tune id, settings,
    recorded metrics, error and checkpoint; the trials run at a time; where they ran."""

    results: list[dict]
    parallel: int
    where: dict
    remove: Callable[[], None]  # the trials' checkpoints in storage, once the best is read back


def run_trials(trial, shared: dict, space: dict, direction: str, first: list, budget: tuple, settings) -> Ran:
    """trial(config, shared, folder) -> metrics, for each setting sampled from space (Optuna
    distributions), up to budget = (trials, seconds); first: [(params, value or None)], the
    points TPE starts from (value None: run it). settings: --cluster, --workers,
    --cluster-storage."""
    cluster = connect(settings.cluster)
    ray = ray_module()
    from ray import tune

    parallel = cluster.workers(settings.workers)  # --workers, at most the cluster's CPUs (GPUs)
    resources = {"cpu": 1, "gpu": 1 if cluster.use_gpu(parallel) else 0}
    shared = {"trial": trial, "shared": shared, "cwd": os.getcwd()}
    trainable = tune.with_resources(tune.with_parameters(_trial, job=shared), resources)
    config = tune.TuneConfig(
        search_alg=_searcher(space, direction, first),
        num_samples=budget[0] or -1,
        time_budget_s=budget[1],
        max_concurrent_trials=parallel,
        reuse_actors=True,  # one process per worker for all its trials: PyTorch is imported once
        trial_dirname_creator=_folder_name,
    )
    name, storage = f"deepstart-tune-{uuid.uuid4().hex[:12]}", _storage(settings.cluster_storage)
    run = tune.RunConfig(
        name=name,
        storage_path=storage,
        verbose=0,
        callbacks=[_said(tune)],
        checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
    )
    say(f"Searching on Ray Tune: {parallel} trials at a time (OptunaSearch, TPE)...")
    logging.getLogger("ray.tune").setLevel(logging.CRITICAL)  # a failed trial is said once, below
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # Ray Tune's own banner, whatever verbose says
            grid = tune.Tuner(trainable, tune_config=config, run_config=run).fit()
    except (ray.exceptions.RayError, tune.TuneError) as e:
        remove_run(storage, name, False)
        why = redacted(str(e).strip().splitlines()[0])[:200] if str(e).strip() else type(e).__name__
        raise TrainingError(f"The search on the cluster failed: {why}") from None
    results = sorted((_result(r) for r in grid), key=lambda r: r["folder"])  # in the order they began
    return Ran(results, parallel, cluster.record(parallel), lambda: remove_run(storage, name, False))


def _searcher(space: dict, direction: str, first: list):
    """OptunaSearch with the sampler of tune/search.py: TPE, seeded, from the points first."""
    import optuna
    from ray.tune.search.optuna import OptunaSearch

    known = all(value is not None for _, value in first)
    return OptunaSearch(
        space,
        metric="value",
        mode="max" if direction == "maximize" else "min",
        points_to_evaluate=[params for params, _ in first],
        evaluated_rewards=[value for _, value in first] if known else None,
        sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=5),
    )


def _trial(config: dict, job: dict) -> None:
    """One trial on a Ray worker, in the driver's folder where there is one (Ray Tune
    starts a trial in a folder of its own); its model folder is its checkpoint."""
    from ray import tune

    if os.path.isdir(job["cwd"]):
        os.chdir(job["cwd"])
    with tempfile.TemporaryDirectory() as folder:
        metrics = job["trial"](config, job["shared"], Path(folder))
        if "value" not in metrics:  # every result must hold the score OptunaSearch reads
            raise TrialFailed(metrics.get("failed", "no validation score"))
        tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(folder))


def _folder_name(trial) -> str:
    """A trial's folder: its number (Ray Tune's tag begins with it) and its Ray Tune id."""
    number = re.match(r"\d+", trial.experiment_tag or "")
    return f"trial_{int(number[0]) if number else 0:05d}_{trial.trial_id}"


def _result(result) -> dict:
    """A trial's Ray Tune result as tune/parallel.py reads it."""
    metrics, folder = dict(result.metrics or {}), Path(str(result.path)).name
    return {
        "folder": folder,
        "id": str(metrics.get("trial_id") or folder.rpartition("_")[2]),
        "config": dict(result.config or {}),
        "metrics": metrics,
        "error": _why(result.error),
        "checkpoint": result.checkpoint,
    }


def _why(error) -> str | None:
    """Why a trial failed, in one line: the trial's own reason when it gave one."""
    if error is None:
        return None
    lines = str(error).strip().splitlines() or [type(error).__name__]
    return lines[-1].split("TrialFailed: ", 1)[-1][:300]


def _storage(given: str | None) -> str:
    """Where the trials' checkpoints (their model folders) go: --cluster-storage, which
    every node must see when there are several, or this machine's cache."""
    if given and "://" in given:
        return given
    return str(Path(given or cache_dir() / "ray").absolute())


def _said(tune):
    """A Ray Tune callback that says each trial's settings and score as it ends."""

    class Said(tune.Callback):
        def on_trial_error(self, iteration, trials, trial, **info):
            say(f"Trial {trial.trial_id}: failed (why: in tuning.html)")

        def on_trial_complete(self, iteration, trials, trial, **info):
            result = trial.last_result or {}
            chosen = ", ".join(f"{k}={_short(v)}" for k, v in (trial.config or {}).items())
            if "value" in result:
                score = f"validation {result['value']:.4g} ({result.get('seconds', 0):.0f} s)"
            else:
                score = result.get("failed", "did not finish")
            say(f"Trial {trial.trial_id}: {chosen}: {score}")

    return Said()


def _short(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)
