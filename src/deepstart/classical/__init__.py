"""Classical models trained beside the deep one on the same split, stored as arrays and
JSON (no pickle): TF-IDF + logistic regression for texts; linear models, decision trees
and gradient boosting for tables and sequences; seasonal naive and a linear
autoregressive model for series."""

from __future__ import annotations

from .blend import Blend
from .linear import LinearModel
from .text import TfidfLogistic
from .trees import TreeEnsemble

SAVED = {TfidfLogistic.name: TfidfLogistic, LinearModel.name: LinearModel, TreeEnsemble.name: TreeEnsemble}


def classical_from_saved(spec: dict, tensors: dict):
    """Rebuild a stored classical model from its manifest entry and tensors."""
    if spec["name"] == Blend.name:
        return Blend.from_saved(spec, tensors, SAVED)
    return SAVED[spec["name"]].from_saved(spec, tensors)


def check_reads(classical, n_features: int, n_out: int, task: str) -> None:
    """Refuse a stored classical model that does not read n_features columns and give the
    model's n_out outputs (probabilities, or one number for regression)."""
    if classical.n_features != n_features:
        raise ValueError("a classical model for other columns than the encoder's")
    wanted = ("identity",) if task == "regression" else ("softmax", "probabilities")
    if classical.n_outputs != n_out or classical.link not in wanted:
        raise ValueError(f"a classical model with {classical.n_outputs} outputs for {n_out}")
