"""A detector's training run, step by step: the photos split (the layout's own split where
it has one), the recipe, the features (with mirror images for training), each place's
target, the head trained by the shared loop (train.fit with the detector's loss), the score
threshold chosen on the validation photos, and the scores on the test photos."""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np
import torch

from ...budget import current
from ...errors import DataError
from ...log import say
from ...train import Plan as LoopPlan
from ...train import fit as train_loop
from . import targets
from .boxes import Photos
from .encoders import Features
from .head import BoxHead
from .read import displayed_size
from .recipe import choose


@dataclass
class Part:
    """One part of the split: its photos' boxes and features (photos that could be read)."""

    photos: Photos
    features: Features

    @property
    def truth(self) -> list:
        return [self.photos.labels[i] for i in self.features.kept]

    @property
    def files(self) -> list:
        return [self.photos.items[i] for i in self.features.kept]


def split(examples: Photos, settings, test: Photos | None, val: Photos | None) -> dict[str, Photos]:
    """{"train", "val", "test"}: --test and --val where given, else the layout's own split
    (VOC's ImageSets, YOLO's and COCO's train/val/test), else settings' shares at random."""
    rng = np.random.default_rng(settings.seed)
    parts = np.array([p or "" for p in examples.parts], dtype=object)
    rest = np.arange(len(examples.items))
    chosen: dict[str, np.ndarray] = {}
    for name, given, size in (("test", test, settings.test_size), ("val", val, settings.val_size)):
        if given is not None:
            continue
        own = rest[parts[rest] == name] if test is None or name != "test" else np.array([], int)
        if len(own) and len(own) < len(rest):
            chosen[name] = own
        else:
            n = size if isinstance(size, int) else max(1, round(size * len(rest)))
            if n >= len(rest):
                raise DataError(f"{len(rest)} photos are too few to hold {n} out for {name}; add photos.")
            chosen[name] = np.sort(rng.permutation(rest)[:n])
        rest = np.setdiff1d(rest, chosen[name])
    found = {name: _take(examples, idx) for name, idx in chosen.items()}
    found["train"] = _take(examples, rest)
    return found | {k: v for k, v in (("test", test), ("val", val)) if v is not None}


def _take(examples: Photos, idx) -> Photos:
    idx = [int(i) for i in idx]
    return Photos(
        examples.kind, [examples.items[i] for i in idx], [examples.labels[i] for i in idx], examples.origin,
        task=examples.task, parts=[examples.parts[i] for i in idx], layout=examples.layout,
    )  # fmt: skip


def recipe_for(train: Photos, classes: list[str], settings):
    sizes = Counter(
        s for s in (displayed_size(f) for f in train.items[:: max(1, len(train.items) // 200)]) if s
    )
    n_boxes = sum(len(b) for b in train.labels)
    return choose(sizes, n_boxes, classes, settings)


def arrays(part: Part, encoder, classes: list[str], mirrors: bool) -> tuple[np.ndarray, np.ndarray]:
    """(X, Y): features and each place's target; with mirrors, the mirror images after the photos."""
    (rows, cols), _ = encoder.grids
    views = (False, True) if mirrors else (False,)
    ys, xs = [], []
    for m, view in enumerate(views):
        for size, boxes in zip(part.features.sizes, part.truth):
            corners = np.array([[b.x0, b.y0, b.x1, b.y1] for b in boxes], np.float32).reshape(-1, 4)
            corners = corners * encoder.scale(size)
            if view:
                corners = targets.mirrored(corners, encoder.width)
            labels = np.array([classes.index(b.label) for b in boxes], int)
            ys.append(targets.assign(corners, labels, rows, cols))
        xs.append(part.features.x[:, m] if mirrors else part.features.x)
    return np.concatenate(xs), np.stack(ys)


def train_head(detector, recipe, train: tuple, val: tuple):
    """The head trained by the shared loop on (X, Y) with the detector's loss; its history and plan."""
    s, encoder = detector.settings, recipe.encoder
    (rows, cols), _ = encoder.grids
    torch.manual_seed(s.seed)
    net = BoxHead(len(detector.classes_), rows, cols, **_options(recipe.net))
    epochs = recipe.epochs(s, len(train[0]))
    groups = [{"params": list(net.parameters()), "lr": recipe.lr(s)}]
    plan = LoopPlan(
        epochs,
        recipe.batch_size(s),
        groups,
        task="detection",
        seconds=current().share(0.85),
        loss=targets.loss,
        last=True,  # the schedule's end: on BCCD, validation loss was lowest at epoch 16 of 36, mAP rose on
    )
    say(
        f"Training the detection head on {len(train[0]):,} photos and mirror images, for up to {epochs} "
        "epochs."
    )
    history = train_loop(net, train, val, s, plan)
    return net.cpu().eval(), history


def _options(net: dict) -> dict:
    return {k: v for k, v in net.items() if k in ("width", "dropout")}


def fingerprint(parts: dict[str, Part]) -> str:
    """One hash of the photos' contents and their boxes, part by part."""
    digest = hashlib.sha256()
    for name in ("train", "val", "test"):
        part = parts[name]
        for h, boxes in zip(part.features.hashes, part.truth):
            digest.update(f"{name}:{h}:{[(b.label, *b.to_list()) for b in boxes]}".encode())
    return digest.hexdigest()


def seconds_since(t0: float) -> float:
    return round(time.perf_counter() - t0, 2)
