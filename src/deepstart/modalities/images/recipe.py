"""Which model for which images: small ones (digits, icons) a CNN trained from scratch,
photos transfer learning from the pretrained network, or that network fine-tuned."""

from __future__ import annotations

from ...data.images import Pixels
from ...models import efficientnet, faces
from ...settings import ACTIVATIONS
from ...train.augment import PHOTOS, SMALL_IMAGES
from ..recipe import Knob, Recipe
from .encoders import SMALL_SIDE, FaceEncoder, FeatureEncoder, PixelEncoder, Survey

CNN_STEPS = 1200  # optimisation steps for a CNN from scratch; epochs follow from the data size
CNN_HIDDEN = 128  # units of the CNN's hidden classifier layer


def choose(survey: Survey, model: str, settings, seen: tuple[int, int] | None = None) -> Recipe:
    """Images: small ones get a CNN from scratch, photos the pretrained network."""
    width, height = survey.common_size
    small = survey.small
    if model == "auto":
        model = "cnn" if small else "transfer"
    workers, limit, cache = settings.workers, settings.max_pixels, settings.cache
    if model == "cnn":
        return _cnn(survey, settings)
    if model == "faces":
        return _faces(settings, seen)
    photo = f"the images are photos (mostly {width}x{height} pixels)"
    if model == "fine-tune":
        net = {"name": "fine-tune", "dropout": settings.dropout}
        why = (
            "--fine-tune was asked for: the network's later layers adapt to these images, at small "
            "learning rates"
        )
        augment = PHOTOS if settings.augment else None
        pixels = PixelEncoder(efficientnet.PIXELS, workers, limit, cache)
        probe = FeatureEncoder(workers, limit, cache)
        return Recipe("fine-tune", why, pixels, augment, net, probe, 3e-4, 32, epoch_range=(3, 3))
    net = {"name": "linear", "in_features": efficientnet.FEATURE_DIM, "dropout": settings.dropout}
    why = (
        f"{photo}, and a network pretrained on ImageNet already recognises what photos show, so only a "
        "classifier on its features is trained (transfer learning)"
        if not small
        else "--model transfer was asked for"
    )
    fine_tuned = {"fine_tune": Knob("choice", choices=(False, True))}  # tune may train the whole network
    return Recipe("transfer", why, FeatureEncoder(workers, limit, cache), None, net, knobs=fine_tuned)


def _faces(settings, seen: tuple[int, int] | None) -> Recipe:
    encoder = FaceEncoder(settings.workers, settings.max_pixels, settings.cache)
    net = {"name": "linear", "in_features": faces.FEATURE_DIM, "dropout": settings.dropout}
    read = f"most photos hold one face ({seen[0]} of {seen[1]} looked at)" if seen else "faces were asked for"
    why = (
        f"{read}: each face is found, aligned on its five landmarks and described by "
        "dlib's face network (trained on millions of faces, which ImageNet networks are not), and a "
        "linear layer learns from those descriptions"
    )
    return Recipe("faces", why, encoder, None, net)


def _cnn(survey: Survey, settings) -> Recipe:
    width, height = survey.common_size
    small = survey.small
    side = min(max(width, height, 16), SMALL_SIDE) if small else 32
    pixels = Pixels(side, survey.channels, crop=False)
    net = {
        "name": "cnn",
        "in_channels": pixels.channels,
        "size": side,
        "activation": settings.activation,
        "dropout": settings.dropout,
        "hidden": CNN_HIDDEN,
        "pool_first": True,
    }
    colour = "greyscale" if survey.channels == 1 else "colour"
    why = (
        f"the images are small ({width}x{height} pixels, {colour}): a network learns such images well "
        "from scratch"
        if small
        else "--model cnn was asked for"
    ) + _sizes_note(survey, side)
    augment = SMALL_IMAGES if settings.augment else None
    encoder = PixelEncoder(pixels, settings.workers, settings.max_pixels, settings.cache)
    # The last epoch sees the images as they are: on MNIST (3 epochs, three seeds) 99.33-99.42 %
    # test accuracy against 99.20-99.39 % augmenting to the end.
    knobs = {
        "activation": Knob("choice", choices=ACTIVATIONS[:3]),
        "augment": Knob("choice", choices=(True, False)),
    }
    # On an H200, MNIST: batch 128 x 3 epochs 99.43 % in 5.4 s of training; 1024 x 12 epochs
    # 99.56 % in 3.7-5.3 s; 1024 x 8, 99.39 % in 2.6 s; 512 x 4, 99.39 % in 1.8 s (bench/gpu.py).
    gpu = {"batch": 1024, "steps": 530}  # 10 epochs of MNIST
    return Recipe(
        "cnn",
        why,
        encoder,
        augment,
        net,
        steps=CNN_STEPS,
        epoch_range=(3, 200),
        clean_epochs=1,
        knobs=knobs,
        gpu=gpu,
    )


def _sizes_note(survey: Survey, side: int) -> str:
    if len(survey.sizes) > 1:
        return f"; they come in {len(survey.sizes)} sizes, all resized to {side}x{side}"
    if survey.common_size != (side, side):
        return f"; resized to {side}x{side}"
    return ""
