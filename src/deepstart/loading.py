"""load_model(): any model folder (a trained Predictor's, a Forecaster's, or one exported
for ONNX Runtime) as the one protocol that the CLI, serve, export and explain use."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from . import artifact
from .modalities import Modality


@runtime_checkable
class Model(Protocol):
    """What every loaded model offers; nothing else of a model is used outside it."""

    modality: Modality  # the kind of data it reads, which says how to explain, serve and export it
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


def load_model(path: str | Path, manifest: dict | None = None, tensors: dict | None = None) -> Model:
    """The model in a folder: a Predictor, or for a forecaster's folder a Forecaster
    (from its manifest and tensors where the caller has read them with artifact.load)."""
    if manifest is None:
        manifest, tensors = artifact.load(path)
    if manifest.get("task") == "forecasting":
        from .forecaster import Forecaster

        return Forecaster.load(path, manifest, tensors)
    from .predictor import Predictor

    return Predictor.load(path, manifest, tensors)
