"""Predictor: the one facade the CLI and Python users share.
source -> examples -> encoder (frozen, cached) -> head (trained) -> artifact -> predictions."""

from __future__ import annotations

import hashlib
import platform
import time
from pathlib import Path

import numpy as np
import torch

from . import __version__, artifact
from .config import Settings
from .data.sources import Examples, read_labeled, read_unlabeled
from .data.split import check_class_sizes, stratified_split
from .encoders import ENCODERS
from .errors import ConfigError, DataError, ModelFileError
from .evaluate import classification_metrics
from .log import say
from .models import build_head
from .train import fit as train_head


class Predictor:
    """Train, evaluate, save and load a classifier.

    >>> p = Predictor().fit("photos/")          # photos/cats/*.jpg, photos/dogs/*.jpg
    >>> p.predict(["new.jpg"]); p.save("model/"); p = Predictor.load("model/")
    """

    def __init__(self, **settings):
        self.settings = Settings(**settings)

    # -- training -------------------------------------------------------------
    def fit(self, data, target: str | None = None, test=None, images=None, task: str = "auto") -> Predictor:
        """Train on data (a folder of class subfolders or a CSV of image files and labels).

        test: separate labelled data for the final test; otherwise settings.test_size
        of data is held out (stratified). task: "auto" (detect) or one of ENCODERS.
        """
        start = time.perf_counter()
        s = self.settings
        if task != "auto" and task not in ENCODERS:
            raise ConfigError(
                f"Invalid value for task (--task). Expected one of: auto, {', '.join(ENCODERS)}. "
                f"Received: {task!r}"
            )
        examples = read_labeled(data, target, images)
        test_examples = read_labeled(test, target, images) if test is not None else None
        self.encoder_ = ENCODERS[examples.kind](s.workers, s.max_pixels, s.cache)
        x, y_names, hashes, skipped = self._encode(examples, "Reading training images")
        self.classes_ = _sorted_classes(y_names)
        needed, why = (2, "to train and validate") if test is not None else (3, "to train, validate and test")
        check_class_sizes(y_names, self.classes_, needed, why)
        y = self._label_ids(y_names, examples.origin)
        if test_examples is None:
            rest, test_idx = stratified_split(y, s.test_size, s.seed)
            x_test, y_test, test_skipped = x[test_idx], y[test_idx], []
        else:
            rest = np.arange(len(y))
            x_test, t_names, _, test_skipped = self._encode(test_examples, "Reading test images")
            y_test = self._label_ids(t_names, test_examples.origin)
        train_idx, val_idx = (rest[i] for i in stratified_split(y[rest], s.val_size, s.seed + 1))
        torch.manual_seed(s.seed)  # the head's initial weights
        self.head_ = build_head(self._head_spec())
        self.history_ = train_head(
            self.head_, _tensors(x[train_idx], y[train_idx]), _tensors(x[val_idx], y[val_idx]), s
        )
        self.metrics_ = {
            "validation": self._metrics(x[val_idx], y[val_idx]),
            "test": self._metrics(x_test, y_test),
        }
        self.data_ = {
            "source": examples.origin,
            "test_source": test_examples.origin if test_examples else None,
            "n_train": len(train_idx),
            "n_validation": len(val_idx),
            "n_test": len(y_test),
            "skipped": [{"file": f, "reason": r} for f, r in skipped + test_skipped],
            "fingerprint": _fingerprint(hashes, y_names),
        }
        self.training_ = {
            "settings": s.to_dict(),
            "history": self.history_.to_dict(),
            "seconds": round(time.perf_counter() - start, 2),
        }
        return self

    def _encode(self, examples: Examples, desc: str):
        encoded = self.encoder_.encode(examples.items, desc)
        for file, reason in encoded.skipped[:10]:
            say(f"  skipped {file}: {reason}")
        if len(encoded.skipped) > 10:
            say(f"  ... and {len(encoded.skipped) - 10} more skipped files")
        if not encoded.kept:
            raise DataError(
                f"None of the {len(examples.items)} files in {examples.origin} is a usable image."
            )
        labels = [examples.labels[i] for i in encoded.kept] if examples.labels else None
        return encoded.features, labels, encoded.hashes, encoded.skipped

    def _label_ids(self, names: list[str], origin: str) -> np.ndarray:
        index = {c: k for k, c in enumerate(self.classes_)}
        unknown = sorted(set(names) - set(index))
        if unknown:
            raise DataError(
                f"{origin} has labels the model was not trained on ({', '.join(unknown[:5])}); "
                f"it knows: {', '.join(self.classes_)}."
            )
        return np.array([index[n] for n in names], dtype=np.int64)

    def _head_spec(self) -> dict:
        return {
            "name": "linear",
            "in_features": self.encoder_.dim,
            "n_classes": len(self.classes_),
            "dropout": self.settings.dropout,
        }

    # -- using the model ------------------------------------------------------
    def predict_proba(self, inputs) -> np.ndarray:
        """(N, n_classes) probabilities, columns in the order of classes_."""
        examples = read_unlabeled(_as_list(inputs))
        encoded = self._check_fitted().encoder_.encode(examples.items, "Reading images")
        if encoded.skipped:
            file, reason = encoded.skipped[0]
            raise DataError(f"{file}: {reason}; remove it or replace it with a readable image.")
        return self._proba(encoded.features)

    def predict(self, inputs) -> list[str]:
        """The most likely class of each input."""
        return [self.classes_[k] for k in self.predict_proba(inputs).argmax(1)]

    def predict_records(self, inputs) -> list[dict]:
        """One record per input file: its label and probabilities, or why it was skipped."""
        examples = read_unlabeled(_as_list(inputs))
        encoded = self._check_fitted().encoder_.encode(examples.items, "Reading images")
        reasons, proba = dict(encoded.skipped), dict(zip(encoded.kept, self._proba(encoded.features)))
        records = []
        for i, path in enumerate(examples.items):
            if i not in proba:
                records.append({"input": str(path), "error": reasons.get(str(path), "cannot be read")})
                continue
            p = proba[i]
            records.append(
                {
                    "input": str(path),
                    "label": self.classes_[int(p.argmax())],
                    "probabilities": {c: float(v) for c, v in zip(self.classes_, p)},
                }
            )
        return records

    def evaluate(self, data, target: str | None = None, images=None) -> dict:
        """Metrics on labelled data: accuracy, macro_f1, n, per_class, confusion_matrix."""
        examples = read_labeled(data, target, images)
        self._check_fitted()
        x, names, _, skipped = self._encode(examples, "Reading test images")
        metrics = self._metrics(x, self._label_ids(names, examples.origin))
        metrics["skipped"] = [{"file": f, "reason": r} for f, r in skipped]
        return metrics

    def _proba(self, x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return torch.softmax(self.head_(torch.from_numpy(x)), dim=1).numpy()

    def _metrics(self, x: np.ndarray, y: np.ndarray) -> dict:
        return classification_metrics(y, self._proba(x).argmax(1), self.classes_)

    def _check_fitted(self) -> Predictor:
        if not hasattr(self, "head_"):
            raise ModelFileError("This Predictor is not trained yet; call fit() or Predictor.load() first.")
        return self

    # -- the artifact ---------------------------------------------------------
    def manifest(self) -> dict:
        self._check_fitted()
        return {
            "task": "classification",
            "modality": self.encoder_.kind,
            "classes": self.classes_,
            "encoder": self.encoder_.spec(),
            "head": self._head_spec() | {"trained_on": "frozen encoder features"},
            "metrics": self.metrics_,
            "data": self.data_,
            "training": self.training_,
            "versions": _versions(),
        }

    def save(self, out) -> Path:
        """Write the model folder (safetensors + manifest.json), atomically."""
        tensors = {f"head.{k}": v for k, v in self.head_.state_dict().items()}
        return artifact.save(out, self.manifest(), tensors)

    @classmethod
    def load(cls, path) -> Predictor:
        """Read a model folder; only tensors and JSON are read, no code runs."""
        manifest, tensors = artifact.load(path)
        settings = manifest.get("training", {}).get("settings", {})
        self = cls(**{k: v for k, v in settings.items() if k in Settings.__dataclass_fields__})
        try:
            spec, head_spec = manifest["encoder"], dict(manifest["head"])
            self.classes_ = [str(c) for c in manifest["classes"]]
            self.encoder_ = ENCODERS[spec["kind"]](
                self.settings.workers, self.settings.max_pixels, self.settings.cache
            )
            head_spec.pop("trained_on", None)
            self.head_ = build_head(head_spec)
            state = {k.removeprefix("head."): v for k, v in tensors.items()}
            self.head_.load_state_dict(state, strict=True)
        except (KeyError, TypeError, ValueError, RuntimeError) as e:
            raise ModelFileError(
                f"{path} has an invalid manifest or weights ({type(e).__name__}: {e}); train the model again."
            ) from None
        if spec.get("weights_sha256") != self.encoder_.spec()["weights_sha256"]:
            raise ModelFileError(
                f"{path} was trained on other {spec.get('name')} weights than those installed; "
                f"reinstall {spec.get('package')} or train again."
            )
        self.head_.eval()
        self.metrics_, self.data_ = manifest.get("metrics", {}), manifest.get("data", {})
        self.training_ = manifest.get("training", {})
        return self


def _tensors(x: np.ndarray, y: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y)


def _as_list(inputs) -> list:
    return [inputs] if isinstance(inputs, (str, Path)) else list(inputs)


def _sorted_classes(names: list[str]) -> list[str]:
    unique = set(names)
    if all(n.lstrip("-").isdigit() for n in unique):
        return sorted(unique, key=int)
    return sorted(unique)


def _fingerprint(hashes: list[str], labels: list[str]) -> str:
    digest = hashlib.sha256()
    for h, label in sorted(zip(hashes, labels)):
        digest.update(f"{h}\t{label}\n".encode())
    return digest.hexdigest()


def _versions() -> dict:
    import onnxruntime  # noqa: PLC0415 - optional at import time elsewhere
    import sklearn

    return {
        "deepstart": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "onnxruntime": onnxruntime.__version__,
    }
