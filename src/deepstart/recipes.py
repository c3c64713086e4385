"""Which model to train on which data, and how: the recipe says what encodes the
inputs, which network learns, with which augmentation, for how long, and why."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .data.images import Pixels
from .encoders import FeatureEncoder, PixelEncoder, Survey
from .errors import ConfigError
from .models import efficientnet
from .train.augment import PHOTOS, SMALL_IMAGES, RandomAffine

SMALL_SIDE = 64  # images this small (or smaller) are learned from scratch
CNN_STEPS = 1200  # optimisation steps for a CNN from scratch; epochs follow from the data size


@dataclass
class Recipe:
    name: str  # "transfer" | "cnn" | "fine-tune"
    reason: str  # for the summary: why this model for this data
    encoder: PixelEncoder
    augment: RandomAffine | None = None
    net: dict = field(default_factory=dict)  # the network's manifest entry, without n_classes

    def net_spec(self, n_classes: int) -> dict:
        return {**self.net, "n_classes": n_classes}

    def epochs(self, settings, n_train: int) -> int:
        if settings.epochs is not None:
            return settings.epochs
        if self.name == "cnn":  # a fixed number of steps, at least 3 passes over the data
            return min(200, max(3, round(CNN_STEPS / math.ceil(n_train / self.batch_size(settings)))))
        return 3 if self.name == "fine-tune" else 200

    def batch_size(self, settings) -> int:
        """--batch-size, else 128, or 32 when fine-tuning (a 224x224 network's activations are large)."""
        if settings.batch_size is not None:
            return settings.batch_size
        return 32 if self.name == "fine-tune" else 128

    def lr(self, settings) -> float:
        """Peak learning rate: --lr, else 3e-3, or 3e-4 for the head when fine-tuning."""
        if settings.lr is not None:
            return settings.lr
        return 3e-4 if self.name == "fine-tune" else 3e-3

    def describe(self) -> dict:
        return {
            "name": self.name,
            "reason": self.reason,
            "augmentation": self.augment.to_dict() if self.augment else None,
        }


def choose(survey: Survey, settings) -> Recipe:
    """The model for images: small ones get a CNN from scratch, photos the pretrained network."""
    model = "fine-tune" if settings.fine_tune else settings.model
    if settings.fine_tune and settings.model not in ("auto", "fine-tune"):
        raise ConfigError(f"--fine-tune cannot be combined with --model {settings.model}; drop one of them.")
    width, height = survey.common_size
    small = 0 < max(width, height) <= SMALL_SIDE
    if model == "auto":
        model = "cnn" if small else "transfer"
    workers, limit, cache = settings.workers, settings.max_pixels, settings.cache
    colour = "greyscale" if survey.grey >= 0.9 else "colour"
    if model == "cnn":
        side = min(max(width, height, 16), SMALL_SIDE) if small else 32
        pixels = Pixels(side, 1 if colour == "greyscale" else 3, crop=False)
        net = {
            "name": "cnn",
            "in_channels": pixels.channels,
            "size": side,
            "activation": settings.activation,
            "dropout": settings.dropout,
        }
        why = (
            f"the images are small ({width}x{height} pixels, {colour}): a network learns such images well "
            "from scratch"
            if small
            else "--model cnn was asked for"
        ) + _sizes_note(survey, side)
        augment = SMALL_IMAGES if settings.augment else None
        return Recipe("cnn", why, PixelEncoder(pixels, workers, limit, cache), augment, net)
    photo = f"the images are photos (mostly {width}x{height} pixels)"
    if model == "fine-tune":
        net = {"name": "fine-tune", "dropout": settings.dropout}
        why = (
            "--fine-tune was asked for: the network's later layers adapt to these images, at small "
            "learning rates"
        )
        augment = PHOTOS if settings.augment else None
        return Recipe(
            "fine-tune", why, PixelEncoder(efficientnet.PIXELS, workers, limit, cache), augment, net
        )
    net = {"name": "linear", "in_features": efficientnet.FEATURE_DIM, "dropout": settings.dropout}
    why = (
        f"{photo}, and a network pretrained on ImageNet already recognises what photos show, so only a "
        "classifier on its features is trained (transfer learning)"
        if not small
        else "--model transfer was asked for"
    )
    return Recipe("transfer", why, FeatureEncoder(workers, limit, cache), None, net)


def _sizes_note(survey: Survey, side: int) -> str:
    if len(survey.sizes) > 1:
        return f"; they come in {len(survey.sizes)} sizes, all resized to {side}x{side}"
    if survey.common_size != (side, side):
        return f"; resized to {side}x{side}"
    return ""
