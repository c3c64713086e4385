"""A Predictor's training run, step by step: read -> recipe -> prepare -> fit -> select
-> diagnose -> (refit) -> groups -> record. run(plan, model) is the one path every caller
takes (Predictor.fit, and through loading.train the CLI, the studio, tune and the
cluster); it sets the model's learned attributes, as fit does in scikit-learn."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd

from ..budget import current
from ..data.examples import Examples
from ..data.labels import binned
from ..errors import ConfigError, DataError
from ..evaluate.groups import group_metrics
from ..log import say, warn
from ..modalities import Modality
from ..train.checkpoint import Checkpoint
from . import kept
from .fit import train_net
from .groups import Grouping, grouping
from .plan import Plan
from .prepare import Targets, identity, prepare, read_like
from .record import data_record, scale_of, test_records, worst_mistakes


@dataclass
class Read:
    """The plan's data as read: the examples, separate test and validation data, and the
    columns that group or weigh them."""

    modality: Modality
    examples: Examples
    test: Examples | None
    val: Examples | None
    groups: pd.Series | None  # the --group column, per test example read
    weighed: tuple | None  # the --balance column: (per example, per test example)
    by: Grouping | None  # --group-split


def run(plan: Plan, model):
    """Train model (a Predictor) as the plan says; returns it, fitted."""
    start, s, model.refit_ = time.perf_counter(), model.settings, None
    check(plan)
    data = read(plan)
    recipe = data.modality.recipe(data.examples, s)
    model.task_, model.columns_ = data.examples.task, data.examples.columns
    model.integer_labels_ = data.examples.integer_labels
    model.encoder_, model.recipe_ = recipe.encoder, recipe.describe()
    by = data.by if data.by and data.by.split else None
    targets, split = prepare(data.examples, data.test, data.val, recipe.encoder, s, by)
    model.classes_ = targets.classes
    model.target_scale_ = scale_of(split.train[1]) if targets.regression else None
    trained_on, before = split, None
    if plan.balance is not None:
        before = _unbalanced(model, plan.balance, data, split, targets, recipe)
        trained_on = split.balanced(data.weighed[0].iloc[split.train_positions].to_numpy(), s.seed)
    # cross-validation would score repeated examples on their own copies: validation chooses instead
    cv = plan.val is None and plan.balance is None and by is None  # folds would mix the groups
    folds = cv and data.modality.cross_validates and len(split.train[1]) + len(split.val[1]) <= kept.CV_ROWS
    later = folds or recipe.refit  # more networks to train after this one
    net_plan = train_network(
        model, recipe, trained_on, targets, plan.checkpoint, plan.resume, share=0.35 if later else 0.7
    )
    out = kept.select(model, data.modality, recipe, trained_on, time.perf_counter() - start, cv=cv)
    model.diagnostics_ = kept.diagnose(model, trained_on, net_plan)  # of the network validation chose
    if recipe.refit and model.choice_ == "deep" and model.history_.best_epoch:
        if s.cluster:
            say("The network is not trained again on the validation examples on a cluster (not yet).")
        elif current().left() < 1.2 * model.history_.seconds:
            current().cut("the network was not trained again on the validation examples")
        else:
            out = kept.refit(model, recipe, trained_on, targets)
    _scored_by_group(model, plan, data, split, out, before)
    record(model, data, split, out)
    model.training_["seconds"] = round(time.perf_counter() - start, 2)
    return model


def check(plan: Plan) -> None:
    """What a Predictor cannot do with the plan, refused before any work."""
    if plan.resume and not Checkpoint(plan.checkpoint, {}).exists():
        raise ConfigError(f"No checkpoint to resume from in {plan.checkpoint}; train without --resume.")
    described = plan.given_options(*plan.series)
    if described:
        raise ConfigError(f"{', '.join(described)} are for time series; drop them, or add --task timeseries.")


def read(plan: Plan) -> Read:
    """The examples (bins applied), test and validation data read like them, and the
    group columns, each refused here, before any training, when it is not there."""
    modality = plan.modality()
    examples = modality.read_labeled(plan.given)
    if plan.kind is not None and examples.kind != plan.kind:
        raise DataError(
            f"{examples.origin} holds {examples.kind}s, but this model reads {plan.kind}s; "
            f"give {plan.kind} data."
        )
    test, val = (
        read_like(part, plan.target, plan.images, plan.text, examples) for part in (plan.test, plan.val)
    )
    if plan.bins is not None:
        examples, test, val = (binned(part, plan.bins) for part in (examples, test, val))
    groups = modality.group_values(test or examples, plan.group) if plan.group is not None else None
    weighed = None
    if plan.balance is not None:
        weighed = (
            modality.group_values(examples, plan.balance),
            modality.group_values(test or examples, plan.balance),
        )
    by = grouping(modality, examples, test, plan.group_split, 1 + (test is None) + (val is None))
    return Read(modality, examples, test, val, groups, weighed, by)


def train_network(model, recipe, split, targets: Targets, checkpoint, resume: bool, share: float = 0.7):
    """The recipe's network, trained (checkpointed after every epoch when asked)."""
    ckpt = None
    if checkpoint is not None:
        ckpt = Checkpoint(checkpoint, identity(split, model.classes_, recipe, model.settings))
        if not resume and ckpt.exists():
            warn(
                f"Starting again: the checkpoint of an earlier interrupted run in {checkpoint} will be "
                "replaced (--resume continues it instead)."
            )
    train, val = kept.scaled(model, split.train), kept.scaled(model, split.val)
    model.net_, model.history_, net_plan = train_net(
        recipe, targets.n_outputs, train, val, model.settings, targets.task, ckpt, resume, share
    )
    model.net_spec_ = recipe.net_spec(targets.n_outputs)
    model._checkpoint = ckpt  # removed once the model is saved, not before
    return net_plan


