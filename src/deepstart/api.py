"""Predictor: the one facade the CLI and Python users share.
source -> examples -> encoder -> network (trained) -> artifact -> predictions."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from . import artifact
from .baselines import classical_from_saved
from .config import TASK_KINDS, Settings
from .data.sources import check_same_classes, read_labeled, read_unlabeled
from .encoders import encoder_from_spec
from .errors import ConfigError, DataError, ModelFileError
from .evaluate import classification_metrics, regression_metrics
from .exported import load_network
from .fitting import train_net
from .groups import group_metrics
from .leaderboard import compare_with_baselines, compare_with_tfidf
from .log import warn
from .models import check_net_reads
from .preparing import Preparation, check_fit_arguments, identity, inputs_at, noun_for, read_test
from .recipes import choose
from .report import report_html
from .report_mistakes import mistake_explanations, worst_mistakes
from .summary import MODEL_TITLES
from .train import predict_logits
from .train.checkpoint import Checkpoint
from .train.curves import training_curve_png
from .train.diagnostics import diagnose


class Predictor(Preparation):
    """Train, evaluate, save and load a classifier of images or texts.

    >>> p = Predictor().fit("photos/")          # photos/cats/*.jpg, photos/dogs/*.jpg
    >>> p.predict(["new.jpg"]); p.save("model/"); p = Predictor.load("model/")
    >>> p = Predictor().fit(reviews_df, target="sentiment"); p.predict(["a wonderful film"])
    """

    runtime_ = None  # for an exported model: its engine, and how the export was checked

    def __init__(self, **settings):
        self.settings = Settings(**settings)

    # -- training -------------------------------------------------------------
    def fit(
        self,
        data,
        y=None,
        *,
        target=None,
        test=None,
        val=None,
        images=None,
        text=None,
        task: str = "auto",
        checkpoint=None,
        resume: bool = False,
    ) -> Predictor:
        """Train on data: a folder of class subfolders, a table (CSV, TSV, Parquet, JSON
        Lines, or a DataFrame) of image files or texts with labels, an image array
        (N, H, W[, C]) with labels y, or a list of texts with labels y.

        test: separate labelled data for the final test (a path, or (X, y)); otherwise
        settings.test_size of data is held out (stratified). val: likewise, separate
        data to pick the best epoch and model; otherwise settings.val_size is held out.
        checkpoint: a folder for training state after every epoch; resume=True continues
        from it.
        """
        start, s = time.perf_counter(), self.settings
        check_fit_arguments(task, checkpoint, resume)
        if resume and not Checkpoint(checkpoint, {}).exists():
            raise ConfigError(f"No checkpoint to resume from in {checkpoint}; train without --resume.")
        kind, forced = TASK_KINDS.get(task, (task, None))
        examples = read_labeled(data, y, target, images, text, kind, None, forced)
        self.task_ = examples.task
        test_examples, val_examples = (
            read_test(part, target, images, text, examples) for part in (test, val)
        )
        if self.task_ != "regression":
            check_same_classes(examples, test_examples)
            check_same_classes(examples, val_examples)
        recipe = choose(examples, s)
        self.columns_ = examples.columns
        self.encoder_, self.recipe_ = recipe.encoder, recipe.describe()
        self.integer_labels_ = examples.integer_labels
        split = self._prepare(examples, test_examples, val_examples)
        self.target_scale_ = _scale_of(split.train[1]) if self.task_ == "regression" else None
        ckpt = (
            None if checkpoint is None else Checkpoint(checkpoint, identity(split, self.classes_, recipe, s))
        )
        if ckpt is not None and not resume and ckpt.exists():
            warn(
                f"Starting again: the checkpoint of an earlier interrupted run in {checkpoint} will be "
                "replaced (--resume continues it instead)."
            )
        n_out = 1 if self.task_ == "regression" else len(self.classes_)
        train_part, val_part = self._scaled(split.train), self._scaled(split.val)
        self.net_, self.history_ = train_net(recipe, n_out, train_part, val_part, s, ckpt, resume)
        self.net_spec_ = recipe.net_spec(n_out)
        self.classical_, self.choice_, self.leaderboard_ = None, "deep", []
        out = {part: self._deep_out(getattr(split, part)[0]) for part in ("val", "test")}
        title, seconds = MODEL_TITLES.get(recipe.name, recipe.name), time.perf_counter() - start
        if examples.kind == "text":
            self.classical_, self.leaderboard_, out = compare_with_tfidf(split, out, title, seconds)
        elif examples.kind in ("table", "sequence"):
            self.classical_, self.leaderboard_, out = compare_with_baselines(
                split, self.encoder_.design, out, title, seconds, s.seed
            )
        if self.leaderboard_:
            chosen = self.leaderboard_[0]["name"]
            self.choice_ = chosen if chosen in ("deep", "ensemble") else "classical"
        self.metrics_ = {
            name: self._score(getattr(split, part)[1], out[part])
            for name, part in (("validation", "val"), ("test", "test"))
        }
        test_items = (test_examples or examples).items  # what the test inputs are rows of, for tables
        self.worst_ = worst_mistakes(
            split.test[1], out["test"], split.inputs["test"], self.classes_, examples.kind, test_items
        )
        self.diagnostics_ = diagnose(
            self.net_,
            self.history_,
            self._scaled(split.sample_of_train(4096, s.seed)),
            val_part,
            self.classes_,
        )
        self.data_ = {"source": examples.origin, **split.describe()}
        self.data_["test_source"] = test_examples.origin if test_examples else None
        self.data_["validation_source"] = val_examples.origin if val_examples else None
        self.training_ = {"settings": s.to_dict(), "history": self.history_.to_dict()}
        self.training_["seconds"] = round(time.perf_counter() - start, 2)
        self._checkpoint = ckpt  # removed once the model is saved, not before
        return self

    # -- using the model ------------------------------------------------------
    def predict_proba(self, inputs) -> np.ndarray:
        """(N, n_classes) probabilities, columns in the order of classes_; for a
        regression model, (N,) predicted numbers."""
        examples, encoded = self._encode_unlabeled(inputs)
        if encoded.skipped:
            file, reason = encoded.skipped[0]
            fix = "a readable image" if examples.kind == "image" else "a text"
            raise DataError(f"{file}: {reason}; remove it or replace it with {fix}.")
        return self._outputs(encoded.features, inputs_at(examples, encoded.kept))

    def predict(self, inputs) -> list:
        """The most likely class of each input (an int where the labels were ints), or
        the predicted number (regression)."""
        out = self.predict_proba(inputs)
        if self.task_ == "regression":
            return [float(v) for v in out]
        labels = [self.classes_[k] for k in out.argmax(1)]
        return [int(c) for c in labels] if self.integer_labels_ else labels

    def predict_records(self, inputs, text: str | None = None) -> list[dict]:
        """One record per input: its label and probabilities (or predicted number), or
        why it was skipped. text: the column of texts when inputs are tables."""
        examples, encoded = self._encode_unlabeled(inputs, text)
        reasons = dict(encoded.skipped)
        outputs = dict(zip(encoded.kept, self._outputs(encoded.features, inputs_at(examples, encoded.kept))))
        n = len(examples.items)
        if examples.names:
            names = examples.names
        elif isinstance(inputs, np.ndarray) or examples.kind in ("table", "sequence"):
            array = isinstance(inputs, np.ndarray)
            names = [f"array[{i}]" if array else f"row {i + 1}" for i in range(n)]
        else:
            names = [str(item) for item in examples.items]
        records = []
        for i, name in enumerate(names):
            if i not in outputs:
                key = f"row {i + 1}" if examples.kind == "text" else name  # how encoders name skipped inputs
                records.append({"input": name, "error": reasons.get(key, "cannot be read")})
            elif self.task_ == "regression":
                records.append({"input": name, "prediction": float(outputs[i])})
            else:
                p = outputs[i]
                records.append(
                    {
                        "input": name,
                        "label": self.classes_[int(p.argmax())],
                        "probabilities": {c: float(v) for c, v in zip(self.classes_, p)},
                    }
                )
        return records

    def evaluate(self, data, y=None, *, target=None, images=None, text=None, group=None) -> dict:
        """Metrics on labelled data: accuracy, macro_f1, n, per_class, confusion_matrix;
        for regression mae, rmse, r2 and n. group: a column of a table model's data whose
        values split the rows into groups, each scored on its own ("groups")."""
        self._check_fitted()
        forced = self.task_ if self.encoder_.kind == "table" else None
        examples = read_labeled(data, y, target, images, text, self.encoder_.kind, self.columns_, forced)
        x, names, _, skipped, raw = self._encode(examples, "Reading the test data")
        truth, out = self._targets(names, examples.origin), self._outputs(x, raw)
        metrics = self._score(truth, out)
        metrics["skipped"] = [{"file": f, "reason": r} for f, r in skipped]
        if group is not None:
            metrics["groups"] = group_metrics(self, examples, group, truth, out)
        return metrics

    def _encode_unlabeled(self, inputs, text: str | None = None):
        kind = self._check_fitted().encoder_.kind
        column = text or (self.columns_ or {}).get("text")
        given = inputs if kind in ("text", "table", "sequence") else _as_list(inputs)
        examples = read_unlabeled(given, kind, column, (self.columns_ or {}).get("steps"))
        if kind == "table":  # a table may still hold the target: not an input
            examples.items = examples.items.drop(columns=[self.columns_["target"]], errors="ignore")
        return examples, self.encoder_.encode(examples.items, f"Predicting {noun_for(kind)}")

    def _outputs(self, x: np.ndarray, raw: list) -> np.ndarray:
        """From the chosen model (the deep one, the classical one, or their average):
        probabilities, or for regression predicted numbers."""
        if len(x) == 0:
            return np.zeros((0,) if self.task_ == "regression" else (0, len(self.classes_)), np.float32)
        parts = []
        if self.choice_ in ("deep", "ensemble"):
            parts.append(self._deep_out(x))
        if self.choice_ in ("classical", "ensemble"):
            parts.append(
                self.classical_.predict(raw if self.encoder_.kind == "text" else self.encoder_.design(x))
            )
        return np.mean(parts, axis=0).astype(np.float64 if self.task_ == "regression" else np.float32)

    def _deep_out(self, x: np.ndarray) -> np.ndarray:
        if self.runtime_:  # the exported network gives probabilities itself
            out = self.net_(x)
        else:
            logits = predict_logits(self.net_, torch.from_numpy(x))
            out = logits.numpy() if self.task_ == "regression" else torch.softmax(logits, dim=1).numpy()
        if self.task_ == "regression":
            mean, std = self.target_scale_
            return out[:, 0].astype(np.float64) * std + mean
        return out

    def _score(self, y: np.ndarray, out: np.ndarray) -> dict:
        if self.task_ == "regression":
            return regression_metrics(y, out)
        return classification_metrics(y, out.argmax(1), self.classes_)

    def _scaled(self, part: tuple) -> tuple:
        """(X, y) as the network learns it: regression targets standardised."""
        if self.task_ != "regression":
            return part
        mean, std = self.target_scale_
        return part[0], ((part[1] - mean) / std).astype(np.float32)

    def _check_fitted(self) -> Predictor:
        if not hasattr(self, "net_"):
            raise ModelFileError("This Predictor is not trained yet; call fit() or Predictor.load() first.")
        return self

    # -- the artifact ---------------------------------------------------------
    def manifest(self) -> dict:
        self._check_fitted()
        return {
            "task": self.task_,
            "label_type": "int" if self.integer_labels_ else "str",
            "target_scale": self.target_scale_,
            "modality": self.encoder_.kind,
            "classes": self.classes_,
            "model": self.recipe_,
            "choice": self.choice_,
            "leaderboard": self.leaderboard_,
            "worst_mistakes": getattr(self, "worst_", []),
            "columns": self.columns_,
            "encoder": self.encoder_.spec(),
            "net": self.net_spec_,
            "classical": self.classical_.spec() if self.classical_ else None,
            "metrics": self.metrics_,
            "diagnostics": self.diagnostics_,
            "data": self.data_,
            "training": self.training_,
            "versions": artifact.versions(),
        }

    def save(self, out) -> Path:
        """Write the model folder (safetensors, manifest.json, training curve), atomically."""
        if self._check_fitted().runtime_:
            raise ConfigError("An exported model is written by `deepstart export`, not saved again.")
        history = self.training_.get("history", {})
        files = (
            {artifact.CURVE: training_curve_png(history["epochs"], history["best_epoch"])}
            if history.get("epochs")
            else {}
        )
        tensors = {f"net.{k}": v for k, v in self.net_.state_dict().items()}
        if self.classical_ is not None:
            tensors |= {f"classical.{k}": v for k, v in self.classical_.tensors().items()}
        manifest = self.manifest()
        files[artifact.REPORT] = report_html(
            manifest, files.get(artifact.CURVE), mistake_explanations(self)
        ).encode()
        path = artifact.save(out, manifest, tensors, files)
        if getattr(self, "_checkpoint", None) is not None:
            self._checkpoint.remove()  # the run is safe in the model now
        return path

    @classmethod
    def load(cls, path) -> Predictor:
        """Read a model folder; only tensors and JSON are read, no code runs."""
        manifest, tensors = artifact.load(path)
        trained_with = manifest["training"].get("settings", {})
        machine = {"workers", "cache", "max_pixels"}  # this machine's, not the training machine's
        self = cls(
            **{
                k: v
                for k, v in trained_with.items()
                if k in Settings.__dataclass_fields__ and k not in machine
            }
        )
        s = self.settings
        try:
            self.classes_ = [str(c) for c in manifest["classes"]]
            self.integer_labels_ = manifest.get("label_type") == "int"
            self.task_ = manifest.get("task", "classification")
            scale = manifest.get("target_scale")
            self.target_scale_ = (float(scale[0]), float(scale[1])) if self.task_ == "regression" else None
            self.encoder_ = encoder_from_spec(manifest["encoder"], s.workers, s.max_pixels, s.cache)
            self.net_spec_, self.recipe_ = dict(manifest["net"]), manifest["model"]
            n_out = 1 if self.task_ == "regression" else len(self.classes_)
            if self.task_ not in ("classification", "regression") or self.net_spec_.get("n_classes") != n_out:
                raise ValueError(f"{n_out} classes but a network for {self.net_spec_.get('n_classes')}")
            check_net_reads(self.net_spec_, self.encoder_)
            self.runtime_ = manifest.get("runtime")  # an exported model: its network runs in ONNX Runtime
            self.net_ = load_network(path, self.runtime_, self.net_spec_, tensors)
            self.choice_, self.leaderboard_ = manifest.get("choice", "deep"), manifest.get("leaderboard", [])
            self.columns_ = manifest.get("columns")
            self.worst_ = list(manifest.get("worst_mistakes") or [])
            spec = manifest.get("classical")
            self.classical_ = classical_from_saved(spec, _part(tensors, "classical.")) if spec else None
            if self.classical_ is not None and self.encoder_.kind in ("table", "sequence"):
                if self.classical_.n_features != self.encoder_.design_width:
                    raise ValueError("a classical model for other columns than the encoder's")
                wanted = ("identity",) if self.task_ == "regression" else ("softmax", "probabilities")
                if self.classical_.n_outputs != n_out or self.classical_.link not in wanted:
                    raise ValueError(
                        f"a classical model with {self.classical_.n_outputs} outputs for {n_out}"
                    )
            if self.choice_ not in ("deep", "classical", "ensemble") or (
                self.choice_ != "deep" and self.classical_ is None
            ):
                raise ValueError(f"the chosen model {self.choice_!r} is not in the file")
        except ModelFileError:
            raise
        except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as e:
            raise ModelFileError(
                f"{path} has an invalid manifest or weights ({type(e).__name__}: {e}); train the model again."
            ) from None
        expected = manifest["encoder"].get("weights_sha256")
        if expected and expected != self.encoder_.spec().get("weights_sha256"):
            raise ModelFileError(
                f"{path} was trained on other pretrained weights than those installed; "
                f"reinstall {manifest['encoder'].get('package')} or train again."
            )
        self.metrics_, self.data_ = manifest.get("metrics", {}), manifest.get("data", {})
        self.diagnostics_, self.training_ = manifest.get("diagnostics", []), manifest.get("training", {})
        return self


def load_model(path):
    """A Predictor, or for a forecaster's folder a Forecaster (deepstart.forecast)."""
    manifest, tensors = artifact.load(path)
    if manifest.get("task") == "forecasting":
        from .forecast import Forecaster

        model = Forecaster.load(path, manifest, tensors)
    else:
        model = Predictor.load(path)
    model.manifest_task = manifest.get("task")
    return model


def _scale_of(y: np.ndarray) -> tuple[float, float]:
    return float(y.mean()), float(y.std()) or 1.0


def _part(tensors: dict, prefix: str) -> dict:
    return {k.removeprefix(prefix): v for k, v in tensors.items() if k.startswith(prefix)}


def _as_list(inputs):
    if isinstance(inputs, np.ndarray):
        return inputs
    return [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
