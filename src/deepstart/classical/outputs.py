"""How a stored classical model's raw scores become outputs: probabilities (softmax, or
shares already) or, for regression, numbers."""

from __future__ import annotations

import numpy as np


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(1, keepdims=True)


def two_columns(z: np.ndarray) -> np.ndarray:
    """A binary model's one logit z as two: softmax([-z/2, z/2]) == sigmoid(z)."""
    return np.concatenate([-z / 2, z / 2], axis=-1)


def output(raw: np.ndarray, link: str) -> np.ndarray:
    """(N, K) raw scores -> probabilities (softmax / already probabilities) or, for
    regression, (N,) values."""
    if link == "softmax":
        return softmax(raw).astype(np.float32)
    if link == "probabilities":
        return (raw / raw.sum(1, keepdims=True)).astype(np.float32)
    return raw[:, 0]


def link_of(spec: dict) -> str:
    if spec.get("link") not in ("softmax", "probabilities", "identity"):
        raise ValueError(f"unknown link {spec.get('link')!r}")
    return spec["link"]
