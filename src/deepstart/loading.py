"""The one place that maps data to what trains it and a model folder to what loads it:
each modality names its trainer (Modality.trainer), TRAINERS says which class that is.
train(plan) and load_model(path) are what the CLI, the studio, tune, serve, export and
the cluster use; Model is the one protocol every loaded model meets."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Protocol, runtime_checkable

from . import artifact
from .errors import ModelFileError
from .modalities import REGISTRY, Modality
from .pipeline.plan import Plan

TRAINERS = {  # Modality.trainer -> the class that trains and loads such models (or its own, dotted)
    "predictor": "deepstart.predictor:Predictor",  # a label or a number per input
    "forecaster": "deepstart.forecaster:Forecaster",  # the next steps of each series
}


@runtime_checkable
class Model(Protocol):
    """What every loaded model offers; nothing else of a model is used outside it."""

    modality: Modality  # the kind of data it reads, which says how to explain, serve and export it
    forecasts: bool  # True: it forecasts the next steps of series (from their history), not each input
    task: str  # "classification", "regression" or "forecasting"
    runtime_: dict | None  # for an exported model: its engine, and how the export was checked
    classes_: list[str]  # what it predicts (none for numbers)
    recipe_: dict  # which model was trained and why: {"name", "reason", ...}
    metrics_: dict
    leaderboard_: list
    choice_: str
    columns_: dict | None

    def predict_records(self, inputs, text: str | None = None) -> list[dict]: ...

    def evaluate(self, data, **options) -> dict: ...

    def manifest(self) -> dict: ...

    def summary(self, manifest: dict, out: str | None = None) -> str: ...

    def metrics_lines(self, metrics: dict) -> list[str]: ...


def trainer(modality: Modality) -> type:
    """The class that trains and loads the modality's models (imported when asked for):
    one of TRAINERS by name, or a class a modality (or a plug-in) brings itself, named by
    its dotted path "package.module:Class"."""
    path = TRAINERS.get(modality.trainer, modality.trainer)
    module, _, name = path.partition(":")
    if not module or not name:
        raise TypeError(
            f"the modality {modality.name!r} names its trainer {modality.trainer!r}: give one of "
            f"{', '.join(TRAINERS)} or a dotted path 'package.module:Class'"
        )
    return getattr(import_module(module), name)


def train(plan: Plan) -> Model:
    """A model trained on the plan's data, by what trains its modality."""
    return trainer(plan.modality())(**plan.settings).train(plan)


def load_model(path: str | Path, manifest: dict | None = None, tensors: dict | None = None) -> Model:
    """The model in a folder, loaded by what trains its modality (from its manifest and
    tensors where the caller has read them with artifact.load)."""
    if manifest is None:
        manifest, tensors = artifact.load(path)
    name = manifest.get("modality") or manifest["encoder"]["kind"]
    if name not in REGISTRY:
        raise ModelFileError(
            f"{path} holds a model of {name!r} data, which no installed package reads; install the package "
            "that adds it (a deepstart.modalities plug-in) and try again."
        )
    return trainer(REGISTRY[name]).load(path, manifest, tensors)
