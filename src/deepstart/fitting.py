"""Training the recipe's network on encoded examples: build it, warm-start it when
fine-tuning, and run the shared training loop with checkpoints."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .encoders import FeatureEncoder
from .log import progress
from .models import build_net
from .recipes import Recipe
from .train import History, fit
from .train.checkpoint import Checkpoint
from .train.loop import as_tensors


def train_net(
    recipe: Recipe,
    n_classes: int,
    train: tuple,
    val: tuple,
    settings,
    checkpoint: Checkpoint | None = None,
    resume: bool = False,
) -> tuple[nn.Module, History]:
    """train and val are (X, y): features or uint8 pixels, and class indices."""
    train, val = as_tensors(train), as_tensors(val)
    torch.manual_seed(settings.seed)  # the network's initial weights
    net = build_net(recipe.net_spec(n_classes))
    epochs = recipe.epochs(settings, len(train[1]))
    groups = None
    if recipe.name == "fine-tune":
        net.load_pretrained()
        if not resume:
            _linear_probe(net, train, val, settings)
        groups = net.param_groups(recipe.lr(settings))
    else:
        groups = [{"params": list(net.parameters()), "lr": recipe.lr(settings)}]
    history = fit(
        net,
        train,
        val,
        settings,
        epochs,
        recipe.batch_size(settings),
        augment=recipe.augment,
        param_groups=groups,
        checkpoint=checkpoint,
        resume=resume,
        keep_start=recipe.name == "fine-tune",
    )
    return net.cpu().eval(), history


def _linear_probe(net: nn.Module, train: tuple, val: tuple, settings) -> None:
    """Fine-tuning starts from a classifier trained on frozen features (linear probing
    first): a random head would send large, useless gradients into the pretrained layers."""
    encoder = FeatureEncoder(settings.workers)

    def features(pixels: torch.Tensor) -> torch.Tensor:  # (N, 3, 224, 224) uint8 -> (N, 1280)
        starts = progress(range(0, len(pixels), 64), desc="Features for the first classifier", unit="batch")
        hwc = pixels.numpy().transpose(0, 2, 3, 1)  # the encoder's input layout, (N, H, W, 3)
        return torch.from_numpy(np.concatenate([encoder.transform(hwc[s : s + 64]) for s in starts]))

    head = net.head
    fit(
        head,
        (features(train[0]), train[1]),
        (features(val[0]), val[1]),
        settings,
        200,
        128,
        param_groups=[{"params": list(head.parameters()), "lr": 3e-3}],
    )
