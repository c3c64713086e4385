"""Decision trees and gradient-boosted trees as plain arrays (feature, threshold,
children, leaf values), walked with NumPy: predictions match scikit-learn's, and a
stored model holds nothing that can run."""

from __future__ import annotations

import numpy as np
import torch

from .outputs import link_of, output, two_columns

ROWS = 4096  # rows per block when walking trees (bounds memory: rows x trees x outputs)


class TreeEnsemble:
    """Decision trees as arrays; the output is baseline + the sum over trees of the
    leaf each row reaches (a rule: left when x[feature] <= threshold)."""

    name = "trees"

    def __init__(self, arrays: dict[str, np.ndarray], link: str, title: str, n_features: int):
        self.a, self.link, self.title, self.n_features = arrays, link, title, n_features

    @property
    def n_outputs(self) -> int:
        return self.a["value"].shape[1]

    def predict(self, x: np.ndarray) -> np.ndarray:
        x = x.astype(np.float64)
        raw = np.concatenate([self._raw(x[s : s + ROWS]) for s in range(0, len(x), ROWS)])
        return output(raw, self.link)

    def _raw(self, x: np.ndarray) -> np.ndarray:
        a = self.a
        node = np.broadcast_to(a["roots"], (len(x), len(a["roots"]))).copy()
        rows = np.arange(len(x))[:, None]
        for _ in range(len(a["left"])):  # children come after their parent: this ends
            inner = a["left"][node] >= 0
            if not inner.any():
                break
            left = x[rows, a["feature"][node]] <= a["threshold"][node]
            node = np.where(inner, np.where(left, a["left"][node], a["right"][node]), node)
        return a["baseline"] + a["value"][node].sum(1)

    def spec(self) -> dict:
        return {"name": self.name, "link": self.link, "title": self.title, "n_features": self.n_features}

    def tensors(self) -> dict[str, torch.Tensor]:
        return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in self.a.items()}

    @classmethod
    def from_saved(cls, spec: dict, tensors: dict) -> TreeEnsemble:
        a = {k: tensors[k].numpy() for k in ("roots", "feature", "threshold", "left", "right", "value")}
        a["baseline"] = tensors["baseline"].numpy()
        n_features = int(spec["n_features"])
        _check_trees(a, n_features)
        return cls(a, link_of(spec), str(spec["title"]), n_features)

    @classmethod
    def from_decision_tree(cls, model, title: str) -> TreeEnsemble:
        t = model.tree_
        classes = hasattr(model, "classes_")
        value = t.value[:, 0, :].astype(np.float64)  # (nodes, classes or 1)
        leaf = t.children_left < 0
        arrays = {
            "roots": np.zeros(1, np.int64),
            "feature": np.where(leaf, 0, t.feature).astype(np.int64),
            "threshold": t.threshold.astype(np.float64),
            "left": t.children_left.astype(np.int64),
            "right": t.children_right.astype(np.int64),
            "value": _laplace(value, t.n_node_samples) if classes else value,
            "baseline": np.zeros(value.shape[1]),
        }
        return cls(arrays, "probabilities" if classes else "identity", title, model.n_features_in_)

    @classmethod
    def from_forest(cls, model, title: str) -> TreeEnsemble:
        """scikit-learn's random forest: its trees' leaf values (class shares, or numbers)
        averaged, as predict_proba and predict do."""
        classes = hasattr(model, "classes_")
        parts, roots, offset = [], [], 0
        for estimator in model.estimators_:
            t = estimator.tree_
            value = t.value[:, 0, :].astype(np.float64)
            if classes:
                value = value / value.sum(1, keepdims=True)
            leaf = t.children_left < 0
            left = np.where(leaf, -1, t.children_left + offset).astype(np.int64)
            right = np.where(leaf, -1, t.children_right + offset).astype(np.int64)
            feature = np.where(leaf, 0, t.feature).astype(np.int64)
            parts.append(
                (feature, t.threshold.astype(np.float64), left, right, value / len(model.estimators_))
            )
            roots.append(offset)
            offset += t.node_count
        feature, threshold, left, right, value = (np.concatenate(p) for p in zip(*parts))
        arrays = {
            "roots": np.array(roots, np.int64),
            "feature": feature,
            "threshold": threshold,
            "left": left,
            "right": right,
            "value": value,
            "baseline": np.zeros(value.shape[1]),
        }
        return cls(arrays, "probabilities" if classes else "identity", title, model.n_features_in_)

    @classmethod
    def from_hist_gradient_boosting(cls, model, title: str) -> TreeEnsemble:
        """scikit-learn's HistGradientBoosting, from its fitted tree predictors (numeric
        splits only: the rows it sees hold no missing values and no native categories)."""
        binary = hasattr(model, "classes_") and len(model.classes_) == 2
        k_out = len(model._predictors[0])
        parts, roots, offset = [], [], 0
        for iteration in model._predictors:
            for k, predictor in enumerate(iteration):
                nodes = predictor.nodes
                if nodes["is_categorical"].any():
                    raise ValueError("categorical splits are not stored")
                leaf = nodes["is_leaf"].astype(bool)
                value = np.zeros((len(nodes), k_out))
                value[:, k] = np.where(leaf, nodes["value"], 0.0)
                left = np.where(leaf, -1, nodes["left"].astype(np.int64) + offset)
                right = np.where(leaf, -1, nodes["right"].astype(np.int64) + offset)
                parts.append((nodes["feature_idx"], nodes["num_threshold"], left, right, value))
                roots.append(offset)
                offset += len(nodes)
        feature, threshold, left, right, value = (np.concatenate(p) for p in zip(*parts))
        baseline = np.asarray(model._baseline_prediction, np.float64).reshape(-1)
        if binary:
            value, baseline = two_columns(value), two_columns(baseline)
        arrays = {
            "roots": np.array(roots, np.int64),
            "feature": feature.astype(np.int64),
            "threshold": threshold.astype(np.float64),
            "left": left,
            "right": right,
            "value": value,
            "baseline": baseline,
        }
        classes = hasattr(model, "classes_")
        return cls(arrays, "softmax" if classes else "identity", title, model.n_features_in_)


