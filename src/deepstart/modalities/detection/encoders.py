"""Photos -> the pretrained network's feature maps at strides 16 and 32, computed once by
EfficientNet-Lite0 (frozen, ImageNet weights, in ONNX Runtime) and cached by content hash:
each photo scaled to fit the network's input (width x height, multiples of 32) without
changing its shape (the rest padded), and, for training, its mirror image too, so that
flipping augments the boxes with the pixels."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageOps

from ...cache import FeatureCache
from ...data.images import ImageProblem, open_image, too_large
from ...files import NotReadable, read_regular
from ...log import progress
from ...models import efficientnet
from ...models.runtime import FrozenNetwork
from ..recipe import Encoder

P4, P5 = 112, 320  # channels at stride 16 (the end of block 10) and stride 32 (block 15)
BATCH = 8  # photos per network call
PAD = 128  # the grey that fills what a photo does not cover (0 once normalised)
FIT = "scaled to fit width x height, its shape kept, placed top left, the rest grey (128)"


class Backbone(torch.nn.Module):
    """EfficientNet-Lite0 up to its last block: (B, 3, H, W) normalised pixels -> the maps
    at strides 16 and 32, flattened and joined, (B, 112 * H/16 * W/16 + 320 * H/32 * W/32)."""

    def __init__(self, network: torch.nn.Module):
        super().__init__()
        self.network = network

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = self.network
        x = n._swish(n._bn0(n._conv_stem(x)))
        for i, block in enumerate(n._blocks):
            x = block(x)
            if i == 10:
                p4 = x  # (B, 112, H/16, W/16)
        return torch.cat([p4.flatten(1), x.flatten(1)], 1)  # x: (B, 320, H/32, W/32)


def build_backbone() -> Backbone:
    return Backbone(efficientnet.build_classifier()).eval()


@dataclass
class Features:
    """The maps of the photos that could be read (half precision), each photo's size as
    shown, and why the others could not be."""

    x: np.ndarray  # (N, D) float16; with mirrors, (N, 2, D): the photo, then its mirror image
    sizes: np.ndarray  # (N, 2) width and height of each photo
    kept: list[int]
    hashes: list[str]
    skipped: list[tuple[str, str]]

    @property
    def features(self) -> np.ndarray:
        """The network's input (what export calibrates int8 on)."""
        return self.x


