"""Classical models for tables, trained with scikit-learn on the split the deep model
trains on, and stored as plain arrays (no pickle): a linear model as its weights, a
decision tree or gradient-boosted trees as their nodes (feature, threshold, children,
leaf values). Prediction walks those arrays with NumPy and matches scikit-learn's."""

from __future__ import annotations

import time

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from ..log import say

GBM_TITLE = "gradient boosting (HistGradientBoosting)"
ROWS = 4096  # rows per block when walking trees (bounds memory: rows x trees x outputs)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(1, keepdims=True)


def _two_columns(z: np.ndarray) -> np.ndarray:
    """A binary model's one logit z as two: softmax([-z/2, z/2]) == sigmoid(z)."""
    return np.concatenate([-z / 2, z / 2], axis=-1)


def _output(raw: np.ndarray, link: str) -> np.ndarray:
    """(N, K) raw scores -> probabilities (softmax / already probabilities) or, for
    regression, (N,) values."""
    if link == "softmax":
        return _softmax(raw).astype(np.float32)
    if link == "probabilities":
        return (raw / raw.sum(1, keepdims=True)).astype(np.float32)
    return raw[:, 0]


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
        return _output(x.astype(np.float64) @ self.coef.T + self.intercept, self.link)

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
        return cls(coef, intercept, _link(spec), str(spec["title"]))

    @classmethod
    def from_sklearn(cls, model, title: str) -> LinearModel:
        coef = np.atleast_2d(model.coef_).astype(np.float64)
        intercept = np.atleast_1d(model.intercept_).astype(np.float64)
        if not hasattr(model, "classes_"):
            return cls(coef, intercept, "identity", title)
        if len(model.classes_) == 2:
            coef, intercept = _two_columns(coef.T).T, _two_columns(intercept[None])[0]
        return cls(coef, intercept, "softmax", title)


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
        return _output(raw, self.link)

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
        return cls(a, _link(spec), str(spec["title"]), n_features)

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
            value, baseline = _two_columns(value), _two_columns(baseline)
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


def _link(spec: dict) -> str:
    if spec.get("link") not in ("softmax", "probabilities", "identity"):
        raise ValueError(f"unknown link {spec.get('link')!r}")
    return spec["link"]


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


BASELINES = {LinearModel.name: LinearModel, TreeEnsemble.name: TreeEnsemble}


def fit_baselines(x, y, x_val, y_val, regression: bool, seed: int) -> list[tuple[str, object, float]]:
    """The classical models, each fitted on (x, y) with its one setting picked by
    cross-validation: [(name, model, seconds)] for "linear", "tree" and "gbm"."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    if regression:
        linear = [(f"alpha={a:g}", Ridge(alpha=a)) for a in (0.1, 1.0, 10.0, 100.0)]
        tree = DecisionTreeRegressor
        gbm = HistGradientBoostingRegressor(random_state=seed)
        titles = ("ridge regression", "decision tree", GBM_TITLE)
    else:
        linear = [(f"C={c:g}", LogisticRegression(C=c, max_iter=3000)) for c in (0.1, 1.0, 10.0)]
        tree = DecisionTreeClassifier
        gbm = HistGradientBoostingClassifier(random_state=seed)
        titles = ("logistic regression", "decision tree", GBM_TITLE)
    trees = [
        (f"depth {d or 'any'}", tree(max_depth=d, min_samples_leaf=5, random_state=seed))
        for d in (3, 6, 10, None)
    ]
    # One OpenMP thread: scikit-learn's OpenMP runtime and PyTorch's own copy spin against
    # each other when both are busy (gradient boosting on 150 rows took 25-40 s instead of
    # 0.04 s on a loaded machine); these fits are small.
    with threadpool_limits(1):  # OpenMP and BLAS: beside PyTorch, more threads only fight
        return _fit_each(linear, trees, gbm, titles, x, y, x_val, y_val, regression)


def _fit_each(linear, trees, gbm, titles, x, y, x_val, y_val, regression: bool) -> list:
    """Each classical model with its setting picked by 5-fold cross-validation on the
    training rows (so the validation rows, which rank the models, tuned none of them);
    on the validation rows when a class is too small to fold."""
    folds = _folds(y, regression)
    found = []
    for name, options, title, convert in (
        ("linear", linear, titles[0], LinearModel.from_sklearn),
        ("tree", trees, titles[1], TreeEnsemble.from_decision_tree),
        ("gbm", [("defaults", gbm)], titles[2], TreeEnsemble.from_hist_gradient_boosting),
    ):
        start = time.perf_counter()
        if len(options) > 1 and folds is not None:
            setting, estimator = min(
                options, key=lambda option: _cv_error(option[1], x, y, folds, regression)
            )
            options = [(setting, estimator)]
        best = None
        for setting, estimator in options:
            label = f"{title} ({setting})" if setting != "defaults" else title
            model = convert(estimator.fit(x, y), label)
            error = _error(model.predict(x_val), y_val, regression)
            if best is None or error < best[0]:
                best = (error, model)
        seconds = time.perf_counter() - start
        say(f"Trained {best[1].title} in {seconds:.1f} s.")
        found.append((name, best[1], seconds))
    return found


def _folds(y: np.ndarray, regression: bool):
    """5 folds (stratified for classes), fewer when a class is small; None below 2."""
    from sklearn.model_selection import KFold, StratifiedKFold

    if regression:
        return KFold(5, shuffle=True, random_state=0) if len(y) >= 10 else None
    counts = np.bincount(y)
    n = min(5, int(counts[counts > 0].min()))
    return StratifiedKFold(n, shuffle=True, random_state=0) if n >= 2 else None


def _cv_error(estimator, x, y, folds, regression: bool) -> float:
    """Cross-validated RMSE, or log loss for classes (lower is better)."""
    from sklearn.model_selection import cross_val_score

    scoring = "neg_root_mean_squared_error" if regression else "neg_log_loss"
    return -float(np.mean(cross_val_score(estimator, x, y, cv=folds, scoring=scoring)))


def _error(out: np.ndarray, y: np.ndarray, regression: bool) -> tuple:
    """Lower is better: RMSE; or (errors, log loss) for classes."""
    if regression:
        return (float(np.sqrt(np.mean((out - y) ** 2))),)
    p = np.clip(out[np.arange(len(y)), y], 1e-7, 1.0)
    return (int((out.argmax(1) != y).sum()), float(-np.log(p).mean()))
