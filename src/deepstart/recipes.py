"""Which model to train on which data, and how: the recipe says what encodes the
inputs, which network learns, with which augmentation, for how long, and why.
Images: a CNN from scratch (small ones), transfer learning, or fine-tuning. Texts:
transfer learning on sentence embeddings, or fine-tuning the transformer."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .data.images import Pixels
from .data.sources import Examples
from .encoders import SMALL_SIDE, FeatureEncoder, PixelEncoder, Survey, survey
from .errors import ConfigError
from .models import efficientnet, minilm
from .sequences import SequenceEncoder
from .tabular import TableEncoder
from .text_encoders import TextEncoder, TokenEncoder
from .train.augment import PHOTOS, SMALL_IMAGES, RandomAffine

CNN_STEPS = 1200  # optimisation steps for a CNN from scratch; epochs follow from the data size
HEAD_STEPS = 4000  # at most this many steps for a classifier on frozen features (at most 200 epochs)


@dataclass
class Recipe:
    name: str  # "transfer" | "cnn" | "fine-tune" | "mlp"
    reason: str  # for the summary: why this model for this data
    encoder: PixelEncoder | TokenEncoder | TableEncoder
    augment: RandomAffine | None = None
    net: dict = field(default_factory=dict)  # the network's manifest entry, without n_classes
    probe: FeatureEncoder | TextEncoder | None = None  # fine-tuning: features for its first classifier

    def net_spec(self, n_classes: int) -> dict:
        """The network's manifest entry; for tables, once the encoder has learned the columns."""
        spec = {**self.net, "n_classes": n_classes}
        if self.name == "mlp":
            spec |= {"n_numeric": self.encoder.n_numeric, "cardinalities": self.encoder.cardinalities}
        return spec

    def epochs(self, settings, n_train: int) -> int:
        if settings.epochs is not None:
            return settings.epochs
        steps = math.ceil(n_train / self.batch_size(settings))  # per epoch
        if self.name == "cnn":  # a fixed number of steps, at least 3 passes over the data
            return min(200, max(3, round(CNN_STEPS / steps)))
        if self.name == "fine-tune":
            return 2 if self.encoder.kind == "text" else 3
        return head_epochs(n_train, self.batch_size(settings))

    def batch_size(self, settings) -> int:
        """--batch-size, else 128, or 32 when fine-tuning (a 224x224 network's activations are large)."""
        if settings.batch_size is not None:
            return settings.batch_size
        return 32 if self.name == "fine-tune" else 128

    def lr(self, settings) -> float:
        """Peak learning rate: --lr, else 3e-3; when fine-tuning, 3e-4 (images) or 1e-4
        (texts) for the head and the top layers."""
        if settings.lr is not None:
            return settings.lr
        if self.name == "fine-tune":
            return 1e-4 if self.encoder.kind == "text" else 3e-4
        return 3e-3

    def describe(self) -> dict:
        return {
            "name": self.name,
            "reason": self.reason,
            "augmentation": self.augment.to_dict() if self.augment else None,
        }


def head_epochs(n_train: int, batch_size: int) -> int:
    """Epochs for a classifier on frozen features: HEAD_STEPS steps, 10 to 200 epochs."""
    return min(200, max(10, round(HEAD_STEPS / math.ceil(n_train / batch_size))))


def choose(examples: Examples, settings) -> Recipe:
    """The model for the data: see choose_for_images and choose_for_texts."""
    model = "fine-tune" if settings.fine_tune else settings.model
    if settings.fine_tune and settings.model not in ("auto", "fine-tune"):
        raise ConfigError(f"--fine-tune cannot be combined with --model {settings.model}; drop one of them.")
    if examples.kind == "text":
        return choose_for_texts(model, settings)
    if examples.kind == "table":
        return choose_for_tables(examples, model, settings)
    if examples.kind == "sequence":
        return choose_for_sequences(examples, model, settings)
    return choose_for_images(survey(examples.items), model, settings)


def choose_for_texts(model: str, settings) -> Recipe:
    """Texts: a classifier on pretrained sentence embeddings, or the transformer fine-tuned."""
    if model == "cnn":
        raise ConfigError("--model cnn is for images; for texts use transfer or fine-tune.")
    if model == "fine-tune":
        why = (
            f"--fine-tune was asked for: the pretrained language model ({minilm.NAME}) itself adapts to "
            "these texts, at small learning rates"
        )
        net = {"name": "text-fine-tune", "dropout": settings.dropout}
        return Recipe("fine-tune", why, TokenEncoder(settings.cache), None, net, TextEncoder(settings.cache))
    why = (
        f"a language model pretrained on a billion sentence pairs ({minilm.NAME}) already places texts of "
        "similar meaning close together, so only a classifier on its sentence embeddings is trained "
        "(transfer learning)"
    )
    net = {"name": "linear", "in_features": minilm.DIM, "dropout": settings.dropout}
    return Recipe("transfer", why, TextEncoder(settings.cache), None, net)


def choose_for_tables(examples: Examples, model: str, settings) -> Recipe:
    """Tables: a multilayer perceptron with an embedding per categorical column; the
    classical models trained beside it decide, on validation, which is kept."""
    if model != "auto":
        raise ConfigError(f"--model {model} is for images and texts; tables get an MLP (drop --model).")
    why = (
        "the data is a table: a multilayer perceptron learns from its standardised numbers (and a learned "
        "embedding per category), and gradient boosting, a decision tree and a linear model train beside "
        "it on the same split"
    )
    net = {"name": "mlp", "activation": settings.activation, "dropout": settings.dropout}
    return Recipe("mlp", why, TableEncoder(origin=examples.origin), None, net)


def choose_for_sequences(examples: Examples, model: str, settings) -> Recipe:
    """Sequences of numbers: a 1-D CNN, beside classical models on the flattened steps."""
    if model != "auto":
        raise ConfigError(f"--model {model} is for images and texts; sequences get a 1-D CNN (drop --model).")
    _, channels, length = examples.items.shape
    steps = (examples.columns or {}).get("steps")
    why = (
        f"each example is a sequence ({channels} channel{'s' * (channels > 1)} x {length} steps): "
        "convolutions find the same shape wherever it occurs in a sequence"
    )
    net = {"name": "sequence-cnn", "channels": channels, "dropout": settings.dropout}
    return Recipe("sequence-cnn", why, SequenceEncoder(channels, length, steps), None, net)


def choose_for_images(survey: Survey, model: str, settings) -> Recipe:
    """Images: small ones get a CNN from scratch, photos the pretrained network."""
    width, height = survey.common_size
    small = survey.small
    if model == "auto":
        model = "cnn" if small else "transfer"
    workers, limit, cache = settings.workers, settings.max_pixels, settings.cache
    colour = "greyscale" if survey.channels == 1 else "colour"
    if model == "cnn":
        side = min(max(width, height, 16), SMALL_SIDE) if small else 32
        pixels = Pixels(side, survey.channels, crop=False)
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
        pixels = PixelEncoder(efficientnet.PIXELS, workers, limit, cache)
        return Recipe("fine-tune", why, pixels, augment, net, FeatureEncoder(workers, limit, cache))
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