def _unbalanced(model, column: str, data: Read, split, targets, recipe) -> dict:
    """The test metrics per group of column of the model trained without balancing."""
    say(f"Training first without --balance, to measure each group of '{column}' before it:")
    train_network(model, recipe, split, targets, None, False)
    out = kept.select(model, data.modality, recipe, split, 0.0, cv=False)
    return group_scores(model, data.weighed[1], split.test_positions, column, split.test[1], out)


def _scored_by_group(model, plan: Plan, data: Read, split, out, before: dict | None) -> None:
    """The test metrics per group of --balance (before and after it) and of --group."""
    test = model.metrics_["test"]
    if plan.balance is not None:
        after = group_scores(model, data.weighed[1], split.test_positions, plan.balance, split.test[1], out)
        test["balance"] = {"column": plan.balance, "before": before, "after": after}
    if data.groups is not None:
        test["groups"] = group_scores(
            model, data.groups, split.test_positions, plan.group, split.test[1], out
        )


def group_scores(model, values, positions: list[int], column: str, truth, out) -> dict:
    """Metrics per group of the examples scored: each one's value in column (values: one
    per input read), taken at its position among the inputs read."""
    cells = values.iloc[positions].reset_index(drop=True)
    return group_metrics(cells, column, truth, out, model.targets_)


def record(model, data: Read, split, out) -> None:
    """What the model keeps of its training: the worst mistakes, each test example's
    truth and prediction, the data, the settings and the history."""
    modality, classes = data.modality, model.classes_
    test_items = (data.test or data.examples).items  # what the test inputs are rows of, for tables
    model.worst_ = worst_mistakes(split.test[1], out, split.inputs["test"], classes, modality, test_items)
    model.test_records_ = test_records(split.test[1], out, split.inputs["test"], classes, modality)
    model.data_ = data_record(data.examples, split, data.test, data.val)
    if data.by is not None:
        model.data_["groups"] = data.by.recorded(split)
    model.training_ = {"settings": model.settings.recorded(), "history": model.history_.to_dict()}
    if model.history_.cluster:  # trained on a Ray cluster: where, on how many workers
        model.training_["cluster"] = model.history_.cluster
    if model.refit_:
        model.training_["refit"] = model.refit_
    if current().limited:
        model.training_["budget"] = current().record()
