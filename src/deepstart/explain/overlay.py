"""How every heatmap is drawn: the map in [0, 1] in the jet colour map (red: mattered most,
blue: little), laid over a picture of the input at 45 % (a photo, a spectrogram)."""

from __future__ import annotations

import numpy as np
from PIL import Image

ALPHA = 0.45  # how much of the colours shows over the picture


def heat_colours(heat: np.ndarray) -> np.ndarray:
    """(H, W) values in [0, 1] -> (H, W, 3) uint8 colours of the jet map."""
    from matplotlib import colormaps

    return (colormaps["jet"](np.clip(heat, 0, 1))[..., :3] * 255).astype(np.uint8)


def overlay(picture: Image.Image, heat: np.ndarray) -> Image.Image:
    """The picture (RGB) with the heatmap, at the picture's size, laid over it."""
    return Image.blend(picture.convert("RGB"), Image.fromarray(heat_colours(heat)), alpha=ALPHA)