def _laplace(value: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Class shares in each node, Laplace-smoothed: (count + 1) / (n + classes), so a small
    pure leaf says 'likely', not 'certain' (Provost & Domingos' probability trees)."""
    counts = value / value.sum(1, keepdims=True) * n[:, None]
    return (counts + 1) / (n[:, None] + value.shape[1])


def _check_trees(a: dict, n_features: int) -> None:
    """Refuse arrays that are not trees: every inner node's children come after it and
    exist, features and roots are in range, leaf values are finite."""
    m = len(a["left"])
    integers = all(a[k].dtype.kind == "i" for k in ("roots", "feature", "left", "right"))
    if not integers or a["value"].dtype.kind != "f" or a["threshold"].dtype.kind != "f":
        raise ValueError("tree arrays of the wrong types")
    shapes_ok = (
        all(a[k].shape == (m,) for k in ("feature", "threshold", "left", "right"))
        and a["value"].ndim == 2
        and a["value"].shape[0] == m
        and a["baseline"].shape == (a["value"].shape[1],)
        and a["roots"].ndim == 1
    )
    if not shapes_ok:
        raise ValueError("tree arrays of inconsistent shapes")
    inner = a["left"] >= 0
    index = np.arange(m)
    ok = (
        np.all((a["left"][inner] > index[inner]) & (a["left"][inner] < m))
        and np.all((a["right"][inner] > index[inner]) & (a["right"][inner] < m))
        and np.all(a["right"][~inner] < 0)
        and np.all((a["feature"] >= 0) & (a["feature"] < n_features))
        and np.all((a["roots"] >= 0) & (a["roots"] < m))
        and np.isfinite(a["value"]).all()
    )
    if not ok:
        raise ValueError("tree arrays that do not form trees")
