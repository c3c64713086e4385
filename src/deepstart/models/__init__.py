"""Networks: pretrained backbones, heads and networks trained from scratch."""

from __future__ import annotations

from torch import nn

from .cnn import SmallCNN
from .finetune import FineTuneNet
from .forecast import GRUForecaster, SequenceClassifier
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
    "sequence-cnn": SequenceClassifier,
}


def build_net(spec: dict) -> nn.Module:
    """Rebuild a network from its manifest entry, e.g. {"name": "cnn", "in_channels": 1, ...}."""
    options = {k: (tuple(v) if isinstance(v, list) else v) for k, v in spec.items() if k != "name"}
    return NETS[spec["name"]](**options)


def check_net_reads(net: dict, encoder) -> None:
    """Before building it: a table's or sequence's network must read what the encoder gives."""
    if net.get("name") == "mlp" and (
        net.get("n_numeric") != encoder.n_numeric
        or list(net.get("cardinalities", [])) != encoder.cardinalities
    ):
        raise ValueError("a network for other columns than the encoder's")
    if net.get("name") == "sequence-cnn" and net.get("channels") != encoder.channels:
        raise ValueError("a network for other channels than the encoder's")


__all__ = ["NETS", "build_net", "check_net_reads"]
