"""Classical models for tables (and sequences), trained with scikit-learn beside the deep
one and kept as plain arrays (linear.py, trees.py): logistic or ridge regression, a
decision tree, gradient boosting and a random forest. Each family's one setting (its
strength of regularisation, depth, or number of boosting rounds: early stopping) is
the one whose out-of-fold predictions score best over the folds it is given."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from ..budget import current
from ..evaluate.leaderboard import Candidate
from ..log import progress, say
from .linear import LinearModel
from .trees import TreeEnsemble

GBM_TITLE = "gradient boosting (HistGradientBoosting)"
ROUNDS = 500  # boosting rounds at most; the folds choose how many
FOREST_TREES = 100
MANY_ROWS = 10_000  # above: 3 folds, not 5


@dataclass
class Fitted:
    """One family cross-validated: its out-of-fold outputs over the rows, the setting
    they chose, and the model refit with it on all the rows."""

    name: str  # "linear" | "tree" | "gbm" | "forest"
    oof: np.ndarray  # (N, n_classes) probabilities, or (N,) numbers
    model: object  # the refit model (linear.LinearModel or trees.TreeEnsemble)
    seconds: float


def folds_of(y: np.ndarray, regression: bool, seed: int) -> list | None:
    """[(fit rows, held-out rows)]: 5 folds (3 for large tables), stratified for classes,
    fewer when a class is small; None when too few rows to fold."""
    from sklearn.model_selection import KFold, StratifiedKFold

    k = 5 if len(y) <= MANY_ROWS else 3
    if regression:
        splitter = KFold(k, shuffle=True, random_state=seed) if len(y) >= 20 else None
    else:
        counts = np.bincount(y)
        k = min(k, int(counts[counts > 0].min()))
        splitter = StratifiedKFold(k, shuffle=True, random_state=seed) if k >= 2 else None
    return None if splitter is None else list(splitter.split(np.zeros(len(y)), y))


def candidates(split, design, seed: int, families: tuple[str, ...] | None = None) -> list[Candidate]:
    """The classical models trained on the split's training rows (design: encoded rows ->
    the rows they read), each family's setting chosen by folds of those rows, with their
    outputs on the validation and test rows (which choose among them and report); only
    the families named, if any ("linear", "tree", "gbm", "forest")."""
    x = {part: design(getattr(split, part)[0]) for part in ("train", "val", "test")}
    y = split.train[1]
    n_classes = (
        0 if split.regression else 1 + int(max(getattr(split, p)[1].max() for p in ("train", "val", "test")))
    )
    folds = folds_of(y, split.regression, seed) or [(np.arange(len(y)), np.arange(len(y)))]
    return [
        Candidate(
            f.name, f.model.title, f.model.predict(x["val"]), f.model.predict(x["test"]), f.seconds, f.model
        )
        for f in cross_validated(x["train"], y, folds, n_classes, seed, families)
    ]


def cross_validated(x, y, folds: list, n_classes: int, seed: int, families=None) -> list[Fitted]:
    """Every family on the rows x, y (the design matrix): out-of-fold outputs over folds
    [(fit rows, held-out rows)], then refit on all rows with the setting they chose."""
    regression = n_classes == 0
    found = []
    # One OpenMP thread: scikit-learn's OpenMP runtime and PyTorch's own copy spin against
    # each other when both are busy (gradient boosting on 150 rows took 25-40 s instead of
    # 0.04 s on a loaded machine); these fits are small.
    chosen = [f for f in _families(regression, seed, len(y)) if families is None or f.name in families]
    with threadpool_limits(1):
        for family in progress(chosen, desc="Classical models", unit="model"):
            if current().over():
                current().cut(f"the {family.title} was not tried")
                continue
            start = time.perf_counter()
            oof, setting = family.choose(x, y, folds, n_classes)
            model = family.refit(x, y, setting)
            seconds = time.perf_counter() - start
            say(f"Cross-validated {model.title} in {seconds:.1f} s.")
            found.append(Fitted(family.name, oof, model, seconds))
    return found


class _Family:
    """Models of one kind with one setting to choose (subclasses: how they are built)."""

    def __init__(self, name: str, title: str, settings: list, regression: bool, seed: int):
        self.name, self.title, self.settings = name, title, settings
        self.regression, self.seed = regression, seed

    def build(self, setting):
        raise NotImplementedError

    def convert(self, estimator, title: str):
        raise NotImplementedError

    def label(self, setting) -> str:
        return f"{self.title} ({setting[0]})" if len(self.settings) > 1 else self.title

    def choose(self, x, y, folds, n_classes: int) -> tuple[np.ndarray, object]:
        """(out-of-fold outputs, setting) of the setting with the lowest out-of-fold loss."""
        best = None
        for setting in self.settings:
            oof = _out_of_fold(self.build(setting), x, y, folds, n_classes)
            loss = error(oof, y, self.regression)[-1]  # log loss or RMSE: smoother than errors
            if best is None or loss < best[0]:
                best = (loss, oof, setting)
        return best[1], best[2]

    def refit(self, x, y, setting):
        return self.convert(self.build(setting).fit(x, y), self.label(setting))


class _Linear(_Family):
    def __init__(self, regression: bool, seed: int):
        if regression:
            settings = [(f"alpha={a:g}", a) for a in (0.1, 1.0, 10.0, 100.0)]
            super().__init__("linear", "ridge regression", settings, regression, seed)
        else:
            settings = [(f"C={c:g}", c) for c in (0.1, 1.0, 10.0)]
            super().__init__("linear", "logistic regression", settings, regression, seed)

    def build(self, setting):
        from sklearn.linear_model import LogisticRegression, Ridge

        return Ridge(alpha=setting[1]) if self.regression else LogisticRegression(C=setting[1], max_iter=3000)

    def convert(self, estimator, title: str):
        return LinearModel.from_sklearn(estimator, title)


class _Tree(_Family):
    def __init__(self, regression: bool, seed: int):
        settings = [(f"depth {d or 'any'}", d) for d in (3, 6, 10, None)]
        super().__init__("tree", "decision tree", settings, regression, seed)

    def build(self, setting):
        from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

        kind = DecisionTreeRegressor if self.regression else DecisionTreeClassifier
        return kind(max_depth=setting[1], min_samples_leaf=5, random_state=self.seed)

    def convert(self, estimator, title: str):
        return TreeEnsemble.from_decision_tree(estimator, title)


class _Forest(_Family):
    def __init__(self, regression: bool, seed: int, n_rows: int):
        super().__init__("forest", "random forest", [("defaults", None)], regression, seed)
        self.leaf = max(1, n_rows // 2000)  # bounds the stored trees' size on large tables

    def build(self, setting):
        from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

        kind = RandomForestRegressor if self.regression else RandomForestClassifier
        return kind(FOREST_TREES, min_samples_leaf=self.leaf, max_features="sqrt", random_state=self.seed)

    def convert(self, estimator, title: str):
        return TreeEnsemble.from_forest(estimator, title)


class _Boosting(_Family):
    """Gradient boosting with its number of rounds chosen on the held-out folds (early
    stopping by cross-validation: every round's out-of-fold loss, summed over folds)."""

    def __init__(self, regression: bool, seed: int):
        super().__init__("gbm", GBM_TITLE, [("defaults", ROUNDS)], regression, seed)

    def build(self, setting):
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        kind = HistGradientBoostingRegressor if self.regression else HistGradientBoostingClassifier
        return kind(max_iter=setting[1], early_stopping=False, random_state=self.seed)

    def label(self, setting) -> str:
        return self.title

    def convert(self, estimator, title: str):
        return TreeEnsemble.from_hist_gradient_boosting(estimator, title)

    def choose(self, x, y, folds, n_classes: int) -> tuple[np.ndarray, object]:
        from sklearn.base import clone

        base = self.build(("defaults", ROUNDS))
        fitted = [clone(base).fit(x[fit], y[fit]) for fit, _ in folds]
        losses = np.zeros(ROUNDS)
        for model, (_, held) in zip(fitted, folds):
            for i, out in enumerate(self._staged(model, x[held], n_classes)):
                losses[i] += error(out, y[held], self.regression)[-1] * len(held)
        rounds = int(np.argmin(losses[: min(m.n_iter_ for m in fitted)])) + 1
        oof = _empty(len(y), n_classes)
        for model, (_, held) in zip(fitted, folds):
            for i, out in enumerate(self._staged(model, x[held], n_classes)):
                if i + 1 == rounds:
                    oof[held] = out
                    break
        return oof, ("defaults", rounds)

    def _staged(self, model, x, n_classes: int):
        if self.regression:
            yield from model.staged_predict(x)
        else:
            for p in model.staged_predict_proba(x):
                yield _all_classes(p, model.classes_, n_classes)


def _families(regression: bool, seed: int, n_rows: int) -> list[_Family]:
    return [_Linear(regression, seed), _Tree(regression, seed), _Boosting(regression, seed)] + [
        _Forest(regression, seed, n_rows)
    ]


def _out_of_fold(estimator, x, y, folds, n_classes: int) -> np.ndarray:
    from sklearn.base import clone

    oof = _empty(len(y), n_classes)
    for fit, held in folds:
        model = clone(estimator).fit(x[fit], y[fit])
        oof[held] = (
            model.predict(x[held])
            if n_classes == 0
            else _all_classes(model.predict_proba(x[held]), model.classes_, n_classes)
        )
    return oof


def _empty(n: int, n_classes: int) -> np.ndarray:
    return np.zeros(n) if n_classes == 0 else np.zeros((n, n_classes), np.float32)


def _all_classes(p: np.ndarray, seen: np.ndarray, n_classes: int) -> np.ndarray:
    """Probabilities over every class (a fold may lack a rare one: probability 0)."""
    out = np.zeros((len(p), n_classes), np.float32)
    out[:, seen] = p
    return out


def error(out: np.ndarray, y: np.ndarray, regression: bool) -> tuple:
    """Lower is better: (RMSE,), or (errors, log loss) for classes."""
    if regression:
        return (float(np.sqrt(np.mean((out - y) ** 2))),)
    p = np.clip(out[np.arange(len(y)), y], 1e-7, 1.0)
    return (int((out.argmax(1) != y).sum()), float(-np.log(p).mean()))
