"""Networks: pretrained backbones, heads and networks trained from scratch, by name."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ..artifact import ONNX
from .cnn import SmallCNN
from .finetune import FineTuneNet
from .forecast import GRUForecaster, MLPForecaster, SequenceClassifier
from .heads import LinearHead
from .mlp import TabularMLP
from .text_finetune import TextFineTuneNet

NETS = {
    "linear": LinearHead,
    "cnn": SmallCNN,
    "fine-tune": FineTuneNet,
    "text-fine-tune": TextFineTuneNet,
    "mlp": TabularMLP,
    "gru-forecaster": GRUForecaster,
    "mlp-forecaster": MLPForecaster,
    "sequence-cnn": SequenceClassifier,
}


def build_net(spec: dict) -> nn.Module:
    """Rebuild a network from its manifest entry, e.g. {"name": "cnn", "in_channels": 1, ...}."""
    options = {k: (tuple(v) if isinstance(v, list) else v) for k, v in spec.items() if k != "name"}
    return NETS[spec["name"]](**options)


def check_net_reads(net: dict, encoder) -> None:
    """Before building it: the network must read what the encoder gives (a table's columns,
    a sequence's channels)."""
    for key, value in encoder.network_inputs().items():
        if key in net and _plain(net[key]) != _plain(value):
            raise ValueError(f"a network for other {key} than the encoder's")


def _plain(value):
    return list(value) if isinstance(value, (list, tuple)) else value


def load_network(folder, runtime: dict | None, spec: dict, tensors: dict):
    """A model folder's network, ready to predict: ONNX Runtime's for an exported model
    (runtime given), else the PyTorch network rebuilt from spec and its "net." tensors."""
    if runtime:
        from ..onnx.session import OnnxNetwork

        return OnnxNetwork(Path(folder) / ONNX, runtime.get("sha256"), spec["n_classes"])
    state = {k.removeprefix("net."): v for k, v in tensors.items() if k.startswith("net.")}
    with torch.device("meta"):  # the sizes the manifest declares, checked before memory is taken
        declared = {k: tuple(v.shape) for k, v in build_net(spec).state_dict().items()}
    if declared != {k: tuple(v.shape) for k, v in state.items()}:
        raise ValueError("the network's sizes in the manifest do not match its weights")
    net = build_net(spec)
    net.load_state_dict(state)
    return net.eval()


__all__ = ["NETS", "build_net", "check_net_reads", "load_network"]
