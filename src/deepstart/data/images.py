"""Reading photos safely: any mode, EXIF rotation, size limits, one fixed-size crop."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
CROP_FRACTION = 0.875  # centre crop as in EfficientNet's evaluation: 224 of 256


class ImageProblem(Exception):
    """One image cannot be used; the message says why in a few words."""


def is_hidden(path: Path) -> bool:
    return path.name.startswith(".") or path.name in {"Thumbs.db", "desktop.ini"}


def decode(data: bytes, size: int, max_pixels: int) -> np.ndarray:
    """Decode image bytes into a (size, size, 3) uint8 RGB centre crop.

    Raises ImageProblem for anything that is not a usable image.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > max_pixels:
                raise ImageProblem(
                    f"too large ({width}x{height} pixels, limit {max_pixels:,}; a decompression bomb?)"
                )
            image.draft("RGB", (size * 8 // 7, size * 8 // 7))  # fast JPEG downscale
            image = ImageOps.exif_transpose(image)
            return np.asarray(_crop(_to_rgb(image), size))
    except ImageProblem:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageProblem(_short_reason(e)) from None
    except (OSError, SyntaxError, ValueError, TypeError, EOFError, MemoryError) as e:
        raise ImageProblem(_short_reason(e)) from None


def _short_reason(error: Exception) -> str:
    text = str(error)
    if isinstance(error, UnidentifiedImageError) or "cannot identify" in text:
        return "not an image file"
    if "truncated" in text or isinstance(error, EOFError):
        return "truncated image"
    if isinstance(error, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        return "too many pixels (a decompression bomb?)"
    return "unreadable image (" + text.split("\n")[0][:80] + ")"


def _to_rgb(image: Image.Image) -> Image.Image:
    """Any PIL mode to 8-bit RGB; transparent areas become white."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        pixels = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if pixels.max(initial=0) > 255 or image.mode != "I" else 255.0
        gray = np.clip(pixels / peak * 255.0, 0, 255).astype(np.uint8)
        return Image.fromarray(gray, "L").convert("RGB")
    if image.mode == "F":
        pixels = np.asarray(image, dtype=np.float64)
        scale = 255.0 if pixels.max(initial=0) <= 1.0 else 1.0
        return Image.fromarray(np.clip(pixels * scale, 0, 255).astype(np.uint8), "L").convert("RGB")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def _crop(image: Image.Image, size: int) -> Image.Image:
    """Resize so the shorter side is size / CROP_FRACTION, then take the centre square."""
    width, height = image.size
    side = min(width, height) * CROP_FRACTION
    left, top = (width - side) / 2, (height - side) / 2
    box = (left, top, left + side, top + side)
    return image.resize((size, size), Image.Resampling.BILINEAR, box=box)


def list_image_files(folder: Path) -> list[Path]:
    """Every non-hidden file below folder, sorted (non-images are caught when decoded)."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(is_hidden(Path(part)) for part in p.relative_to(folder).parts)
    )


def looks_like_image_path(value: str) -> bool:
    return Path(value).suffix.lower() in IMAGE_EXTENSIONS
