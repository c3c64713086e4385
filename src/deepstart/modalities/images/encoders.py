"""Image encoders, batched and in parallel: pixels for networks that learn from pixels,
frozen pretrained features (cached by content hash) for transfer learning; and a survey
of the images' sizes and colours, from their headers."""

from __future__ import annotations

import hashlib
import multiprocessing
from collections import Counter, deque
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import torch

from ...cache import FeatureCache
from ...data.examples import Encoded
from ...data.images import ImageProblem, Pixels, decode, probe
from ...files import NotReadable, read_regular
from ...log import progress, say
from ...models import efficientnet, faces
from ...models.runtime import FrozenNetwork
from ..recipe import Encoder

SMALL_SIDE = 64  # images this small (or smaller) are learned from scratch
FACE_SIDE = 320  # pixels a side a photo of a face is read at (the middle square), for dlib's detector
BATCH = 32  # images per network call (on a CPU; GPU_BATCH on a GPU, whose calls cost more to make)
GPU_BATCH = 256
CHUNK = 256  # inputs per worker task at most: few tasks, so scheduling costs little ...
PROCESS_MIN = 4096  # inputs from which decoding runs in worker processes


@dataclass
class Survey:
    """What a sample of the images looks like, read from their headers."""

    sizes: Counter  # (width, height) -> count
    grey: float  # fraction of greyscale images

    @property
    def common_size(self) -> tuple[int, int]:
        return self.sizes.most_common(1)[0][0] if self.sizes else (0, 0)

    @property
    def small(self) -> bool:
        """Small images (digits, icons): learned from scratch, whole, not cropped."""
        return 0 < max(self.common_size) <= SMALL_SIDE

    @property
    def channels(self) -> int:
        return 1 if self.grey >= 0.9 else 3


def survey(items, sample: int = 500) -> Survey:
    """Sizes and colour of up to `sample` evenly spread images (headers only)."""
    picks = np.unique(np.linspace(0, len(items) - 1, min(sample, len(items))).astype(int))
    sizes, grey, n = Counter(), 0, 0
    for i in picks:
        try:
            found = probe(_read(items[int(i)]))
        except OSError:
            found = None
        if found is not None:
            sizes[found[:2]] += 1
            grey += found[2]
            n += 1
    return Survey(sizes, grey / max(n, 1))


class PixelEncoder(Encoder):
    """Images -> (N, C, H, W) uint8 pixels, for networks that learn from pixels."""

    kind = "image"
    name = "pixels"
    layout = "images"
    cached = False

    def __init__(self, pixels: Pixels, workers: int = 2, max_pixels: int = 50_000_000, cache: bool = True):
        self.pixels, self.workers, self.max_pixels = pixels, workers, max_pixels
        self.use_cache = cache and self.cached

    def spec(self) -> dict:
        """What the manifest records, so that loading rebuilds the same encoder."""
        return {"kind": self.kind, "name": self.name, **self.pixels.to_dict()}

    @classmethod
    def from_spec(cls, spec: dict, settings) -> PixelEncoder:
        pixels = Pixels(int(spec["size"]), int(spec["channels"]), bool(spec["crop"]))
        return cls(pixels, settings.workers, settings.max_pixels, settings.cache)

    def transform(self, batch: np.ndarray) -> np.ndarray:
        return batch.transpose(0, 3, 1, 2)  # (B, H, W, C) -> (B, C, H, W)

    def cache_key(self) -> str:
        return f"{self.name}-{self.pixels.size}-{self.pixels.channels}-{self.pixels.crop}"

    def encode(self, items, desc: str = "Reading images", new_data: bool = False) -> Encoded:
        hashes: list[str | None] = [None] * len(items)
        with _pool(self.workers, len(items)) as pool:
            cache = FeatureCache(self.cache_key(), enabled=self.use_cache)
            try:
                known: dict[str, np.ndarray] = {}
                if cache.enabled:  # hash first, so that cached inputs are not decoded at all
                    size = chunk_size(len(items), self.workers)
                    parts = pool.map(_hash_chunk, [items[s : s + size] for s in range(0, len(items), size)])
                    hashes = [h for part in parts for h in part]
                    known = cache.get([h for h in hashes if h is not None])
                todo = [
                    i for i, h in enumerate(hashes) if h not in known and not (cache.enabled and h is None)
                ]
                computed, skipped = self._compute(pool, items, todo, hashes, desc) if todo else ({}, [])
                cache.put({hashes[i]: v for i, v in computed.items()})
            finally:
                cache.close()
        skipped += [
            (_name(items, i), "cannot be read") for i, h in enumerate(hashes) if h is None and cache.enabled
        ]
        kept = [i for i, h in enumerate(hashes) if h in known or i in computed]
        arrays = [known[hashes[i]] if hashes[i] in known else computed[i] for i in kept]
        stacked = np.stack(arrays) if arrays else np.zeros((0, *self.out_shape()), np.float32)
        return Encoded(stacked, kept, [hashes[i] for i in kept], sorted(skipped))

    def out_shape(self) -> tuple[int, ...]:
        return (self.pixels.channels, self.pixels.size, self.pixels.size)

    def transform_some(self, items, indices: list[int], batch: np.ndarray) -> np.ndarray:
        """transform() of the batch of these items (whose names an encoder may note)."""
        return self.transform(batch)

    def prepare(self) -> None:
        """Make ready what transform needs (a network), before the first batch asks."""

    def _compute(self, pool, items, todo: list[int], hashes: list, desc: str):
        """Read, hash and decode chunks in threads, a few chunks ahead of the transform
        (the network), which runs on batches of BATCH. Fills in hashes as it goes."""
        computed: dict[int, np.ndarray] = {}
        skipped: list[tuple[str, str]] = []
        size = chunk_size(len(todo), self.workers)
        chunks = iter([todo[s : s + size] for s in range(0, len(todo), size)])
        pending: deque = deque()
        ready: list[tuple[int, np.ndarray]] = []

        def refill():
            while len(pending) <= self.workers and (idx := next(chunks, None)) is not None:
                pending.append(
                    (idx, pool.submit(_load_chunk, [items[i] for i in idx], self.pixels, self.max_pixels))
                )

        refill()
        self.prepare()  # while the first chunks decode
        with progress(total=len(todo), desc=desc, unit="img") as bar:
            while pending:
                idx, future = pending.popleft()
                refill()
                for i, (digest, result) in zip(idx, future.result()):
                    hashes[i] = digest
                    if isinstance(result, str):
                        skipped.append((_name(items, i), result))
                    else:
                        ready.append((i, result))
                size = GPU_BATCH if torch.cuda.is_available() else BATCH
                while len(ready) >= size or (ready and not pending):
                    batch, ready = ready[:size], ready[size:]
                    indices = [i for i, _ in batch]
                    computed.update(
                        zip(indices, self.transform_some(items, indices, np.stack([a for _, a in batch])))
                    )
                bar.update(len(idx))
        return computed, skipped


