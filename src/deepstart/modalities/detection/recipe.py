"""Which detector for which photos, and why: the size the photos are read at (their shape
kept, at most LONG_SIDE pixels on the long side, in multiples of 32) and the head trained
on the frozen pretrained network's maps; for how long, and at which learning rate."""

from __future__ import annotations

import math
from collections import Counter

from ..recipe import Knob, Recipe
from .encoders import BoxFeatureEncoder

LONG_SIDE = 512  # pixels on the long side of the network's input (BCCD's 640x480 -> 512x384)
MIN_SIDE = 64  # the smallest side of the input: two places of the coarser map
HEAD_STEPS = 1000  # optimisation steps of the head (BCCD: 40 epochs of its 410 photos and mirror images)
BATCH = 16  # photos (or mirror images) per step
WIDTH = 96  # channels of the head


def input_size(sizes: Counter) -> tuple[int, int]:
    """(width, height) the photos are read at: the most common shape, the long side at
    most LONG_SIDE, both sides rounded up to a multiple of 32."""
    width, height = sizes.most_common(1)[0][0] if sizes else (LONG_SIDE, LONG_SIDE)
    scale = min(1.0, LONG_SIDE / max(width, height))
    side = lambda v: min(1024, max(MIN_SIDE, 32 * math.ceil(v * scale / 32)))  # noqa: E731
    return side(width), side(height)


def choose(sizes: Counter, n_boxes: int, classes: list[str], settings) -> Recipe:
    """The recipe for photos of these sizes with n_boxes boxes of classes."""
    if settings.requested_model() not in ("auto", "transfer"):
        from ...errors import ConfigError

        raise ConfigError(
            f"--model {settings.requested_model()} is for classifying photos; a detector trains its "
            "own head on the pretrained network (drop --model and --fine-tune)."
        )
    width, height = input_size(sizes)
    encoder = BoxFeatureEncoder(width, height, settings.workers, settings.max_pixels, settings.cache)
    common = sizes.most_common(1)[0][0] if sizes else (width, height)
    why = (
        f"the photos are mostly {common[0]}x{common[1]} pixels: each is read at {width}x{height}, and a "
        "network pretrained on ImageNet (EfficientNet-Lite0, frozen) describes it once at two scales "
        "(every 16 and every 32 pixels)"
        + (
            ", and its mirror image too, so that the boxes move with the pixels; "
            if settings.augment
            else "; "
        )
        + f"only a small anchor-free head (as FCOS) learns from the {n_boxes:,} boxes of {len(classes)} "
        f"class{'es' * (len(classes) != 1)} where the objects are and what they are, which a CPU trains "
        "in minutes"
    )
    net = {"name": "fcos-head", "width": WIDTH, "dropout": min(settings.dropout, 0.3)}
    knobs = {"width": Knob("choice", choices=(64, 96, 128))}
    return Recipe(
        "boxes", why, encoder, None, net, lr_default=3e-3, batch_default=BATCH, steps=HEAD_STEPS,
        epoch_range=(10, 150), knobs=knobs,
    )  # fmt: skip
