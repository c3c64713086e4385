"""Encoding inputs on a Ray cluster: Ray Data splits the inputs (file names or texts)
into batches, and a pool of actors, each holding the frozen encoder (the ONNX Runtime
session of EfficientNet-Lite0 or MiniLM, or the pixel decoder), encodes them with the
encoder's own code, so the features equal the single-process ones. The files are read
where the actors run: they must be on storage every node sees. The features come back
in order and fill this machine's feature cache."""

from __future__ import annotations

import os

import numpy as np

from ..cache import FeatureCache
from ..data.examples import Encoded
from ..errors import DeepstartError
from ..log import progress
from ..settings import Settings
from .connect import connect, why_failed

BATCH = 256  # inputs per actor call


class EncodeActor:
    """Holds one encoder, rebuilt from its spec (its network opened once per actor)."""

    def __init__(self, modality: str, spec: dict):
        from ..modalities import REGISTRY

        # one decoding thread per actor: Ray runs one actor per CPU; no cache on the workers' disks
        self.encoder = REGISTRY[modality].encoder_from_spec(spec, Settings(workers=1, cache=False))

    def __call__(self, batch: dict) -> dict:
        items = [str(v) for v in batch["item"]]
        encoded = self.encoder.encode(items, "", new_data=True)
        n = len(items)
        shape = encoded.features.shape[1:] if encoded.kept else self.encoder.out_shape()  # all skipped
        features = np.zeros((n, *shape), encoded.features.dtype)
        hashes, reasons = [""] * n, [""] * n
        for row, j in enumerate(encoded.kept):
            features[j], hashes[j] = encoded.features[row], encoded.hashes[row]
        for j in sorted(set(range(n)) - set(encoded.kept)):  # rare: each alone, for its own reason
            alone = self.encoder.encode([items[j]], "", new_data=True).skipped
            reasons[j] = alone[0][1] if alone else "cannot be read"
        return {
            "i": batch["i"],
            "features": features,
            "hash": np.array(hashes, dtype=object),
            "why": np.array(reasons, dtype=object),
        }


def can_encode(encoder, items) -> bool:
    """Inputs the cluster can encode: files or texts (not arrays already in memory, nor a
    table's rows), through an encoder that learns nothing from the data."""
    return not encoder.learns and isinstance(items, (list, tuple)) and len(items) > 0


def encode_on_cluster(encoder, items, desc: str, settings) -> Encoded:
    """Items -> Encoded, as encoder.encode(items) gives, computed by actors on the cluster."""
    cluster = connect(settings.cluster)
    import ray.data

    names = ["" if item is None else str(item) for item in items]  # as the encoders read them
    actors = cluster.workers(settings.workers)
    dataset = ray.data.from_items([{"i": i, "item": name} for i, name in enumerate(names)])
    encoded = dataset.map_batches(
        EncodeActor,
        fn_constructor_args=(encoder.kind, encoder.spec()),
        batch_size=BATCH,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_cpus=1,
    )
    n, rows = len(names), {}
    try:
        with progress(total=n, desc=f"{desc} on {actors} Ray workers", unit="input") as bar:
            for batch in encoded.iter_batches(batch_size=BATCH, batch_format="numpy"):
                for i, f, h, why in zip(batch["i"], batch["features"], batch["hash"], batch["why"]):
                    rows[int(i)] = (f, h, why)
                bar.update(len(batch["i"]))
    except ray.exceptions.RayError as e:  # e.g. an actor that cannot build the encoder on its node
        raise DeepstartError(f"Encoding on the cluster failed: {why_failed(e)}") from None
    return _assembled(encoder, names, rows, files=isinstance(items[0], os.PathLike))


def _assembled(encoder, names: list[str], rows: dict, files: bool) -> Encoded:
    """The rows in the inputs' order; those skipped named as the single-process encoder
    names them (a file's name; a text's row: "row 12"); the features put in the cache."""
    kept = [i for i in range(len(names)) if not rows[i][2]]
    skipped = sorted((names[i] if files else f"row {i + 1}", str(rows[i][2])) for i in rows if rows[i][2])
    if kept:
        features = _stacked([rows[i][0] for i in kept])
    else:
        features = np.zeros((0, *np.shape(next(iter(rows.values()))[0])), np.float32)
    hashes = [str(rows[i][1]) for i in kept]
    if encoder.use_cache and hasattr(encoder, "cache_key"):
        store = FeatureCache(encoder.cache_key())
        try:
            store.put(dict(zip(hashes, features)))
        finally:
            store.close()
    return Encoded(features, kept, hashes, skipped)


def _stacked(arrays: list) -> np.ndarray:
    """The rows as one array. Token ids come padded to the longest text of their batch:
    they are padded again to the longest of all (0, the padding id), as one process pads them."""
    widest = max(a.shape[-1] for a in arrays)
    pad = [(0, 0)] * (arrays[0].ndim - 1)
    return np.stack(
        [a if a.shape[-1] == widest else np.pad(a, [*pad, (0, widest - a.shape[-1])]) for a in arrays]
    )
