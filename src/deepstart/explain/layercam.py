"""LayerCAM (Jiang et al., 2021): where a convolutional network looked. Each feature map
of a layer is weighted, cell by cell, by how much the chosen class's score rises with it
(positive gradients only), summed over the maps and kept where positive. Maps of several
layers (the ends of the last stages of a pretrained network: a 14x14 grid for detail,
7x7 for meaning) are brought to the finest grid, each scaled to [0, 1], and averaged.
Grad-CAM's one weight per map on the last 7x7 grid peaks at cell centres and missed a
small decisive patch in most photos; this does not."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def layer_cam(net: nn.Module, layers: list[nn.Module], inputs: torch.Tensor, class_index: int | None = None):
    """Per input (N, ...): (the map over the finest layer's grid, (h, w) floats in [0, 1],
    the class it explains: the predicted one, or class_index)."""
    saved: dict[int, torch.Tensor] = {}
    hooks = [
        layer.register_forward_hook(lambda module, args, output, k=k: saved.__setitem__(k, output))
        for k, layer in enumerate(layers)
    ]
    net.eval()
    results = []
    try:
        for i in range(len(inputs)):
            scores = net(inputs[i : i + 1].float())
            k = int(scores.argmax(1)) if class_index is None else class_index
            maps = [saved[j] for j in range(len(layers))]  # each (1, C, h, w)
            # The class's score against the mean of all: what sets it apart, not what every
            # class's score shares (with two classes, "blue" would otherwise be "no red").
            gradients = torch.autograd.grad(scores[0, k] - scores[0].mean(), maps)
            grid = max((m.shape[-2:] for m in maps), key=lambda size: size[0] * size[1])
            cams = [_scaled(_one(m, g), grid) for m, g in zip(maps, gradients)]
            cam = torch.stack(cams).mean(0)
            cam = cam / cam.max() if cam.max() > 0 else cam
            results.append((cam.detach().numpy(), k))
    finally:
        for hook in hooks:
            hook.remove()
    return results


def _one(maps: torch.Tensor, gradients: torch.Tensor) -> torch.Tensor:
    """One layer's map: (1, 1, h, w), each cell's maps weighted by their positive gradients."""
    return torch.relu((torch.relu(gradients) * maps).sum(1, keepdim=True))


def _scaled(cam: torch.Tensor, grid) -> torch.Tensor:
    """(h, w) on grid, in [0, 1]."""
    cam = F.interpolate(cam, size=tuple(grid), mode="bilinear", align_corners=False)[0, 0]
    return cam / cam.max() if cam.max() > 0 else cam
