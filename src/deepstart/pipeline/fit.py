"""Training the recipe's network on encoded examples: build it, warm-start it when
fine-tuning, and run the one training loop with checkpoints."""

from __future__ import annotations

from dataclasses import replace

import torch
from torch import nn

from ..budget import current
from ..modalities.recipe import Recipe, head_epochs
from ..models import build_net
from ..models.runtime import device
from ..train import History, Plan, fit
from ..train.checkpoint import Checkpoint
from ..train.loop import as_tensors


def plan_for(recipe: Recipe, net: nn.Module, settings, n_train: int, task: str) -> Plan:
    """How the loop trains the recipe's network: fine-tuned networks give each layer its
    own learning rate; others train every weight at the recipe's rate."""
    lr = recipe.lr(settings)
    groups = (
        net.param_groups(lr) if recipe.probe is not None else [{"params": list(net.parameters()), "lr": lr}]
    )
    gpu = device().type == "cuda"  # larger batches where the recipe says they pay there
    epochs, batch = recipe.epochs(settings, n_train, gpu), recipe.batch_size(settings, gpu)
    return Plan(epochs, batch, groups, task, recipe.encoder.layout, recipe.augment, recipe.clean_epochs)


def train_net(
    recipe: Recipe,
    n_outputs: int,
    train: tuple,
    val: tuple,
    settings,
    task: str,
    checkpoint: Checkpoint | None = None,
    resume: bool = False,
    share: float = 0.7,
) -> tuple[nn.Module, History, Plan]:
    """train and val are (X, y): features, uint8 pixels or token ids, and targets. share:
    the part of the run's time left (budget) this training may take."""
    train, val = as_tensors(train), as_tensors(val)
    torch.manual_seed(settings.seed)  # the network's initial weights
    net = build_net(recipe.net_spec(n_outputs))
    if recipe.probe is not None:  # fine-tuning: start from the pretrained network
        net.load_pretrained()
        if not resume:
            _linear_probe(net, recipe, train, val, settings, task)
    plan = plan_for(recipe, net, settings, len(train[1]), task)
    plan.seconds = current().share(share)
    if settings.cluster:  # the same loop on the cluster's workers, with DistributedDataParallel
        from ..cluster.fit import fit_on_cluster

        history = fit_on_cluster(
            net, train, val, settings, plan, checkpoint, resume, recipe.probe is not None
        )
    else:
        history = fit(
            net, train, val, settings, plan, checkpoint, resume, keep_start=recipe.probe is not None
        )
    return net.cpu().eval(), history, plan


def refit_net(recipe: Recipe, n_outputs: int, both: tuple, settings, task: str, epochs: int) -> nn.Module:
    """The recipe's network trained again, on the training and validation examples
    together (both = (X, y)), for the epochs validation chose. Nothing is left to pick an
    epoch on: the one with the lowest loss on those examples is kept, which, as the
    learning rate comes down at the end, is one of the last."""
    both = as_tensors(both)
    torch.manual_seed(settings.seed)
    net = build_net(recipe.net_spec(n_outputs))
    plan = plan_for(recipe, net, settings, len(both[1]), task)
    plan.epochs, plan.seconds = epochs, current().share(0.85)
    fit(net, both, both, replace(settings, patience=epochs), plan)
    return net.cpu().eval()


def _linear_probe(net: nn.Module, recipe: Recipe, train: tuple, val: tuple, settings, task: str) -> None:
    """Fine-tuning starts from a classifier trained on frozen features (linear probing
    first): a random head would send large, useless gradients into the pretrained layers."""
    head = net.head
    plan = Plan(head_epochs(len(train[1]), 128), 128, [{"params": list(head.parameters()), "lr": 3e-3}], task)
    features = (recipe.probe.features_of(train[0]), train[1]), (recipe.probe.features_of(val[0]), val[1])
    fit(head, *features, settings, plan)
