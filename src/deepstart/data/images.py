"""Reading images safely: any mode, EXIF rotation, size limits, one fixed-size input."""

from __future__ import annotations

import io
import threading
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import DataError

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
CROP_FRACTION = 0.875  # centre crop as in EfficientNet's evaluation: 224 of 256
GREY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}


class ImageProblem(Exception):
    """One image cannot be used; the message says why in a few words."""


def is_hidden(path: Path) -> bool:
    return path.name.startswith(".") or path.name in {"Thumbs.db", "desktop.ini"}


@dataclass(frozen=True)
class Pixels:
    """How any image becomes a network input: size x size, 1 (grey) or 3 (RGB) channels;
    crop=True takes the centre (photos), crop=False resizes the whole image (digits)."""

    size: int
    channels: int = 3
    crop: bool = True

    def to_dict(self) -> dict:
        return asdict(self)


def decode(data: bytes | np.ndarray, pixels: Pixels, max_pixels: int) -> np.ndarray:
    """Image bytes (or an array from the Python API) -> (size, size, channels) uint8.

    Raises ImageProblem for anything that is not a usable image; one whose header declares
    more pixels than the limit (too_large) is refused before any pixel is decoded.
    """
    try:
        image = open_image(data)
        reason = too_large(*image.size, max_pixels)
        if reason is not None:
            raise ImageProblem(reason)
        with warnings.catch_warnings():  # a frame or tile larger than the image says (GIF, TIFF)
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            if pixels.crop:
                image.draft("RGB", (pixels.size * 8 // 7, pixels.size * 8 // 7))  # fast JPEG downscale
            image = _convert(ImageOps.exif_transpose(image), "L" if pixels.channels == 1 else "RGB")
            return np.asarray(_resize(image, pixels)).reshape(pixels.size, pixels.size, pixels.channels)
    except ImageProblem:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageProblem(_short_reason(e)) from None
    except (OSError, SyntaxError, ValueError, TypeError, EOFError, MemoryError) as e:
        raise ImageProblem(_short_reason(e)) from None


def probe(data: bytes | np.ndarray) -> tuple[int, int, bool] | None:
    """(width, height, is_grey) from the header alone, however large (a decompression bomb
    included: compare with too_large); None if it is not an image."""
    try:
        image = open_image(data)
    except (UnidentifiedImageError, OSError, ValueError, TypeError, SyntaxError, ImageProblem):
        return None
    return image.size[0], image.size[1], image.mode in GREY_MODES


_LIFTING = threading.Lock()  # Image.MAX_IMAGE_PIXELS is one global: lifted for one header at a time


def open_image(data: bytes | np.ndarray) -> Image.Image:
    """The image with only its header read, whatever size it declares. Pillow refuses to
    open an image above twice its own limit (DecompressionBombError), which would hide the
    size; callers compare the size with too_large before decoding anything."""
    if isinstance(data, np.ndarray):
        return from_array(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # too_large decides
            return Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        with _LIFTING:  # only the header is read while the limit is lifted
            limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
            try:
                return Image.open(io.BytesIO(data))
            finally:
                Image.MAX_IMAGE_PIXELS = limit


def too_large(width: int, height: int, max_pixels: int) -> str | None:
    """Why an image of this size is refused ("too large (WxH pixels, limit N)"), or None:
    above max_pixels, or above Pillow's own limit where that is lower."""
    with _LIFTING:
        pillow = Image.MAX_IMAGE_PIXELS
    limit = min(max_pixels, pillow) if pillow else max_pixels
    if width * height <= limit:
        return None
    return f"too large ({width}x{height} pixels, limit {limit:,})"


def from_array(array: np.ndarray) -> Image.Image:
    """(H, W) or (H, W, 1|3|4) uint8 (as check_image_array makes it) -> PIL image."""
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if (
        array.dtype != np.uint8
        or array.ndim not in (2, 3)
        or (array.ndim == 3 and array.shape[2] not in (3, 4))
    ):
        raise ImageProblem(f"an array of shape {array.shape} and type {array.dtype} is not an image")
    return Image.fromarray(np.ascontiguousarray(array))


def _short_reason(error: Exception) -> str:
    text = str(error)
    if isinstance(error, UnidentifiedImageError) or "cannot identify" in text:
        return "not an image file"
    if "truncated" in text.lower() or isinstance(error, EOFError):
        return "truncated image"
    if isinstance(error, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        return "too large (a decompression bomb?)"
    return "unreadable image (" + text.split("\n")[0][:80] + ")"


def _convert(image: Image.Image, mode: str) -> Image.Image:
    """Any PIL mode to 8-bit "L" (grey) or "RGB"; transparent areas become white."""
    if image.mode == mode:
        return image
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        pixels = np.asarray(image, dtype=np.float64)
        peak = pixels.max(initial=0)
        if image.mode == "F":
            scale = 255.0 if peak <= 1.0 else 1.0
        else:
            scale = 255.0 / 65535.0 if peak > 255 or image.mode != "I" else 1.0
        grey = Image.fromarray(np.clip(pixels * scale, 0, 255).astype(np.uint8), "L")
        return grey.convert(mode)
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert(mode)
    return image.convert(mode)


def _resize(image: Image.Image, pixels: Pixels) -> Image.Image:
    """Photos: shorter side to size / CROP_FRACTION, then the centre square.
    Small images: the whole image to size x size."""
    width, height = image.size
    box = None
    if pixels.crop:
        side = min(width, height) * CROP_FRACTION
        left, top = (width - side) / 2, (height - side) / 2
        box = (left, top, left + side, top + side)
    if box is None and (width, height) == (pixels.size, pixels.size):
        return image
    return image.resize((pixels.size, pixels.size), Image.Resampling.BILINEAR, box=box)


def list_image_files(folder: Path) -> list[Path]:
    """Every non-hidden file below folder, sorted (non-images are caught when decoded)."""
    return sorted(
        p
        for p in folder.rglob("*")
        if (p.is_file() or p.is_symlink())  # a broken link is listed, then skipped with its reason
        and not any(is_hidden(Path(part)) for part in p.relative_to(folder).parts)
    )


def files_named(inputs: list, noun: str, expand=None) -> list[Path]:
    """The files named, and every file below the folders named (list_image_files);
    expand(path), when given, turns a file into others (a table that lists them). Refused
    in one line: a path that is not there, or not a regular file (a device, a pipe)."""
    items: list[Path] = []
    for value in inputs:
        path = Path(value)
        if path.is_dir():
            items += list_image_files(path)
        elif path.is_file():
            items += expand(path) if expand is not None else [path]
        elif path.exists():  # a device, a pipe, a socket (or a link to one): never read
            raise DataError(f"{path} is not a regular file; give {noun} or folders of them.")
        else:
            raise DataError(f"{path} does not exist; give {noun} or folders of them.")
    return items


def looks_like_image_path(value: str) -> bool:
    return Path(value).suffix.lower() in IMAGE_EXTENSIONS


def image_column(table) -> str | None:
    """The column of a table (cells as strings) whose values are nearly all image file names."""
    return file_column(table, IMAGE_EXTENSIONS)


def file_column(table, suffixes) -> str | None:
    """The column of a table (cells as strings) whose values are nearly all names of files
    ending in one of suffixes (".wav", ...)."""
    for column in table.columns:
        values = [v for v in table[column].head(200) if v.strip()]
        if values and sum(Path(v.strip()).suffix.lower() in suffixes for v in values) >= 0.9 * len(values):
            return column
    return None


def check_image_array(x) -> np.ndarray:
    """Images as one uint8 array (N, H, W[, C]); refuse what cannot be images, saying
    what was received. Floats must be in [0, 1] or [0, 255] (decided for the whole
    array, not image by image); 16-bit integers are scaled down."""
    try:
        x = np.asarray(x)
    except ValueError:
        raise DataError(
            "The images have different sizes; give them as a folder, or resize them first."
        ) from None
    if x.ndim not in (3, 4) or (x.ndim == 4 and x.shape[3] not in (1, 3, 4)):
        raise DataError(
            f"Expected images as an array of shape (N, H, W) or (N, H, W, C) with C = 1, 3 or 4. "
            f"Received shape {x.shape}."
        )
    if x.dtype.kind not in "uif" or x.size == 0:
        raise DataError(
            f"Expected numbers (uint8 0-255, or floats 0-1) in the image array. Received: {x.dtype}."
        )
    if x.dtype == np.uint8:
        return x
    if not np.isfinite(x).all():
        raise DataError("The image array holds NaN or infinite values; replace them before training.")
    low, high = float(x.min()), float(x.max())
    if x.dtype.kind == "u" and x.dtype.itemsize == 2:
        return (x // 257).astype(np.uint8)
    if low < 0 or high > 255:
        raise DataError(
            f"Expected pixel values in [0, 1] or [0, 255]. Received values from {low:.3g} to {high:.3g}; "
            "undo any standardisation first."
        )
    scale = 255.0 if x.dtype.kind == "f" and high <= 1.0 else 1.0
    return np.rint(x * scale).astype(np.uint8)
