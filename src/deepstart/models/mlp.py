"""A multilayer perceptron for tables: numbers go in as they are (standardised), each
categorical column through its own learned embedding."""

from __future__ import annotations

import torch
from torch import nn

from .layers import activation as make_activation


def embedding_size(codes: int) -> int:
    """Embedding width for a column with this many codes (fast.ai's rule of thumb, capped)."""
    return min(32, round(1.6 * codes**0.56))


class TabularMLP(nn.Module):
    """(B, n_numeric + n_categorical) -> (B, n_classes): the last columns hold category
    codes (0 = unknown); each gets an embedding, concatenated with the numbers, then
    two hidden layers. For regression n_classes is 1."""

    def __init__(
        self,
        n_numeric: int,
        cardinalities: tuple,
        n_classes: int,
        hidden: tuple = (256, 128),
        activation: str = "relu",
        dropout: float = 0.2,
    ):
        super().__init__()
        self.n_numeric = n_numeric
        self.embeddings = nn.ModuleList(nn.Embedding(c, embedding_size(c)) for c in cardinalities)
        width = n_numeric + sum(e.embedding_dim for e in self.embeddings)
        layers = []
        for size in hidden:
            layers += [nn.Linear(width, size), make_activation(activation), nn.Dropout(dropout)]
            width = size
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        numbers, codes = x[:, : self.n_numeric], x[:, self.n_numeric :].long()
        embedded = [e(codes[:, k]) for k, e in enumerate(self.embeddings)]
        return self.head(self.body(torch.cat([numbers, *embedded], dim=1)))