class BoxFeatureEncoder(Encoder):
    kind = "detection"
    name = "efficientnet_lite0_maps"
    layout = "vectors"
    use_cache = True

    def __init__(self, width: int, height: int, workers: int = 2, max_pixels: int = 50_000_000, cache=True):
        if width % 32 or height % 32 or not (64 <= width <= 1024 and 64 <= height <= 1024):
            raise ValueError("the network's input must be 64 to 1024 pixels a side, in multiples of 32")
        self.width, self.height, self.workers, self.max_pixels = width, height, workers, max_pixels
        self.use_cache = cache
        self._network: FrozenNetwork | None = None

    @property
    def grids(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """(rows, columns) of the maps at strides 16 and 32."""
        return (self.height // 16, self.width // 16), (self.height // 32, self.width // 32)

    @property
    def dim(self) -> int:
        (h4, w4), (h5, w5) = self.grids
        return P4 * h4 * w4 + P5 * h5 * w5

    def spec(self) -> dict:
        return {
            "kind": self.kind,
            "name": self.name,
            "width": self.width,
            "height": self.height,
            "package": efficientnet.PACKAGE,
            "weights_sha256": efficientnet.weights_sha256(),
            "normalize": "(x / 255 - 0.5) / 0.5",
            "fit": FIT,
        }

    @classmethod
    def from_spec(cls, spec: dict, settings) -> BoxFeatureEncoder:
        return cls(
            int(spec["width"]), int(spec["height"]), settings.workers, settings.max_pixels, settings.cache
        )

    def cache_key(self, mirrored: bool = False) -> str:
        weights = efficientnet.weights_sha256()[:16]
        return f"{self.name}-{weights}-{self.width}x{self.height}" + "-mirrored" * mirrored

    @property
    def network(self) -> FrozenNetwork:
        if self._network is None:
            example = torch.zeros(1, 3, self.height, self.width)
            self._network = FrozenNetwork(build_backbone, key=self.cache_key(), example=example)
        return self._network

    def scale(self, size) -> float:
        """How much a photo of size (width, height) is scaled to fit the network's input."""
        return min(self.width / size[0], self.height / size[1])

    def encode(self, items, desc: str = "Reading photos", new_data: bool = False, mirrors: bool = False):
        """Features of items (files or uploads' bytes); mirrors: each photo's mirror image too."""
        views = (False, True) if mirrors else (False,)
        caches = [FeatureCache(self.cache_key(m), enabled=self.use_cache) for m in views]
        try:
            with ThreadPoolExecutor(self.workers) as pool:
                read = list(pool.map(_hash, items))  # the bytes are read again for the photos computed
            hashes = [h for h, _ in read]
            known = [c.get([h for h in hashes if h]) for c in caches]
            todo = [i for i, h in enumerate(hashes) if h and not all(h in k for k in known)]
            computed, skipped = self._compute(items, read, todo, views, desc)
            for cache, m in zip(caches, range(len(views))):
                cache.put({hashes[i]: v[m] for i, v in computed.items()})
        finally:
            for cache in caches:
                cache.close()
        skipped += [(_name(items, i), data) for i, (h, data) in enumerate(read) if h is None]
        kept = [i for i, h in enumerate(hashes) if h and (i in computed or all(h in k for k in known))]
        rows = [computed[i] if i in computed else [k[hashes[i]] for k in known] for i in kept]
        return _features(rows, mirrors, self.dim, kept, [hashes[i] for i in kept], sorted(skipped))

    def _compute(self, items, read, todo: list[int], views, desc: str):
        """Each photo of todo through the network (and its mirror image): {i: [vector per view]}."""
        computed, skipped = {}, []
        with (
            ThreadPoolExecutor(self.workers) as pool,
            progress(total=len(todo), desc=desc, unit="img") as bar,
        ):
            for start in range(0, len(todo), BATCH):
                chunk = todo[start : start + BATCH]
                fitted = list(pool.map(lambda i: self._fit(items[i]), chunk))
                ready = [(i, f) for i, f in zip(chunk, fitted) if not isinstance(f, str)]
                skipped += [(_name(items, i), f) for i, f in zip(chunk, fitted) if isinstance(f, str)]
                if ready:
                    pixels = np.stack([p for _, (p, _) in ready])  # (B, H, W, 3)
                    maps = [
                        self.network(efficientnet.normalize(pixels[:, :, ::-1] if m else pixels))
                        for m in views
                    ]
                    for k, (i, (_, size)) in enumerate(ready):
                        computed[i] = [_packed(m[k], size) for m in maps]
                bar.update(len(chunk))
        return computed, skipped

    def _fit(self, item) -> tuple[np.ndarray, tuple[int, int]] | str:
        """(the photo scaled into the network's input, (H, W, 3) uint8; its size as shown),
        or why it cannot be used."""
        _, data = _read(item)
        if isinstance(data, str):
            return data
        try:
            return fit_photo(data, self.width, self.height, self.max_pixels)
        except ImageProblem as problem:
            return str(problem)


class PhotoPixels(BoxFeatureEncoder):
    """Photos -> (N, 3, height, width) uint8 pixels, scaled to fit as for the maps: what an
    exported detector's ONNX network reads (the backbone is part of it)."""

    name = "fitted_pixels"
    use_cache = False

    def spec(self) -> dict:
        return {"kind": self.kind, "name": self.name, "width": self.width, "height": self.height, "fit": FIT}

    def encode(self, items, desc: str = "Reading photos", new_data: bool = False, mirrors: bool = False):
        with ThreadPoolExecutor(self.workers) as pool:
            fitted = list(pool.map(self._fit, items))
            hashes = [h for h, _ in pool.map(_hash, items)]
        kept = [i for i, f in enumerate(fitted) if not isinstance(f, str)]
        skipped = sorted((_name(items, i), f) for i, f in enumerate(fitted) if isinstance(f, str))
        x = (
            np.stack([fitted[i][0] for i in kept])
            if kept
            else np.zeros((0, self.height, self.width, 3), np.uint8)
        )
        sizes = np.array([fitted[i][1] for i in kept], np.float32).reshape(-1, 2)
        return Features(
            np.ascontiguousarray(x.transpose(0, 3, 1, 2)), sizes, kept, [hashes[i] for i in kept], skipped
        )


def fit_photo(data: bytes, width: int, height: int, max_pixels: int) -> tuple[np.ndarray, tuple[int, int]]:
    """A photo's bytes -> ((height, width, 3) uint8: the photo scaled to fit, top left, the
    rest grey; (its width, its height) as shown). ImageProblem: why it cannot be used."""
    try:
        image = open_image(data)
        reason = too_large(*image.size, max_pixels)
        if reason is not None:
            raise ImageProblem(reason)
        image.draft("RGB", (width, height))  # a JPEG decoded at a smaller scale where it can be
        image = ImageOps.exif_transpose(image).convert("RGB")
        shown = _shown_size(image, data)
        s = min(width / shown[0], height / shown[1])
        fitted = image.resize(
            (max(1, round(shown[0] * s)), max(1, round(shown[1] * s))), Image.Resampling.BILINEAR
        )
        canvas = Image.new("RGB", (width, height), (PAD, PAD, PAD))
        canvas.paste(fitted, (0, 0))
        return np.asarray(canvas), shown
    except ImageProblem:
        raise
    except Exception as e:  # noqa: BLE001 - any decoding failure is one reason in words
        raise ImageProblem(
            "not an image file" if "identify" in str(e) else f"unreadable image ({str(e)[:80]})"
        ) from None


def _shown_size(image: Image.Image, data: bytes) -> tuple[int, int]:
    """The photo's full size as shown: draft() may have decoded it at a smaller scale."""
    full = open_image(data)
    width, height = full.size
    turned = full.getexif().get(0x0112) in (5, 6, 7, 8)
    return (height, width) if turned else (width, height)


def _packed(maps: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """One cache entry: the photo's width and height, then its maps in half precision,
    two to a float32 word (the cache keeps float32)."""
    half = maps.astype(np.float16)
    if len(half) % 2:
        half = np.append(half, np.float16(0))
    return np.concatenate([np.array(size, np.float32), half.view(np.float32)])


def _unpacked(entry: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    return entry[:2], entry[2:].view(np.float16)[:dim]


def _features(rows: list, mirrors: bool, dim: int, kept, hashes, skipped) -> Features:
    x = np.zeros((len(rows), len(rows[0]) if rows else 1, dim), np.float16)
    sizes = np.zeros((len(rows), 2), np.float32)
    for i, views in enumerate(rows):
        for m, entry in enumerate(views):
            sizes[i], x[i, m] = _unpacked(entry, dim)
    return Features(x if mirrors else x[:, 0], sizes, kept, hashes, skipped)


def _read(item) -> tuple[str | None, bytes | str]:
    """(content hash, bytes), or (None, why it cannot be read)."""
    try:
        data = item if isinstance(item, bytes) else read_regular(item)
    except NotReadable as e:
        return None, str(e)
    except OSError:
        return None, "cannot be read"
    return hashlib.sha256(data).hexdigest(), data


def _hash(item) -> tuple[str | None, str | None]:
    """(content hash, None), or (None, why it cannot be read)."""
    digest, data = _read(item)
    return (digest, None) if digest else (None, data)


def _name(items, i: int) -> str:
    return f"upload {i + 1}" if isinstance(items[i], bytes) else str(items[i])
