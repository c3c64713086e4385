"""Training the recipe's network on encoded examples: build it, warm-start it when
fine-tuning, and run the shared training loop with checkpoints."""

from __future__ import annotations

import torch
from torch import nn

from .models import build_net
from .recipes import Recipe, head_epochs
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
            _linear_probe(net, recipe, train, val, settings)
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


def _linear_probe(net: nn.Module, recipe: Recipe, train: tuple, val: tuple, settings) -> None:
    """Fine-tuning starts from a classifier trained on frozen features (linear probing
    first): a random head would send large, useless gradients into the pretrained layers."""
    head = net.head
    fit(
        head,
        (recipe.probe.features_of(train[0]), train[1]),
        (recipe.probe.features_of(val[0]), val[1]),
        settings,
        head_epochs(len(train[1]), 128),
        128,
        param_groups=[{"params": list(head.parameters()), "lr": 3e-3}],
    )
