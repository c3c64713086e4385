"""Small building blocks shared by the networks."""

from __future__ import annotations

import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


def activation(name: str) -> nn.Module:
    return ACTIVATIONS[name]()


class Rescale(nn.Module):
    """Pixels in [0, 255] -> [-1, 1], inside the network so a saved model needs no
    separate preprocessing step: (x / 255 - 0.5) / 0.5."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.float() * (2.0 / 255.0) - 1.0
