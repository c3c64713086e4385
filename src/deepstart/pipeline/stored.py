"""A Predictor as it is stored and read back: its manifest (JSON) and tensors
(safetensors) from what it learned, and what it learned from them, each part checked
against the others so that a folder that does not fit together is refused."""

from __future__ import annotations

from .. import artifact
from ..classical import classical_from_saved
from ..modalities import REGISTRY
from ..models import check_net_reads, load_network
from ..settings import Settings

TASKS = ("classification", "regression")  # what a Predictor learns: classes, or numbers
CHOICES = ("deep", "classical", "ensemble")  # the models it may keep


def manifest_of(model) -> dict:
    """Everything but the weights, as manifest.json holds it."""
    return {
        "task": model.task_,
        "label_type": "int" if model.integer_labels_ else "str",
        "target_scale": model.target_scale_,
        "modality": model.encoder_.kind,
        "classes": model.classes_,
        "model": model.recipe_,
        "choice": model.choice_,
        "deep_weight": model.deep_weight_,
        "selection": model.selection_,
        "leaderboard": model.leaderboard_,
        "worst_mistakes": model.worst_,
        "columns": model.columns_,
        "encoder": model.encoder_.spec(),
        "net": model.net_spec_,
        "classical": model.classical_.spec() if model.classical_ else None,
        "metrics": model.metrics_,
        "diagnostics": model.diagnostics_,
        "data": model.data_,
        "training": model.training_,
        "versions": artifact.versions(),
    } | ({"tuning": model.tuning_} if model.tuning_ else {})


def tensors_of(model) -> dict:
    """The network's weights, and the classical model's arrays where there is one."""
    tensors = {f"net.{k}": v for k, v in model.net_.state_dict().items()}
    if model.classical_ is not None:
        tensors |= {f"classical.{k}": v for k, v in model.classical_.tensors().items()}
    return tensors


def restore(model, path, manifest: dict, tensors: dict) -> None:
    """What was learned, from the manifest and tensors, set on model (a Predictor)."""
    model.settings = Settings.trained_with(manifest["training"]["settings"])
    model.classes_ = [str(c) for c in manifest["classes"]]
    model.integer_labels_ = manifest.get("label_type") == "int"
    model.task_ = manifest.get("task", TASKS[0])
    scale = manifest.get("target_scale")
    model.target_scale_ = (float(scale[0]), float(scale[1])) if model.task_ == "regression" else None
    modality = REGISTRY[manifest.get("modality") or manifest["encoder"]["kind"]]
    model.encoder_ = modality.encoder_from_spec(manifest["encoder"], model.settings)
    model.net_spec_, model.recipe_ = dict(manifest["net"]), manifest["model"]
    n_out = model.targets_.n_outputs
    if model.task_ not in TASKS or model.net_spec_.get("n_classes") != n_out:
        raise ValueError(f"{n_out} classes but a network for {model.net_spec_.get('n_classes')}")
    check_net_reads(model.net_spec_, model.encoder_)
    model.runtime_ = manifest.get("runtime")  # an exported model: its network runs in ONNX Runtime
    model.net_ = load_network(path, model.runtime_, model.net_spec_, tensors)
    model.choice_, model.leaderboard_ = manifest.get("choice", "deep"), manifest.get("leaderboard", [])
    model.deep_weight_, model.selection_ = float(manifest.get("deep_weight", 0.5)), manifest.get("selection")
    if not 0 <= model.deep_weight_ <= 1:
        raise ValueError(f"the network's weight {model.deep_weight_} is not between 0 and 1")
    model.columns_, model.tuning_ = manifest.get("columns"), manifest.get("tuning")
    model.worst_ = list(manifest.get("worst_mistakes") or [])
    spec = manifest.get("classical")
    model.classical_ = classical_from_saved(spec, _part(tensors, "classical.")) if spec else None
    if model.classical_ is not None:
        modality.check_classical(model.classical_, model.encoder_, n_out, model.task_)
    if model.choice_ not in CHOICES or (model.choice_ != "deep" and model.classical_ is None):
        raise ValueError(f"the chosen model {model.choice_!r} is not in the file")


def _part(tensors: dict, prefix: str) -> dict:
    return {k.removeprefix(prefix): v for k, v in tensors.items() if k.startswith(prefix)}
