"""How strongly each layer learns: the gradient norm of its weights, sampled during
training for the diagnostics (vanishing and exploding gradients)."""

from __future__ import annotations

import torch
from torch import nn

LAYERS = (nn.Conv1d, nn.Conv2d, nn.Linear, nn.GRU, nn.LSTM, nn.RNN)


def layer_grad_norms(model: nn.Module) -> dict[str, float]:
    """Gradient norm of each layer's own weights (convolutions, linear and recurrent
    layers), in the order the layers are defined."""
    found = {}
    for name, m in model.named_modules():
        if isinstance(m, LAYERS):
            grads = [
                p.grad
                for key, p in m.named_parameters(recurse=False)
                if "weight" in key and p.grad is not None
            ]
            if grads:
                found[name] = float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads])))
    return found
