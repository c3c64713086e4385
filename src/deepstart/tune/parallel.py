"""`deepstart tune --cluster`, deepstart's side: the inputs encoded once, by the driver
(by Ray Data on the cluster), for every trial to take from Ray's object store; each trial
the same run_trial as on one machine, on one CPU (or GPU) of the cluster, its model
folder handed back as its checkpoint; and the Optuna study rebuilt from the trials'
results, so that the choice, the reasons and tuning.html are made as for local tuning.
Ray's side (Ray Tune's Tuner with OptunaSearch) is cluster/tune.py."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from ..log import quiet
from ..modalities import REGISTRY, read_labeled
from ..modalities.recipe import Knob
from ..pipeline.prepare import encode_items, encoding_key, read_like, reusing
from ..predictor import Predictor
from ..settings import TASK_KINDS, Settings
from .trial import FAILED, failure, run_trial

KEPT = ("seconds", "test", "found", "stopped_at", "failed", "started", "ended", "reused")  # per trial


def search_in_parallel(study, knobs: dict[str, Knob], defaults: dict, budget, trials, job: dict) -> tuple:
    """Run the trials on Ray Tune and add them to study (an Optuna study, maybe in
    --storage). Returns (the best trial's model, or None when the best is an earlier trial
    of a resumed study; the trials run at a time). job: data, fit_args, settings, metric."""
    from ..cluster.tune import run_trials

    job = job | {"data": _absolute(job["data"]), "fit_args": _absolute_args(job["fit_args"])}
    settings = Settings(**job["settings"])
    space = distributions(knobs)
    done = [t for t in study.trials if t.state.name == "COMPLETE"]  # a resumed study's, known to TPE
    first = [(t.params, t.value) for t in done] or [(defaults, None)]  # the defaults, else those
    ran = run_trials(
        trial,
        job | {"encodings": encodings(job, knobs)},  # to the object store once, for every trial
        space,
        study.direction.name.lower(),
        first,
        (trials, budget),
        settings,
    )
    try:
        _record(study, ran.results, space)
        return _best(study, ran.results, ran.where), ran.parallel
    finally:
        ran.remove()  # every trial's model folder, the best one read back


def distributions(knobs: dict[str, Knob]) -> dict:
    """The knobs as Optuna distributions: what search.suggest asks a trial for."""
    import optuna

    found = {}
    for name, knob in knobs.items():
        if knob.kind == "choice":
            found[name] = optuna.distributions.CategoricalDistribution(list(knob.choices))
        else:
            found[name] = optuna.distributions.FloatDistribution(knob.low, knob.high, log=knob.kind == "log")
    return found


def trial(config: dict, job: dict, folder: Path) -> dict:
    """One trial on a Ray Tune worker: run_trial with the settings sampled, trained there on
    one CPU, its inputs' encodings taken from job's; its model saved to folder / "model".
    Returns what Ray Tune records of it: the validation score as "value", or "failed"."""
    settings = job["settings"] | config | {"cluster": None, "workers": 1}
    started = time.time()
    try:
        with reusing(job["encodings"]) as reused:
            predictor, value, attrs = run_trial(job["data"], job["fit_args"], settings, job["metric"])
    except FAILED as e:
        return {"failed": failure(e), "started": started, "ended": time.time()}
    predictor.save(folder / "model")
    return {"value": value, **attrs, "started": started, "ended": time.time(), "reused": len(reused)}


def encodings(job: dict, knobs: dict[str, Knob]) -> dict:
    """{encoding_key: Encoded}: the training (and given test and validation) inputs through
    the encoder of each recipe the trials may get: the defaults', and that of each choice
    that picks another (photos: fine_tune=True learns from pixels, not features). Numbers
    (batch size, patience) choose how to train, not what encodes; an encoder that learns
    from the data (tables) encodes in each trial, where it learns."""
    args, settings = job["fit_args"], Settings(**job["settings"])
    kind, forced = TASK_KINDS.get(args.get("task", "auto"), (args.get("task", "auto"), None))
    target, images, text = args.get("target"), args.get("images"), args.get("text")
    examples = read_labeled(job["data"], None, target, images, text, kind, None, forced)
    parts = [("training", examples)]
    parts += [(n, read_like(args[n], target, images, text, examples)) for n in ("test", "val") if args.get(n)]
    found = {}
    for encoder in _encoders(examples, job["settings"], knobs):
        for name, part in parts:
            key = encoding_key(encoder, part.items)
            if key is not None and key not in found:
                desc = f"Reading the {name} data"
                found[key] = encode_items(encoder, part.items, desc, name != "training", settings)
    return found


def _encoders(examples, settings: dict, knobs: dict[str, Knob]) -> list:
    variants = [{}] + [
        {name: choice}
        for name, knob in knobs.items()
        if knob.kind == "choice"
        for choice in knob.choices
        if isinstance(choice, (bool, str)) and choice != settings.get(name)  # the defaults' is {}
    ]
    found: dict[str, object] = {}
    with quiet():
        for changed in variants:
            encoder = REGISTRY[examples.kind].recipe(examples, Settings(**(settings | changed))).encoder
            found.setdefault(json.dumps(encoder.spec(), sort_keys=True, default=str), encoder)
    return list(found.values())


def _record(study, results: list[dict], space: dict) -> None:
    """Each Ray Tune trial added to the Optuna study: its settings, score and record."""
    import optuna

    for result in results:
        metrics, value = result["metrics"], result["metrics"].get("value")
        attrs = {k: metrics[k] for k in KEPT if metrics.get(k) is not None} | {"ray_trial": result["id"]}
        if value is None and "failed" not in attrs:
            attrs["failed"] = result["error"] or "stopped before it finished (the --budget ran out)"
        params = {name: result["config"][name] for name in space if name in result["config"]}
        state = optuna.trial.TrialState.COMPLETE if value is not None else optuna.trial.TrialState.FAIL
        study.add_trial(
            optuna.trial.create_trial(
                params=params,
                distributions={name: space[name] for name in params},
                value=value,
                state=state,
                user_attrs=attrs,
            )
        )


def _best(study, results: list[dict], where: dict) -> Predictor | None:
    """The best trial's model, read back from its checkpoint (None: an earlier trial's)."""
    if not any(t.state.name == "COMPLETE" for t in study.trials):
        return None
    wanted = study.best_trial.user_attrs.get("ray_trial")
    found = next((r for r in results if r["id"] == wanted and r["checkpoint"] is not None), None)
    if found is None:
        return None
    with found["checkpoint"].as_directory() as folder:  # Ray's checkpoint, fetched from its storage
        best = Predictor.load(Path(folder) / "model")
    best.training_["cluster"] = where | {"engine": "ray-tune", "trials": len(results)}
    return best


def _absolute(data):
    """A path as every trial reads it (Ray Tune starts a trial in a folder of its own)."""
    return Path(data).absolute() if isinstance(data, (str, os.PathLike)) else data


def _absolute_args(args: dict) -> dict:
    return args | {k: _absolute(args[k]) for k in ("test", "val", "images") if args.get(k) is not None}
