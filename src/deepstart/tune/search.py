"""`deepstart tune`: Optuna searches the settings of the recipe the data gets (TPE, with
the defaults as the first trial), each trial a `train` of its own, compared on
validation only; trials whose validation score per epoch falls behind the others' are
stopped early (median pruning). The best trial's model is kept; its test metrics, and
the default trial's, are the only test figures read."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from ..errors import ConfigError
from ..log import listening, quiet, redacted, say
from ..modalities import REGISTRY, read_labeled
from ..modalities.recipe import Knob
from ..predictor import Predictor
from ..settings import TASK_KINDS, Settings
from .trial import FAILED, failure, run_trial

STUDY = "deepstart"  # the study's name in its storage


@dataclass
class Search:
    """What a search found: the study, the best trial's model (None when it ran in
    another process), and per trial what a person needs to read it."""

    study: object
    best: Predictor | None
    default: dict = field(default_factory=dict)  # the first trial's settings
    direction: str = "maximize"
    metric: str = "accuracy"
    seconds: float = 0.0
    log_scaled: list = field(default_factory=list)  # the settings searched on a log scale (plots)
    engine: str = "optuna"  # "ray-tune" with --cluster: trials in parallel on Ray Tune (cluster/tune.py)
    parallel: int = 1  # trials run at a time


def space_of(data, target, task: str, images, text, settings: dict) -> tuple[dict[str, Knob], dict, str]:
    """(the knobs searched, their default values, the validation metric) for the recipe
    the data gets with these settings."""
    kind, forced = TASK_KINDS.get(task, (task, None))
    examples = read_labeled(data, None, target, images, text, kind, None, forced)
    base = Settings(**settings)
    with quiet():
        recipe = REGISTRY[examples.kind].recipe(examples, base)
    knobs = recipe.search_space()
    defaults = {
        "lr": recipe.lr(base),
        "batch_size": recipe.batch_size(base),
        **{name: getattr(base, name) for name in knobs if name not in ("lr", "batch_size")},
    }
    knobs = {name: _with(knob, defaults[name]) for name, knob in knobs.items()}
    return knobs, defaults, "rmse" if examples.task == "regression" else "accuracy"


def _with(knob: Knob, default) -> Knob:
    """The knob's range widened, or its choices extended, to hold the default (the user's
    own setting may lie outside the recipe's range)."""
    if knob.kind == "choice":
        return knob if default in knob.choices else Knob("choice", choices=(*knob.choices, default))
    return Knob(knob.kind, min(knob.low, default), max(knob.high, default))


def suggest(trial, knobs: dict[str, Knob]) -> dict:
    found = {}
    for name, knob in knobs.items():
        if knob.kind == "choice":
            found[name] = trial.suggest_categorical(name, list(knob.choices))
        else:
            found[name] = trial.suggest_float(name, knob.low, knob.high, log=knob.kind == "log")
    return found


