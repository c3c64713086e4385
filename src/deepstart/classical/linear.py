"""Logistic regression (classes) or ridge regression (numbers), stored as its weights."""

from __future__ import annotations

import numpy as np
import torch

from .outputs import link_of, output, two_columns


class LinearModel:
    """Logistic regression (classes) or ridge regression (numbers) on one-hot rows."""

    name = "linear"

    def __init__(self, coef: np.ndarray, intercept: np.ndarray, link: str, title: str):
        self.coef, self.intercept, self.link, self.title = coef, intercept, link, title
        self.n_features = coef.shape[1]

    @property
    def n_outputs(self) -> int:
        return self.coef.shape[0]

    def predict(self, x: np.ndarray) -> np.ndarray:
        return output(x.astype(np.float64) @ self.coef.T + self.intercept, self.link)

    def spec(self) -> dict:
        return {"name": self.name, "link": self.link, "title": self.title, "n_features": self.n_features}

    def tensors(self) -> dict[str, torch.Tensor]:
        return {"coef": torch.from_numpy(self.coef), "intercept": torch.from_numpy(self.intercept)}

    @classmethod
    def from_saved(cls, spec: dict, tensors: dict) -> LinearModel:
        coef, intercept = tensors["coef"].numpy(), tensors["intercept"].numpy()
        if (
            coef.dtype.kind != "f"
            or coef.ndim != 2
            or intercept.shape != (coef.shape[0],)
            or coef.shape[1] != int(spec["n_features"])
            or not np.isfinite(coef).all()
        ):
            raise ValueError(f"linear weights of shapes {coef.shape} and {intercept.shape}")
        return cls(coef, intercept, link_of(spec), str(spec["title"]))

    @classmethod
    def from_sklearn(cls, model, title: str) -> LinearModel:
        coef = np.atleast_2d(model.coef_).astype(np.float64)
        intercept = np.atleast_1d(model.intercept_).astype(np.float64)
        if not hasattr(model, "classes_"):
            return cls(coef, intercept, "identity", title)
        if len(model.classes_) == 2:
            coef, intercept = two_columns(coef.T).T, two_columns(intercept[None])[0]
        return cls(coef, intercept, "softmax", title)
