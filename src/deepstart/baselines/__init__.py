"""Classical models trained beside the deep one on the same split, stored as arrays
and JSON (no pickle): TF-IDF + logistic regression for texts; linear models, decision
trees and gradient boosting for tables."""

from __future__ import annotations

from ..classical import TfidfLogistic
from .tables import LinearModel, TreeEnsemble

SAVED = {TfidfLogistic.name: TfidfLogistic, LinearModel.name: LinearModel, TreeEnsemble.name: TreeEnsemble}


def classical_from_saved(spec: dict, tensors: dict):
    """Rebuild a stored classical model from its manifest entry and tensors."""
    return SAVED[spec["name"]].from_saved(spec, tensors)
