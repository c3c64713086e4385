"""Classical models for tables (and sequences), trained with scikit-learn on the split
the deep model trains on, each with its one setting picked by cross-validation, and
kept as plain arrays (linear.py, trees.py)."""

from __future__ import annotations

import time

import numpy as np
from threadpoolctl import threadpool_limits

from ..evaluate.leaderboard import Candidate
from ..log import say
from .linear import LinearModel
from .trees import TreeEnsemble

GBM_TITLE = "gradient boosting (HistGradientBoosting)"


def candidates(split, design, seed: int) -> list[Candidate]:
    """Logistic (or ridge) regression, a decision tree and gradient boosting trained on
    the split's training rows, as design (encoded rows -> the rows they read) gives them."""
    x = {part: design(getattr(split, part)[0]) for part in ("train", "val", "test")}
    y_train, y_val = split.train[1], split.val[1]
    found = []
    for name, model, seconds in fit_baselines(x["train"], y_train, x["val"], y_val, split.regression, seed):
        out = {part: model.predict(x[part]) for part in ("val", "test")}
        found.append(Candidate(name, model.title, out["val"], out["test"], seconds, model))
    return found


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
