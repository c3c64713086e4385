"""Heads: the small networks trained on top of frozen features."""

from __future__ import annotations

from torch import nn


class LinearHead(nn.Sequential):
    """Dropout then one linear layer: multinomial logistic regression, regularised."""

    def __init__(self, in_features: int, n_classes: int, dropout: float = 0.2):
        super().__init__(nn.Dropout(dropout), nn.Linear(in_features, n_classes))
