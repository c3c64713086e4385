"""Learning curves for images (deepstart compare): the deep model (transfer learning for
photos, a CNN for small images) against the classic non-deep approaches, on growing shares of the training
images and the same test images. The classical models learn from thumbnails decoded
once: logistic regression on 32x32 pixels, and gradient boosting on a colour histogram
plus an 8x8 thumbnail (colour and rough layout)."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ...data.examples import Encoded, Examples
from ...data.images import Pixels
from ...data.split import check_class_sizes, sorted_classes, stratified_split
from ...errors import DataError
from ...log import quiet, say, warn
from ...settings import Settings
from .encoders import PixelEncoder, survey

THUMB = 32  # side of the thumbnails the classical models learn from
CLASSICAL = {
    "linear": f"logistic regression on {THUMB}x{THUMB} pixels",
    "gbm": "gradient boosting on colours and 8x8 thumbnails",
}
# recipe name -> (how a sentence names the deep model, its title in the plot and JSON)
DEEP = {
    "transfer": ("transfer learning", "transfer learning (EfficientNet-Lite0 + classifier)"),
    "fine-tune": ("fine-tuning", "fine-tuned EfficientNet-Lite0"),
    "cnn": ("the CNN", "CNN trained from scratch (deep)"),
}


def image_curves(examples: Examples, seed: int, fractions, fit, settings: dict) -> dict:
    """Learning curves of the deep and the classical image models (see compare.learning_curves);
    fit(data, **options) trains a model as Predictor(**settings).fit(data, **options) does."""
    s = Settings(seed=seed, **settings)  # checks the settings before any work
    thumbs, files, names, noun = _thumbnails(examples, s)
    classes = sorted_classes(names)
    check_class_sizes(names, classes, 3, "to train, validate and test", noun)
    y = np.array([classes.index(n) for n in names])
    train, test = (np.sort(part) for part in stratified_split(y, 0.2, seed))
    _warn_copies(thumbs.hashes, train, test, noun)
    features = {"linear": _pixels(thumbs.features), "gbm": _colours(thumbs.features)}
    points, titles = [], {}
    with tempfile.TemporaryDirectory(prefix="deepstart-compare-") as work:
        lists = _Lists(Path(work), files, names)
        test_csv = lists.write("test", test)
        for rows in _shares(y, train, fractions, seed):
            try:
                deep, title = _fit_deep(fit, lists.write("train", rows), test_csv, lists.folder, s)
            except DataError as e:
                say(f"  {len(rows):,} {noun}: skipped ({e})")
                continue
            titles |= {"deep": title} | CLASSICAL
            point = {"n_train": len(rows), "deep": deep} | _fit_classical(features, y, rows, test, seed)
            points.append(point)
            say(f"  {len(rows):,} {noun}: " + ", ".join(f"{titles[k]} {point[k]:.4g}" for k in titles))
    if not points:
        raise DataError(f"{examples.origin} is too small to train on any share of it; add {noun}.")
    return {
        "task": "classification",
        "modality": "image",
        "unit": noun,
        "metric": "accuracy",
        "test_rows": len(test),
        "models": titles,
        "points": points,
    }


def _thumbnails(examples: Examples, s: Settings) -> tuple[Encoded, list[Path], list[str], str]:
    """Each image decoded once, to a (C, 32, 32) thumbnail cut as the deep model cuts it
    (photos: the centre; small images: whole); the unreadable ones skipped. Returns the
    thumbnails ((N, C, 32, 32) uint8, with content hashes), their files and labels, and
    "photos" or "images"."""
    look = survey(examples.items)
    noun = "images" if look.small else "photos"
    pixels = Pixels(THUMB, look.channels, crop=not look.small)
    encoder = PixelEncoder(pixels, s.workers, s.max_pixels, cache=False)
    found = encoder.encode(examples.items, f"Reading {noun}")
    for file, reason in found.skipped[:10]:
        say(f"  skipped {file}: {reason}")
    files = [Path(examples.items[i]).resolve() for i in found.kept]
    return found, files, [examples.labels[i] for i in found.kept], noun


def _warn_copies(hashes: list[str], train: np.ndarray, test: np.ndarray, noun: str) -> None:
    """Once, not at every share: copies of training images among the test images."""
    seen = {hashes[i] for i in train}
    copies = sum(hashes[i] in seen for i in test)
    if copies:
        warn(
            f"{copies} of the {len(test)} test {noun} also appear among the training {noun}: every "
            "model's test accuracy will look a little better than it is."
        )


def _shares(y: np.ndarray, train: np.ndarray, fractions, seed: int) -> list[np.ndarray]:
    """The training positions for each fraction, stratified by class (at least one of
    each); a share no larger than the one before is left out."""
    shares = []
    for fraction in fractions:
        rows = train if fraction >= 1 else train[stratified_split(y[train], fraction, seed, "share")[1]]
        if not shares or len(rows) > len(shares[-1]):
            shares.append(rows)
    return shares


class _Lists:
    """CSVs that list image files and labels: the table input `deepstart train` reads."""

    def __init__(self, folder: Path, files: list[Path], labels: list[str]):
        self.folder = folder
        self.table = pd.DataFrame({"image": [str(f) for f in files], "label": labels})

    def write(self, name: str, rows: np.ndarray) -> Path:
        path = self.folder / f"{name}.csv"
        self.table.iloc[rows].to_csv(path, index=False)
        return path


def _fit_deep(fit, train_csv: Path, test_csv: Path, folder: Path, s: Settings) -> tuple[float, str]:
    """Test accuracy of the deep model trained on the listed images, and its title.
    Features of photos are cached by content, so only the first share computes them."""
    with quiet(logging.ERROR):  # one line per share, not every fit's notices (copies: warned once)
        fitted = fit(train_csv, s.to_dict(), target="label", images=folder, test=test_csv)
    name = fitted.recipe_["name"]
    return fitted.metrics_["test"]["accuracy"], DEEP.get(name, (name, name))[1]


def deep_name(title: str) -> str:
    """How a sentence names the deep model of this title: "transfer learning", "the CNN"."""
    return next((said for said, t in DEEP.values() if t == title), "the deep model")


def _fit_classical(features: dict, y: np.ndarray, rows: np.ndarray, test: np.ndarray, seed: int) -> dict:
    """Test accuracy of each classical model trained on the rows."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    linear = make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=2000))
    counts = np.bincount(y[rows])
    n_folds = min(5, int(counts[counts > 0].min()))
    if n_folds >= 2:  # the regularisation picked by cross-validation on the rows, where classes allow
        folds = StratifiedKFold(n_folds, shuffle=True, random_state=0)
        linear = GridSearchCV(linear, {"logisticregression__C": [0.0001, 0.001, 0.01, 0.1]}, cv=folds)
    models = {"linear": linear, "gbm": HistGradientBoostingClassifier(random_state=seed)}
    scores = {}
    # One thread for OpenMP and BLAS alike: beside PyTorch's threads they spin against each
    # other (measured: the logistic regressions of the 1,442 photos took 92 s, one thread 4.4 s).
    with threadpool_limits(1):
        for name, model in models.items():
            x = features[name]
            model.fit(x[rows], y[rows])
            scores[name] = float(model.score(x[test], y[test]))
    return scores


def _pixels(thumbs: np.ndarray) -> np.ndarray:
    """(N, C, 32, 32) uint8 -> (N, C*32*32) float32 pixels."""
    return thumbs.reshape(len(thumbs), -1).astype(np.float32)


def _colours(thumbs: np.ndarray) -> np.ndarray:
    """(N, C, 32, 32) uint8 -> a joint colour histogram (4 levels a channel: 64 bins; grey:
    16 bins) as fractions, and the mean colour of each cell of an 8x8 grid (N, 64 + C*64)."""
    n, c = thumbs.shape[:2]
    levels = 4 if c == 3 else 16
    q = thumbs.astype(np.int64) // (256 // levels)  # (N, C, H, W) in [0, levels)
    bins = np.zeros((n, 1, *thumbs.shape[2:]), np.int64)
    for k in range(c):
        bins = bins * levels + q[:, k : k + 1]
    hist = np.stack([np.bincount(b.ravel(), minlength=levels**c) for b in bins]).astype(np.float32)
    hist /= thumbs.shape[2] * thumbs.shape[3]
    grid = thumbs.reshape(n, c, 8, THUMB // 8, 8, THUMB // 8).mean((3, 5)).reshape(n, -1)
    return np.hstack([hist, grid.astype(np.float32)])
