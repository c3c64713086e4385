"""Encoders for texts: all-MiniLM-L6-v2 sentence embeddings (frozen, cached by content
hash) for a classifier on top, or token ids for fine-tuning the transformer itself."""

from __future__ import annotations

import hashlib

import numpy as np
import torch

from ...cache import FeatureCache
from ...data.examples import Encoded
from ...data.prose import clean_text
from ...log import progress, say
from ...models import minilm
from ...models.runtime import FrozenNetwork
from ..recipe import Encoder

BATCH = 64  # texts per network call, of similar length (sorted), so little padding


def clean_texts(items) -> tuple[list[tuple[int, str]], list[tuple[str, str]]]:
    """(position, text) of the usable texts, and (row, reason) for the others. Text that
    came with undecodable bytes (e.g. from the command line) has them replaced."""
    usable, skipped, replaced = [], [], 0
    for i, item in enumerate(items):
        given = "" if item is None else str(item)
        text = clean_text(given)
        replaced += text != given
        if text.strip():
            usable.append((i, text))
        else:
            skipped.append((f"row {i + 1}", "empty text"))
    if replaced:
        say(f"{replaced} texts held bytes that are not UTF-8; those were replaced by '\ufffd'.")
    return usable, skipped


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def tokenize(texts: list[str]) -> list[list[int]]:
    """Token ids of each text, cut at the model's limit (and say how many were cut)."""
    encodings = minilm.tokenizer().encode_batch(texts)
    cut = sum(bool(e.overflowing) for e in encodings)
    if cut:
        say(
            f"{cut} of {len(texts)} texts are longer than the {minilm.max_tokens()} tokens the model reads; "
            "only their beginning is used."
        )
    return [e.ids for e in encodings]


def pad(ids: list[list[int]], length: int | None = None) -> np.ndarray:
    """(N, length) int64 token ids, 0 (padding) after each text's end."""
    out = np.full((len(ids), length or max(map(len, ids), default=1)), minilm.PAD_ID, np.int64)
    for row, seq in enumerate(ids):
        out[row, : len(seq)] = seq
    return out


class TokenEncoder(Encoder):
    """Texts -> (N, L) token ids, for fine-tuning the transformer."""

    kind = "text"
    name = "minilm-tokens"
    layout = "tokens"
    dim, dtype = 1, np.int32  # the shape and type of an empty result

    def __init__(self, cache: bool = True):
        self.use_cache = cache  # token ids are cheap and never cached; embeddings are

    def spec(self) -> dict:
        return {
            "kind": self.kind,
            "name": self.name,
            "package": minilm.PACKAGE,
            "weights_sha256": minilm.weights_sha256(),
            "max_tokens": minilm.max_tokens(),
        }

    @classmethod
    def from_spec(cls, spec: dict, settings) -> TokenEncoder:
        return cls(settings.cache)

    def out_shape(self) -> tuple[int, ...]:
        return (self.dim,)  # token ids: at least 1 (padded to the longest text encoded with them)

    def encode(self, items, desc: str = "Reading texts", new_data: bool = False) -> Encoded:
        usable, skipped = clean_texts(items)
        texts = [t for _, t in usable]
        features = self._features(texts, desc) if texts else np.zeros((0, *self.out_shape()), self.dtype)
        return Encoded(features, [i for i, _ in usable], [_hash(t) for t in texts], skipped)

    def _features(self, texts: list[str], desc: str) -> np.ndarray:
        return pad(tokenize(texts)).astype(np.int32)


class TextEncoder(TokenEncoder):
    """Texts -> 384-d all-MiniLM-L6-v2 sentence embeddings, computed by the transformer
    in ONNX Runtime with int8 weights (the fastest path measured on a 2-core CPU: about
    3.5x sentence-transformers' encode, embeddings within cosine 0.96 of it), batched by
    length and cached by content hash."""

    name = "minilm-embeddings"
    layout = "vectors"
    dim, dtype = minilm.DIM, np.float32

    def __init__(self, cache: bool = True, int8: bool = True):
        super().__init__(cache)
        self.int8 = int8
        self._network: FrozenNetwork | None = None

    def spec(self) -> dict:
        return {**super().spec(), "precision": "int8" if self.int8 else "fp32", "dim": minilm.DIM}

    @classmethod
    def from_spec(cls, spec: dict, settings) -> TextEncoder:
        return cls(settings.cache, int8=spec["precision"] == "int8")

    def cache_key(self) -> str:
        return f"{self.name}-{minilm.weights_sha256()[:16]}-{'int8' if self.int8 else 'fp32'}"

    @property
    def network(self) -> FrozenNetwork:
        if self._network is None:
            ids = torch.ones(2, 8, dtype=torch.int64)
            example = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
            self._network = FrozenNetwork(minilm.build_embedding, self.cache_key(), example, self.int8)
        return self._network

    def _features(self, texts: list[str], desc: str) -> np.ndarray:
        hashes = [_hash(t) for t in texts]
        cache = FeatureCache(self.cache_key(), enabled=self.use_cache)
        try:
            known = cache.get(hashes)
            todo = {h: t for h, t in zip(hashes, texts) if h not in known}  # each distinct text once
            computed = dict(zip(todo, self.embed(list(todo.values()), desc))) if todo else {}
            cache.put(computed)
        finally:
            cache.close()
        return np.stack([known[h] if h in known else computed[h] for h in hashes]).astype(np.float32)

    def embed(self, texts: list[str], desc: str = "Embedding texts") -> np.ndarray:
        """(N, 384) embeddings, computed in batches of texts of similar length."""
        return self.embed_ids(tokenize(texts), desc)

    def embed_ids(self, ids: list[list[int]], desc: str = "Embedding texts") -> np.ndarray:
        out = np.zeros((len(ids), minilm.DIM), np.float32)
        order = np.argsort([len(seq) for seq in ids], kind="stable")
        with progress(total=len(ids), desc=desc, unit="text") as bar:
            for start in range(0, len(order), BATCH):
                rows = order[start : start + BATCH]
                batch = pad([ids[i] for i in rows])
                mask = (batch != minilm.PAD_ID).astype(np.int64)
                out[rows] = self.network({"input_ids": batch, "attention_mask": mask})
                bar.update(len(rows))
        return out

    def features_of(self, ids: torch.Tensor) -> torch.Tensor:
        """Embeddings of padded token ids (N, L), as a fine-tuned network starts from."""
        rows = [seq[seq != minilm.PAD_ID].tolist() for seq in ids]
        return torch.from_numpy(self.embed_ids(rows, "Embeddings for the first classifier"))