class FeatureEncoder(PixelEncoder):
    """Photos -> 1280-d EfficientNet-Lite0 ImageNet features (global average pool),
    computed by a frozen network in ONNX Runtime and cached by content hash."""

    name = efficientnet.NAME
    layout = "vectors"
    cached = True

    def __init__(self, workers: int = 2, max_pixels: int = 50_000_000, cache: bool = True):
        super().__init__(efficientnet.PIXELS, workers, max_pixels, cache)
        self._network: FrozenNetwork | None = None

    @classmethod
    def from_spec(cls, spec: dict, settings) -> FeatureEncoder:
        return cls(settings.workers, settings.max_pixels, settings.cache)

    def spec(self) -> dict:
        return {
            **super().spec(),
            "package": efficientnet.PACKAGE,
            "weights_sha256": efficientnet.weights_sha256(),
            "normalize": "(x / 255 - 0.5) / 0.5",
            "feature_dim": efficientnet.FEATURE_DIM,
        }

    def out_shape(self) -> tuple[int, ...]:
        return (efficientnet.FEATURE_DIM,)

    def cache_key(self) -> str:
        return f"{efficientnet.NAME}-{efficientnet.weights_sha256()[:16]}"

    @property
    def network(self) -> FrozenNetwork:
        if self._network is None:
            size = efficientnet.INPUT_SIZE
            self._network = FrozenNetwork(
                efficientnet.build_features, key=self.cache_key(), example=torch.zeros(1, 3, size, size)
            )
        return self._network

    def prepare(self) -> None:
        """The network's session, and on a machine's first run its ONNX export (1-2 s on
        one core), made while the first photos decode."""
        self.network  # noqa: B018 - made on first use

    def transform(self, batch: np.ndarray) -> np.ndarray:
        return self.network(efficientnet.normalize(batch))

    def features_of(self, pixels: torch.Tensor) -> torch.Tensor:
        """Features of (N, 3, 224, 224) uint8 pixels, as a fine-tuned network starts from."""
        hwc = pixels.numpy().transpose(0, 2, 3, 1)  # the transform's input layout, (N, H, W, 3)
        with progress(
            total=-(-len(pixels) // 64), desc="Features for the first classifier", unit="batch"
        ) as bar:
            parts = []
            for s in range(0, len(pixels), 64):
                parts.append(self.transform(hwc[s : s + 64]))
                bar.update(1)
        return torch.from_numpy(np.concatenate(parts))


def faces_seen(items, sample: int = 20) -> tuple[int, int]:
    """(photos holding exactly one face, photos looked at) among up to `sample` evenly spread."""
    picks = np.unique(np.linspace(0, len(items) - 1, min(sample, len(items))).astype(int))
    photos = [
        p for _, p in _load_chunk([items[int(i)] for i in picks], Pixels(FACE_SIDE, 3, crop=True), 50_000_000)
    ]
    photos = [p for p in photos if not isinstance(p, str)]
    network = faces.FaceNetwork()
    return sum(network.count(p) == 1 for p in photos), len(photos)


class FaceEncoder(PixelEncoder):
    """Photos of faces -> 128 numbers per face: each face found, aligned on its five
    landmarks and described by dlib's face ResNet (models/faces.py); cached by content
    hash. Photos where no face is found are described from their middle, and counted."""

    name = faces.NAME
    layout = "vectors"
    cached = True

    def __init__(self, workers: int = 2, max_pixels: int = 50_000_000, cache: bool = True):
        super().__init__(Pixels(FACE_SIDE, 3, crop=True), workers, max_pixels, cache)
        self._network = None
        self.without_face: list[str] = []  # the photos where no face was found, in the last encode

    @classmethod
    def from_spec(cls, spec: dict, settings) -> FaceEncoder:
        return cls(settings.workers, settings.max_pixels, settings.cache)

    def spec(self) -> dict:
        return {
            **super().spec(),
            "package": faces.PACKAGE,
            "weights_sha256": faces.weights_sha256(),
            "feature_dim": faces.FEATURE_DIM,
        }

    def out_shape(self) -> tuple[int, ...]:
        return (faces.FEATURE_DIM,)

    def cache_key(self) -> str:
        return f"{self.name}-{faces.weights_sha256()[:16]}-{FACE_SIDE}-x{faces.SCALE:g}"

    def encode(self, items, desc: str = "Reading images", new_data: bool = False) -> Encoded:
        self.without_face = []
        encoded = super().encode(items, desc, new_data)
        if self.without_face:
            shown = ", ".join(self.without_face[:5]) + (", ..." if len(self.without_face) > 5 else "")
            say(
                f"No face was found in {len(self.without_face)} of the {len(items)} images read ({shown}); "
                "each of those was described from its middle."
            )
        return encoded

    def transform_some(self, items, indices: list[int], batch: np.ndarray) -> np.ndarray:
        features, found = self.network(batch)
        self.without_face += [_name(items, i) for i, face in zip(indices, found) if not face]
        return features

    def transform(self, batch: np.ndarray) -> np.ndarray:
        return self.network(batch)[0]

    @property
    def network(self) -> faces.FaceNetwork:
        if self._network is None:
            self._network = faces.FaceNetwork()
        return self._network


def chunk_size(n: int, workers: int) -> int:
    """... but at least two tasks per worker, so that every worker has work (700 photos
    on 16 cores were 3 tasks of 256: 3 cores decoding, 13 idle)."""
    return max(8, min(CHUNK, -(-n // (2 * max(workers, 1)))))


def _pool(workers: int, n: int):
    """Worker processes for many small images: decoding them in threads is slowed by
    Python's global lock (measured here: 2 threads slower than 1). Forked, like
    PyTorch's DataLoader workers on Linux; threads elsewhere and for small jobs."""
    if workers > 1 and n >= PROCESS_MIN and "fork" in multiprocessing.get_all_start_methods():
        return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    return ThreadPoolExecutor(workers)


def _read(item) -> bytes | np.ndarray:
    return item if isinstance(item, (np.ndarray, bytes)) else read_regular(item)


def _name(items, i: int) -> str:
    if isinstance(items, np.ndarray):
        return f"array[{i}]"
    return f"upload {i + 1}" if isinstance(items[i], bytes) else str(items[i])


def _hash(data: bytes | np.ndarray) -> str:
    if isinstance(data, np.ndarray):
        return hashlib.sha256(str(data.shape).encode() + data.tobytes()).hexdigest()
    return hashlib.sha256(data).hexdigest()


def _hash_chunk(items) -> list[str | None]:
    hashes = []
    for item in items:
        try:
            hashes.append(_hash(_read(item)))
        except OSError:
            hashes.append(None)
    return hashes


def _load_chunk(items, pixels: Pixels, max_pixels: int) -> list[tuple[str | None, np.ndarray | str]]:
    """(content hash, (size, size, channels) uint8 pixels or the reason it cannot be used)."""
    out = []
    for item in items:
        try:
            data = _read(item)
        except NotReadable as e:  # a device, a pipe, a link to one; too large
            out.append((None, str(e)))
            continue
        except OSError:
            out.append((None, "cannot be read"))
            continue
        try:
            out.append((_hash(data), decode(data, pixels, max_pixels)))
        except ImageProblem as problem:
            out.append((_hash(data), str(problem)))
    return out
