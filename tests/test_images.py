"""Decoding photos: every common mode becomes RGB, EXIF rotation is applied, and
files that are not usable images are refused with a short reason."""

import io

import numpy as np
import pytest
from PIL import Image

from deepstart.data.images import ImageProblem, Pixels, decode

from conftest import image_bytes

SIZE = 32
PIXELS = Pixels(SIZE)


@pytest.mark.parametrize(
    "mode,fmt",
    [
        ("RGB", "JPEG"),
        ("L", "PNG"),
        ("CMYK", "JPEG"),
        ("RGBA", "PNG"),
        ("P", "PNG"),
        ("LA", "PNG"),
        ("1", "PNG"),
        ("I;16", "PNG"),
        ("RGB", "WEBP"),
        ("RGB", "BMP"),
    ],
)
def test_every_common_mode_becomes_rgb(mode, fmt):
    pixels = decode(image_bytes(mode, fmt=fmt), PIXELS, 10**6)
    assert pixels.shape == (SIZE, SIZE, 3) and pixels.dtype == np.uint8


def test_sixteen_bit_image_keeps_its_range():
    ramp = (np.linspace(0, 65535, 64 * 64).reshape(64, 64)).astype(np.uint16)
    buffer = io.BytesIO()
    Image.fromarray(ramp).save(buffer, "PNG")
    pixels = decode(buffer.getvalue(), PIXELS, 10**6)
    assert pixels.min() < 30 and pixels.max() > 225  # scaled to 8 bits, not clipped to white


def test_transparent_area_becomes_white():
    rgba = np.zeros((40, 40, 4), np.uint8)  # fully transparent black
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, "PNG")
    assert decode(buffer.getvalue(), PIXELS, 10**6).min() == 255


def test_exif_rotation_is_applied():
    # Left half black, right half white; EXIF orientation 6 says "rotate 90 degrees clockwise".
    array = np.zeros((60, 80, 3), np.uint8)
    array[:, 40:] = 255
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "JPEG", exif=exif, quality=95)
    pixels = decode(buffer.getvalue(), PIXELS, 10**6).mean(axis=2)
    top, bottom = pixels[: SIZE // 4].mean(), pixels[-SIZE // 4 :].mean()
    assert top < 60 and bottom > 190  # black moved to the top, white to the bottom


def test_decompression_bomb_is_refused():
    big = image_bytes("L", size=(3000, 3000))  # 9 megapixels, compresses to little
    with pytest.raises(ImageProblem, match="too large"):
        decode(big, PIXELS, max_pixels=1_000_000)


def test_truncated_image_is_refused():
    data = image_bytes("RGB", size=(200, 200), fmt="JPEG")
    with pytest.raises(ImageProblem, match="truncated|unreadable"):
        decode(data[: len(data) // 2], PIXELS, 10**6)


@pytest.mark.parametrize("data", [b"", b"hello, I am a text file\n", b"\x89PNG\r\n\x1a\n garbage"])
def test_non_image_bytes_are_refused(data):
    with pytest.raises(ImageProblem):
        decode(data, PIXELS, 10**6)