def search(
    data,
    fit_args: dict,
    settings: dict,
    budget: float | None,
    trials: int | None,
    storage: str | None = None,
    resume: bool = False,
) -> Search:
    """Run the search for budget seconds and/or trials trials; Ctrl-C ends it with what
    it has. fit_args: target, test, val, images, text, task as `train` takes them."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    knobs, defaults, metric = space_of(
        data,
        fit_args.get("target"),
        fit_args.get("task", "auto"),
        fit_args.get("images"),
        fit_args.get("text"),
        settings,
    )
    direction = "minimize" if metric == "rmse" else "maximize"
    study = _study(optuna, storage, resume, direction)
    logs = [name for name, knob in knobs.items() if knob.kind == "log"]
    found = Search(study, None, defaults, direction, metric, log_scaled=logs)
    job = {"data": data, "fit_args": fit_args, "settings": settings}
    if settings.get("cluster"):  # the same space, the trials in parallel on Ray Tune
        return _search_on_cluster(found, knobs, job, budget, trials)
    return _search_here(found, knobs, job, budget, trials)


def _search_on_cluster(found: Search, knobs: dict[str, Knob], job: dict, budget, trials) -> Search:
    """The trials in parallel on Ray Tune (tune/parallel.py); the best model comes back."""
    from .parallel import search_in_parallel

    start = time.perf_counter()
    found.best, found.parallel = search_in_parallel(
        found.study, knobs, found.default, budget, trials, job | {"metric": found.metric}
    )
    _check_finished(found.study)
    found.seconds, found.engine = time.perf_counter() - start, "ray-tune"
    return found


def _search_here(found: Search, knobs: dict[str, Knob], job: dict, budget, trials) -> Search:
    """The trials one after another in this process, the defaults first; the best
    trial's model is kept when this process trained it (not a resumed study's earlier run)."""
    study = found.study
    if not study.trials:
        study.enqueue_trial(found.default)  # the defaults first: the search never ends worse than train
    kept: dict = {}  # the best trial's model, of this process
    objective = _objective(found, knobs, job, kept)
    start = time.perf_counter()
    try:
        study.optimize(objective, n_trials=trials, timeout=budget, catch=FAILED)
    except KeyboardInterrupt:
        say("Stopped: the best trial so far is kept.")
    _check_finished(study)
    ours = kept.get("number") == study.best_trial.number
    found.best = kept["predictor"] if ours else None
    found.seconds = time.perf_counter() - start
    return found


def _objective(found: Search, knobs: dict[str, Knob], job: dict, kept: dict):
    """Optuna's objective: a trial's settings trained, its validation score returned; the
    best trial's model so far goes into kept (value, number, predictor)."""

    def objective(trial) -> float:
        chosen = suggest(trial, knobs)
        say(f"Trial {trial.number + 1}: " + ", ".join(f"{k}={_short(v)}" for k, v in chosen.items()))
        try:
            with listening(_pruner(trial, found.metric)):
                predictor, value, attrs = run_trial(
                    job["data"], job["fit_args"], job["settings"] | chosen, found.metric
                )
        except FAILED as e:
            trial.set_user_attr("failed", failure(e))
            raise
        for name, said in attrs.items():
            trial.set_user_attr(name, said)
        best = kept.get("value")
        if best is None or (value > best if found.direction == "maximize" else value < best):
            kept.update(value=value, number=trial.number, predictor=predictor)
        say(f"  validation {found.metric} {value:.4g} ({trial.user_attrs['seconds']:.0f} s)")
        return value

    return objective


def _check_finished(study) -> None:
    if not any(t.state.name == "COMPLETE" for t in study.trials):
        raise ConfigError("No trial finished; give a longer --budget or more --trials.")


def _study(optuna, url: str | None, resume: bool, direction: str):
    sampler = optuna.samplers.TPESampler(seed=0, n_startup_trials=5)
    pruner = optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2)
    storage = _opened(optuna, url)
    if storage is not None and not resume:
        try:
            optuna.load_study(study_name=STUDY, storage=storage)
        except KeyError:
            pass
        else:
            raise ConfigError(
                f"The study storage at {redacted(url)} already holds a search; add --resume to continue "
                "it, or give another --storage."
            )
    return optuna.create_study(
        study_name=STUDY,
        storage=storage,
        direction=direction,
        sampler=sampler,
        pruner=pruner,
        load_if_exists=resume,
    )


def _opened(optuna, url: str | None):
    """The study's database (None: kept in memory), or one line saying why it cannot be used
    (its password, if the URL holds one, written as ***)."""
    if url is None:
        return None
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return optuna.storages.RDBStorage(url)
    except (SQLAlchemyError, ImportError, ValueError) as e:
        why = redacted((str(e).splitlines() or [type(e).__name__])[0])[:120]  # it may quote the URL
        raise ConfigError(
            f"--storage {redacted(url)} cannot be used ({why}); give e.g. sqlite:///study.db or "
            "postgresql://host/db."
        ) from None


def _pruner(trial, metric: str):
    """A listener of the training loop's epochs: reports each epoch's validation score
    to the trial, and stops the trial when it falls behind the others' at that epoch."""
    import optuna

    key = "val_accuracy" if metric == "accuracy" else "val_loss"

    def heard(event: dict) -> None:
        if event.get("event") == "epoch" and key in event and math.isfinite(event[key]):
            trial.report(event[key], event["epoch"])
            if trial.should_prune():
                raise optuna.TrialPruned(f"behind the other trials at epoch {event['epoch']}")

    return heard


def _short(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)
