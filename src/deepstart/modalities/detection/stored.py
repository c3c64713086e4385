"""A detector's model folder: its manifest (what it finds, how it reads photos, how good it
is, how it was trained), its head's tensors, the training curve and report.html; and how it
is read back, each part checked against the others (an exported one runs in ONNX Runtime)."""

from __future__ import annotations

from pathlib import Path

import torch

from ... import artifact
from ...errors import ModelFileError
from ...models import efficientnet
from ...settings import Settings
from .encoders import BoxFeatureEncoder, PhotoPixels
from .head import BoxHead
from .report import curve_png, report_html


def manifest_of(d) -> dict:
    return {
        "task": d.task,
        "modality": d.kind_,
        "classes": list(d.classes_),
        "columns": None,
        "model": d.recipe_,
        "encoder": d.encoder_.spec(),
        "net": d.net_spec_,
        "threshold": d.threshold_,
        "choice": d.choice_,
        "leaderboard": d.leaderboard_,
        "metrics": d.metrics_,
        "diagnostics": d.diagnostics_,
        "data": d.data_,
        "training": d.training_,
        "versions": artifact.versions(),
    }


def save_detector(d, out) -> Path:
    manifest = manifest_of(d)
    curve = curve_png(d.training_["history"])
    tensors = {f"net.{k}": v for k, v in d.net_.state_dict().items()}
    files = {artifact.CURVE: curve, artifact.REPORT: report_html(manifest, curve).encode()}
    return artifact.save(out, manifest, tensors, files)


def load_detector(d, path, manifest: dict, tensors: dict) -> None:
    """The detector's learned state from its manifest and tensors (artifact.restore turns
    any inconsistency into one line)."""
    d.settings = Settings.trained_with(manifest.get("training", {}).get("settings", {}))
    d.classes_, d.kind_ = [str(c) for c in manifest["classes"]], str(manifest["modality"])
    d.threshold_ = float(manifest["threshold"])
    if not 0 <= d.threshold_ <= 1 or not d.classes_:
        raise ValueError("a threshold outside [0, 1], or no classes")
    d.runtime_, spec = manifest.get("runtime"), manifest["encoder"]
    d.net_spec_ = dict(manifest["net"])
    if d.net_spec_.get("n_classes") != len(d.classes_):
        raise ValueError("a network for another number of classes")
    if d.runtime_:
        from ...onnx.session import OnnxNetwork

        d.encoder_ = PhotoPixels.from_spec(spec, d.settings)
        (rows, cols), _ = d.encoder_.grids
        d.net_ = OnnxNetwork(
            Path(path) / artifact.ONNX, d.runtime_.get("sha256"), rows * cols * (4 + len(d.classes_))
        )
    else:
        d.encoder_ = BoxFeatureEncoder.from_spec(spec, d.settings)
        if spec.get("weights_sha256") != efficientnet.weights_sha256():
            raise ModelFileError(
                f"{path} was trained on other pretrained weights than those installed; reinstall "
                f"{spec.get('package')} or train again."
            )
        d.net_ = _head(d, tensors)
    d.recipe_, d.metrics_ = manifest["model"], manifest.get("metrics", {})
    d.leaderboard_, d.choice_ = manifest.get("leaderboard", []), manifest.get("choice", "deep")
    d.data_, d.training_ = manifest.get("data", {}), manifest.get("training", {})
    d.diagnostics_, d.columns_ = manifest.get("diagnostics", []), None


def _head(d, tensors: dict) -> BoxHead:
    """The head rebuilt from its manifest entry, its sizes checked against its tensors first."""
    (rows, cols), _ = d.encoder_.grids
    width, dropout = int(d.net_spec_.get("width", 64)), float(d.net_spec_.get("dropout", 0.0))
    if not 1 <= width <= 1024:
        raise ValueError("a head width out of range")
    state = {k.removeprefix("net."): v for k, v in tensors.items() if k.startswith("net.")}
    with torch.device("meta"):
        declared = {
            k: tuple(v.shape)
            for k, v in BoxHead(len(d.classes_), rows, cols, width=width).state_dict().items()
        }
    if declared != {k: tuple(v.shape) for k, v in state.items()}:
        raise ValueError("the head's sizes in the manifest do not match its weights")
    net = BoxHead(len(d.classes_), rows, cols, width=width, dropout=dropout)
    net.load_state_dict(state)
    return net.eval()
