"""Frozen pretrained encoders: raw inputs -> feature vectors, batched, parallel, cached.
Each modality has one; the trained head on top is the same kind of model for all."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .cache import FeatureCache, content_hash
from .data.images import ImageProblem, decode
from .log import progress
from .models import efficientnet
from .models.runtime import FrozenNetwork

BATCH = 32


@dataclass
class Encoded:
    """Features of the inputs that could be read, and why the others could not."""

    features: np.ndarray  # (N_ok, D) float32
    kept: list[int]  # positions of the N_ok inputs in the input list
    hashes: list[str]  # content hash (sha256) of each kept input
    skipped: list[tuple[str, str]]  # (input, reason)


class ImageEncoder:
    """Photos -> 1280-d EfficientNet-Lite0 ImageNet features (global average pool)."""

    kind = "image"
    dim = efficientnet.FEATURE_DIM

    def __init__(self, workers: int = 2, max_pixels: int = 50_000_000, cache: bool = True):
        self.workers = workers
        self.max_pixels = max_pixels
        self.use_cache = cache
        self._network: FrozenNetwork | None = None

    def spec(self) -> dict:
        """What the manifest records, so that loading rebuilds the same encoder."""
        return {
            "kind": self.kind,
            "name": efficientnet.NAME,
            "package": efficientnet.PACKAGE,
            "weights_sha256": efficientnet.weights_sha256(),
            "input_size": efficientnet.INPUT_SIZE,
            "crop": "resize shorter side to 256, centre crop 224, RGB",
            "normalize": "(x / 255 - 0.5) / 0.5",
            "feature_dim": self.dim,
        }

    @property
    def network(self) -> FrozenNetwork:
        if self._network is None:
            size = efficientnet.INPUT_SIZE
            self._network = FrozenNetwork(
                efficientnet.build_features,
                key=f"{efficientnet.NAME}-{efficientnet.weights_sha256()[:16]}",
                example=torch.zeros(1, 3, size, size),
            )
        return self._network

    def encode(self, paths: list[Path], desc: str = "Reading images") -> Encoded:
        with ThreadPoolExecutor(self.workers) as pool:
            hashes = list(pool.map(_hash_or_none, paths))
            cache = FeatureCache(self.network.key, enabled=self.use_cache)
            try:
                known = cache.get([h for h in hashes if h is not None])
                todo = [i for i, h in enumerate(hashes) if h is not None and h not in known]
                computed, skipped = self._compute(pool, paths, todo, desc) if todo else ({}, [])
                cache.put({hashes[i]: v for i, v in computed.items()})
            finally:
                cache.close()
        features, kept = [], []
        for i, h in enumerate(hashes):
            vector = known[h] if h in known else computed.get(i)
            if vector is not None:
                features.append(vector)
                kept.append(i)
        kept_hashes = [hashes[i] for i in kept]
        skipped += [(str(paths[i]), "cannot be read") for i, h in enumerate(hashes) if h is None]
        skipped.sort()
        stacked = np.stack(features) if features else np.zeros((0, self.dim), np.float32)
        return Encoded(stacked, kept, kept_hashes, skipped)

    def _compute(self, pool, paths, todo, desc):
        """Decode in threads one batch ahead while the network runs the current batch."""
        computed: dict[int, np.ndarray] = {}
        skipped: list[tuple[str, str]] = []
        batches = [todo[s : s + BATCH] for s in range(0, len(todo), BATCH)]
        size = efficientnet.INPUT_SIZE

        def submit(batch):
            return [pool.submit(_decode_file, paths[i], size, self.max_pixels) for i in batch]

        ahead = submit(batches[0]) if batches else []
        with progress(total=len(todo), desc=desc, unit="img") as bar:
            for b, batch in enumerate(batches):
                current, ahead = ahead, submit(batches[b + 1]) if b + 1 < len(batches) else []
                pixels, ok = [], []
                for i, future in zip(batch, current):
                    result = future.result()
                    if isinstance(result, str):
                        skipped.append((str(paths[i]), result))
                    else:
                        pixels.append(result)
                        ok.append(i)
                if pixels:
                    out = self.network(efficientnet.normalize(np.stack(pixels)))
                    computed.update(zip(ok, out))
                bar.update(len(batch))
        return computed, skipped


def _hash_or_none(path: Path) -> str | None:
    try:
        return content_hash(path)
    except OSError:
        return None


def _decode_file(path: Path, size: int, max_pixels: int) -> np.ndarray | str:
    """(size, size, 3) uint8 pixels, or the reason the file cannot be used."""
    try:
        return decode(path.read_bytes(), size, max_pixels)
    except ImageProblem as problem:
        return str(problem)
    except OSError:
        return "cannot be read"


ENCODERS = {"image": ImageEncoder}
