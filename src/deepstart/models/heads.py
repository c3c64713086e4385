"""Heads: the small networks trained on top of frozen features."""

from __future__ import annotations

from torch import nn


class LinearHead(nn.Sequential):
    """Dropout then one linear layer: multinomial logistic regression, regularised."""

    def __init__(self, in_features: int, n_classes: int, dropout: float = 0.2):
        super().__init__(nn.Dropout(dropout), nn.Linear(in_features, n_classes))


HEADS = {"linear": LinearHead}


def build_head(spec: dict) -> nn.Module:
    """Rebuild a head from its manifest entry, e.g. {"name": "linear", "in_features": 1280, ...}."""
    options = {k: v for k, v in spec.items() if k != "name"}
    return HEADS[spec["name"]](**options)
