"""Predictor: the facade the CLI and Python users share, for classes or numbers.
detect -> read -> choose recipe -> prepare -> fit -> select -> record -> save; then
load -> predict / evaluate. What differs between kinds of data, the modality says."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from . import artifact
from .budget import within
from .data.labels import binned
from .errors import ConfigError, DataError, ModelFileError, check_is_fitted
from .modalities import REGISTRY, Modality, read_labeled, read_unlabeled
from .pipeline import stored
from .pipeline.plan import Plan
from .pipeline.prepare import Targets, encode
from .pipeline.train import group_scores, run
from .report.mistakes import explained
from .report.page import report_html
from .report.plots import training_curve_png
from .report.text import group_text, metrics_text, train_summary
from .settings import Settings
from .train import predict_logits


class Predictor:
    """Train, evaluate, save and load a classifier (or regressor) of images, texts, table
    rows or sequences.

    >>> p = Predictor().fit("photos/")          # photos/cats/*.jpg, photos/dogs/*.jpg
    >>> p.predict(["new.jpg"]); p.save("model/"); p = Predictor.load("model/")
    >>> p = Predictor().fit(reviews_df, target="sentiment"); p.predict(["a wonderful film"])
    """

    runtime_ = None  # for an exported model: its engine, and how the export was checked
    _checkpoint = None  # while training with checkpoints: removed once the model is saved
    test_records_: list = []  # after fit: each test example's truth and prediction (not saved)
    deep_weight_ = 0.5  # the network's share of an ensemble's outputs
    selection_ = None  # how the kept model was chosen, when not on the validation rows
    tuning_ = None  # after deepstart tune: the search's record (tune/page.py)
    forecasts = False  # a label or a number per input

    def __init__(self, **settings):
        self.settings = Settings(**settings)

    @property
    def modality(self) -> Modality:
        return REGISTRY[self._fitted().encoder_.kind]

    @property
    def task(self) -> str:
        return self._fitted().task_

    @property
    def targets_(self) -> Targets:
        return Targets(self.task_, self.classes_)

    # -- training -------------------------------------------------------------
    def fit(self, data, y=None, *, task: str = "auto", **options) -> Predictor:
        """Train on data: a folder of class subfolders, a table (CSV, TSV, Parquet, JSON
        Lines, or a DataFrame) of image files, texts or rows with labels, an image array
        (N, H, W[, C]) or sequences (N, steps) with labels y, or a list of texts with labels y.

        Options (pipeline.plan.Plan): target, images, text; test, val: separate labelled
        data for the final test and for picking the best epoch and model (a path, or (X, y);
        otherwise settings.test_size and val_size of data are held out, stratified);
        checkpoint: a folder for training state after every epoch, resume=True continues
        from it; group: a column whose values split the test examples into groups, each
        scored on its own; bins: numbers as named groups ("Young<30,Middle<50,Old"), which
        become the classes; balance: a column whose groups count equally in training (the
        metrics per group before and after are kept); group_split: hold out whole groups
        (speakers, patients) for the test and validation parts (pipeline.groups).
        """
        return self.train(Plan(data, y, task=task, settings=self.settings.to_dict(), **options))

    def train(self, plan: Plan) -> Predictor:
        """Train as the plan says (pipeline.train.run: the steps, in order)."""
        modality = plan.modality()
        if modality.trainer != "predictor":
            raise ConfigError(
                f"{modality.noun.capitalize()} are not trained by deepstart.Predictor; use "
                f"{_trainer_name(modality.trainer)}, or deepstart train, which chooses."
            )
        with within(self.settings.time_limit, plan.started):
            return run(plan, self)

    # -- using the model ------------------------------------------------------
    def predict_proba(self, inputs) -> np.ndarray:
        """(N, n_classes) probabilities, columns in the order of classes_; for a
        regression model, (N,) predicted numbers."""
        examples, encoded = self._encode_new(inputs)
        if encoded.skipped:
            file, reason = encoded.skipped[0]
            raise DataError(f"{file}: {reason}; remove it or replace it with {self.modality.readable}.")
        return self.outputs(encoded.features, self.modality.raw(examples, encoded.kept))

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
        examples, encoded = self._encode_new(inputs, text)
        modality, reasons = self.modality, dict(encoded.skipped)
        found = self.outputs(encoded.features, modality.raw(examples, encoded.kept))
        outputs = dict(zip(encoded.kept, found))
        records = []
        for i, name in enumerate(modality.input_names(examples)):
            if i not in outputs:
                records.append(
                    {"input": name, "error": reasons.get(modality.skipped_key(name, i), "cannot be read")}
                )
            elif self.task_ == "regression":
                records.append({"input": name, "prediction": float(outputs[i])})
            else:
                p = outputs[i]
                probabilities = {c: float(v) for c, v in zip(self.classes_, p)}
                records.append(
                    {"input": name, "label": self.classes_[int(p.argmax())], "probabilities": probabilities}
                )
        return records

    def evaluate(self, data, y=None, *, target=None, images=None, text=None, group=None) -> dict:
        """Metrics on labelled data: accuracy, macro_f1, n, per_class, confusion_matrix;
        for regression mae, rmse, r2 and n. group: a column of the data whose values split
        the examples into groups, each scored on its own ("groups")."""
        modality = self.modality
        bins = (self.columns_ or {}).get("bins")
        task = "regression" if bins else self.task_  # the numbers, grouped below as in training
        examples = binned(
            read_labeled(data, y, target, images, text, modality.name, self.columns_, task), bins
        )
        part = encode(self.encoder_, examples, "Reading the test data", new_data=True)
        truth, out = self.targets(part.names, examples.origin), self.outputs(part.x, part.raw)
        metrics = self.score(truth, out)
        metrics["skipped"] = [{"file": f, "reason": r} for f, r in part.skipped]
        if group is not None:
            values = modality.group_values(examples, group)
            metrics["groups"] = group_scores(self, values, part.kept, group, truth, out)
        return metrics

    def _encode_new(self, inputs, text: str | None = None):
        columns = dict(self._fitted().columns_ or {}) | ({"text": text} if text else {})
        examples = read_unlabeled(inputs, self.encoder_.kind, columns)
        noun = self.modality.noun
        return examples, self.encoder_.encode(examples.items, f"Predicting {noun}", new_data=True)

    @staticmethod
    def summary(manifest: dict, out: str | None = None) -> str:
        """What a manifest's model is, how it was trained and how good it is, in words."""
        return train_summary(manifest, out)

    def metrics_lines(self, metrics: dict) -> list[str]:
        """evaluate's figures in words."""
        noun = self.modality.noun
        return metrics_text(metrics, noun) + group_text(metrics.get("groups"), noun)

    # -- the steps every use of the model shares (export and explain use them too) ---
    def encode(self, examples, desc: str = "Checking"):
        """Labelled examples through the model's encoder (pipeline.prepare.Part)."""
        return encode(self.encoder_, examples, desc)

    def outputs(self, x: np.ndarray, raw: list) -> np.ndarray:
        """From the kept model (the deep one, the classical one, or their average):
        probabilities, or for regression predicted numbers."""
        if len(x) == 0:
            return np.zeros((0,) if self.task_ == "regression" else (0, len(self.classes_)), np.float32)
        parts = []
        if self.choice_ in ("deep", "ensemble"):
            parts.append(self.network_outputs(x))
        if self.choice_ in ("classical", "ensemble"):
            parts.append(self.classical_.predict(self.modality.classical_inputs(self.encoder_, x, raw)))
        out = (
            parts[0] if len(parts) == 1 else self.deep_weight_ * parts[0] + (1 - self.deep_weight_) * parts[1]
        )
        return out.astype(np.float64 if self.task_ == "regression" else np.float32)

    def network_outputs(self, x: np.ndarray, net=None) -> np.ndarray:
        """The network's own outputs (the kept network's, or net's): probabilities, or
        numbers in the target's units."""
        if self.runtime_:  # the exported network gives probabilities itself
            out = self.net_(x)
        else:
            logits = predict_logits(net or self.net_, torch.from_numpy(x), self.encoder_.layout)
            out = logits.numpy() if self.task_ == "regression" else torch.softmax(logits, dim=1).numpy()
        if self.task_ == "regression":
            mean, std = self.target_scale_
            return out[:, 0].astype(np.float64) * std + mean
        return out

    def targets(self, names: list[str], origin: str) -> np.ndarray:
        """Class indices of labels, or the numbers to predict."""
        return self.targets_.of(names, origin)

    def score(self, y: np.ndarray, out: np.ndarray) -> dict:
        return self.targets_.score(y, out)

    def _fitted(self) -> Predictor:
        return check_is_fitted(self)

    # -- the artifact ---------------------------------------------------------
    def manifest(self) -> dict:
        return stored.manifest_of(self._fitted())

    def save(self, out, files: dict | None = None) -> Path:
        """Write the model folder (safetensors, manifest.json, training curve, report), atomically;
        files: more {name: bytes} (tune's page)."""
        if self._fitted().runtime_:
            raise ConfigError("An exported model is written by `deepstart export`, not saved again.")
        history, files = self.training_.get("history", {}), dict(files or {})
        if history.get("epochs"):
            files[artifact.CURVE] = training_curve_png(history["epochs"], history["best_epoch"])
        tensors, manifest = stored.tensors_of(self), self.manifest()
        files[artifact.REPORT] = report_html(manifest, files.get(artifact.CURVE), explained(self)).encode()
        path = artifact.save(out, manifest, tensors, files)
        if self._checkpoint is not None:
            self._checkpoint.remove()  # the run is safe in the model now
        return path

    @classmethod
    def load(cls, path, manifest: dict | None = None, tensors: dict | None = None) -> Predictor:
        """Read a model folder; only tensors and JSON are read, no code runs."""
        if manifest is None:
            manifest, tensors = artifact.load(path)
        self = cls.__new__(cls)
        artifact.restore(path, lambda: stored.restore(self, path, manifest, tensors))
        expected = manifest["encoder"].get("weights_sha256")
        if expected and expected != self.encoder_.spec().get("weights_sha256"):
            raise ModelFileError(
                f"{path} was trained on other pretrained weights than those installed; "
                f"reinstall {manifest['encoder'].get('package')} or train again."
            )
        self.metrics_, self.data_ = manifest.get("metrics", {}), manifest.get("data", {})
        self.diagnostics_, self.training_ = manifest.get("diagnostics", []), manifest.get("training", {})
        return self


def _trainer_name(trainer: str) -> str:
    """How a user names a trainer (Modality.trainer): deepstart.Forecaster for deepstart's
    own by name, else its dotted path ("package.module:Class" -> package.module.Class)."""
    return trainer.replace(":", ".") if ":" in trainer else f"deepstart.{trainer.capitalize()}"
