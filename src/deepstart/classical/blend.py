"""Several classical models averaged with weights (a weighted ensemble, as chosen on
out-of-fold predictions), stored as their members' arrays and the weights."""

from __future__ import annotations

import numpy as np


class Blend:
    name = "blend"

    def __init__(self, members: list, weights: list[float], title: str):
        self.members, self.weights, self.title = members, [float(w) for w in weights], title
        first = members[0]
        self.n_features = first.n_features
        self.link = "identity" if first.link == "identity" else "probabilities"  # numbers, or shares

    @property
    def n_outputs(self) -> int:
        return self.members[0].n_outputs

    def predict(self, x: np.ndarray) -> np.ndarray:
        total = sum(self.weights)
        out = sum(w * m.predict(x) for w, m in zip(self.weights, self.members)) / total
        return out.astype(np.float64 if self.link == "identity" else np.float32)

    def spec(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "weights": self.weights,
            "members": [m.spec() for m in self.members],
        }

    def tensors(self) -> dict:
        return {f"{i}.{k}": v for i, m in enumerate(self.members) for k, v in m.tensors().items()}

    @classmethod
    def from_saved(cls, spec: dict, tensors: dict, saved: dict) -> Blend:
        """saved: the classes that members may be (never a blend: no nesting)."""
        members = []
        for i, member in enumerate(spec["members"]):
            kind = saved[member["name"]]
            part = {k.removeprefix(f"{i}."): v for k, v in tensors.items() if k.startswith(f"{i}.")}
            members.append(kind.from_saved(member, part))
        weights = [float(w) for w in spec["weights"]]
        if len(weights) != len(members) or not members or min(weights) < 0 or sum(weights) <= 0:
            raise ValueError("blend weights that do not match its members")
        if len({(m.n_features, m.n_outputs, m.link == "identity") for m in members}) != 1:
            raise ValueError("blend members that read or give different things")
        return cls(members, weights, str(spec["title"]))
