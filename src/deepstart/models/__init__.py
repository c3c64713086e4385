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


__all__ = ["NETS", "build_net"]
