"""Grad-CAM (Selvaraju et al., 2017): where a convolutional network looked. A layer's
feature maps are weighted by how much the chosen class's score rises with each, summed
and kept where positive; the map is scaled to [0, 1]."""

from __future__ import annotations

import torch
from torch import nn


def grad_cam(net: nn.Module, layer: nn.Module, inputs: torch.Tensor, class_index: int | None = None):
    """Per input (N, ...): (the map over the layer's grid, (h, w) floats in [0, 1], the
    class it explains: the predicted one, or class_index)."""
    saved = {}
    hook = layer.register_forward_hook(lambda module, args, output: saved.__setitem__("maps", output))
    net.eval()
    results = []
    try:
        for i in range(len(inputs)):
            scores = net(inputs[i : i + 1].float())
            k = int(scores.argmax(1)) if class_index is None else class_index
            maps = saved["maps"]  # (1, C, h, w)
            (gradients,) = torch.autograd.grad(scores[0, k], maps)
            weights = gradients.mean(dim=(2, 3), keepdim=True)  # (1, C, 1, 1): each map's weight
            cam = torch.relu((weights * maps).sum(1))[0].detach().numpy()
            results.append((cam / cam.max() if cam.max() > 0 else cam, k))
    finally:
        hook.remove()
    return results
