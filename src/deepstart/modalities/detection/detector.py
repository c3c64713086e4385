"""Detector: the facade for object detection, beside Predictor and Forecaster. Photos with
boxes in any layout (read.py) -> the pretrained network's maps (encoders.py) -> a head that
finds the objects (head.py, trained by the shared loop with targets.py's loss) -> boxes,
scored as COCO scores them (metrics.py). deepstart.loading finds it through the modality's
trainer, "deepstart.modalities.detection.detector:Detector"."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from ... import artifact
from ...budget import current, within
from ...errors import ConfigError, DataError, check_is_fitted
from ...settings import Settings
from ..given import Given
from . import fitting, targets
from .boxes import Photos
from .draw import write_drawn
from .head import decoded
from .metrics import best_threshold, coco_scores, counted, misses
from .read import KIND, read_labeled, read_unlabeled
from .report import metrics_text, summary_text
from .stored import load_detector, manifest_of, save_detector

CORNERS = ("xmin", "ymin", "xmax", "ymax")  # a box's columns in predict's rows
WORST = 6  # test photos drawn in the report: those with the most boxes missed or false


class Detector:
    """Train, evaluate, save and load a detector of objects in photos.

    >>> d = Detector().fit("cells/")            # Pascal VOC, COCO, YOLO or a CSV of boxes
    >>> d.predict(["new.jpg"]); d.save("model/"); d = Detector.load("model/")
    """

    runtime_ = None  # for an exported model: its engine, and how the export was checked
    test_records_: list = []  # boxes have no confusion matrix to click through
    forecasts = False
    one_row_per_input = False  # predict's rows: one per box (predict --cluster writes one per input)
    task = "detection"
    kind_ = KIND

    def __init__(self, **settings):
        self.settings = Settings(**settings)

    @property
    def modality(self):
        from .. import REGISTRY

        return REGISTRY[self.kind_]

    # -- training -------------------------------------------------------------
    def fit(self, data, *, test=None, val=None, images=None) -> Detector:
        """Train on photos with boxes: a folder (Pascal VOC, COCO, YOLO, or a CSV of boxes
        beside the photos) or a CSV of boxes; test, val: other labelled photos to test on
        and to choose the epoch on (otherwise the layout's own split, or shares of data)."""
        given = Given(data, images=images, kind=KIND)
        with within(self.settings.time_limit):
            return self._fit(given, test, val)

    def train(self, plan) -> Detector:
        """Train as the plan (pipeline.plan.Plan) says; what a detector does not do is refused first."""
        _check_plan(plan, self.settings)
        with within(self.settings.time_limit, plan.started):
            return self._fit(plan.given, plan.test, plan.val)

    def _fit(self, given: Given, test, val) -> Detector:
        start, s = time.perf_counter(), self.settings
        examples = read_labeled(given)
        self.classes_ = sorted({b.label for boxes in examples.labels for b in boxes})
        if not self.classes_:
            raise DataError(f"{examples.origin} has no boxes to learn from; see the lines above.")
        photos = fitting.split(examples, s, self._held(test, "test"), self._held(val, "val"))
        self.test_source_ = str(test) if isinstance(test, (str, Path)) else None
        recipe = fitting.recipe_for(photos["train"], self.classes_, s)
        self.encoder_, self.net_spec_ = recipe.encoder, dict(recipe.net) | {"n_classes": len(self.classes_)}
        self.recipe_ = recipe.describe()
        parts = {
            name: fitting.Part(
                p,
                self.encoder_.encode(
                    p.items, f"Reading the {name} photos", mirrors=name == "train" and s.augment
                ),
            )
            for name, p in photos.items()
        }
        for name, part in parts.items():
            if not part.features.kept:
                raise DataError(f"None of the {name} photos could be read; see the lines above.")
        train = fitting.arrays(parts["train"], self.encoder_, self.classes_, mirrors=s.augment)
        val_arrays = fitting.arrays(parts["val"], self.encoder_, self.classes_, mirrors=False)
        self.net_, history = fitting.train_head(self, recipe, train, val_arrays)
        deep_seconds = fitting.seconds_since(start)
        self.threshold_ = best_threshold(parts["val"].truth, self._found(parts["val"].features))
        self.metrics_ = {"validation": self._scores(parts["val"]), "test": self._scores(parts["test"])}
        self._record(examples, parts, history, deep_seconds, start)
        return self

    def _held(self, source, what: str) -> Photos | None:
        if source is None:
            return None
        found = read_labeled(Given(source, kind=KIND))
        return self._known(found, f"--{what}")

    def _known(self, photos: Photos, where: str) -> Photos:
        """The photos with only the boxes of classes the model knows (the rest said in one line)."""
        from .boxes import Problems

        problems = Problems(known=f"the model does not know (it knows {', '.join(self.classes_[:8])})")
        for boxes, file in zip(photos.labels, photos.items):
            for b in boxes:
                if b.label not in self.classes_:
                    problems.add("unknown", f"'{b.label}' in {Path(file).name}")
        problems.say()
        photos.labels = [[b for b in boxes if b.label in self.classes_] for boxes in photos.labels]
        return photos

    def _scores(self, part: fitting.Part) -> dict:
        found = self._found(part.features)
        scores = coco_scores(part.truth, found, self.classes_)
        counted(part.truth, found, self.threshold_, scores["per_class"])
        scales = [self.encoder_.scale(size) for size in part.features.sizes]
        scores["misses"] = misses(part.truth, found, self.threshold_, scales)
        per_photo = scores["misses"].pop("per_photo")
        order = sorted(range(len(found)), key=lambda i: -(per_photo[i]["missed"] + per_photo[i]["false"]))
        scores["worst"] = [
            {"file": str(part.files[i]), **per_photo[i], "truth": [b.as_dict() for b in part.truth[i]],
             "found": [d for d in found[i] if d["score"] >= self.threshold_]}
            for i in order[:WORST] if per_photo[i]["missed"] + per_photo[i]["false"]
        ]  # fmt: skip
        return scores

    def _record(self, examples: Photos, parts: dict, history, deep_seconds: float, start: float) -> None:
        n_boxes = sum(len(b) for b in parts["train"].truth)
        scores = {f"{k}_{m}": self.metrics_[k][m] for k in ("validation", "test") for m in ("map50", "map")}
        row = {"model": self.modality.model_name("boxes"), "name": "deep", "seconds": deep_seconds}
        self.leaderboard_ = [row | {"chosen": True} | scores]
        self.choice_ = "deep"
        skipped = [{"file": f, "reason": r} for p in parts.values() for f, r in p.features.skipped]
        self.data_ = {
            "source": examples.origin, "layout": examples.layout, "fingerprint": fitting.fingerprint(parts),
            "n_train": len(parts["train"].features.kept), "n_validation": len(parts["val"].features.kept),
            "n_test": len(parts["test"].features.kept), "n_train_boxes": n_boxes, "skipped": skipped,
            "split": "the data set's own" if any(examples.parts) else "at random",
            "test_source": self.test_source_,
        }  # fmt: skip
        self.history_ = history
        self.training_ = {
            "settings": self.settings.recorded(),
            "history": history.to_dict(),
            "seconds": fitting.seconds_since(start),
        }
        if current().limited:
            self.training_["budget"] = current().record()
        self.columns_ = None
        self.diagnostics_ = []

    # -- using the model ------------------------------------------------------
    def _found(self, features) -> list[list[dict]]:
        """Per photo: its boxes [{"label", "score", "box": [x0, y0, x1, y1]}], best first."""
        return self.found_in(self.outputs(features), features.sizes)

    def outputs(self, features) -> np.ndarray:
        """(N, L, 4 + K): the network's box and class scores at every place of its grid, in
        PyTorch or (exported) in ONNX Runtime."""
        (rows, cols), _ = self.encoder_.grids
        k, n = len(self.classes_), len(features.x)
        if self.runtime_:
            return self.net_(features.x).reshape(n, rows * cols, 4 + k)
        with torch.no_grad():
            parts = [
                decoded(self.net_(torch.from_numpy(features.x[s : s + 32])), rows, cols).numpy()
                for s in range(0, n, 32)
            ]
        return np.concatenate(parts) if parts else np.zeros((0, rows * cols, 4 + k), np.float32)

    def found_in(self, outputs: np.ndarray, sizes) -> list[list[dict]]:
        """Per photo of size (width, height): the boxes kept from its outputs, in its pixels."""
        found = []
        for o, size in zip(outputs, sizes):
            kept = targets.kept(o, len(self.classes_), self.encoder_.scale(size), size)
            found.append(
                [{"label": self.classes_[c], "score": round(p, 4), "box": [float(v) for v in box]}
                 for c, p, box in kept]
            )  # fmt: skip
        return found

    def detect(self, inputs) -> tuple[list[str], list[list[dict] | str]]:
        """(a name for each photo, its boxes scoring at least the threshold, or why it was skipped)."""
        examples = read_unlabeled(inputs)
        return self._detect(examples)

    def _detect(self, examples) -> tuple[list[str], list[list[dict] | str]]:
        features = check_is_fitted(self).encoder_.encode(examples.items, "Finding objects")
        names = self.modality.input_names(examples)
        reasons = dict(features.skipped)
        found = dict(zip(features.kept, self._found(features)))
        answers = [
            [d for d in found[i] if d["score"] >= self.threshold_]
            if i in found
            else reasons.get(name, "cannot be read")
            for i, name in enumerate(names)
        ]
        return names, answers

    def draw(self, inputs, folder, records: list[dict] | None = None) -> list[Path]:
        """Each photo with the boxes found, as a PNG in folder (predict --draw); records:
        predict_records' rows for these inputs, where already found."""
        examples = read_unlabeled(inputs)
        if records is None:
            names, answers = self._detect(examples)
        else:
            names, by_name = self.modality.input_names(examples), {}
            for r in records:
                boxes = by_name.setdefault(r["file"], r.get("error") or [])
                if r.get("label") is not None and not isinstance(boxes, str):
                    boxes.append({"label": r["label"], "score": r["score"], "box": [r[k] for k in CORNERS]})
            answers = [by_name.get(name, "not found") for name in names]
        return write_drawn(Path(folder), names, examples.items, answers, self.classes_)

    def predict(self, inputs) -> list[list[dict]]:
        """Per photo, its boxes: [{"label", "score", "box": [x0, y0, x1, y1] in pixels}]."""
        names, answers = self.detect(inputs)
        for name, a in zip(names, answers):
            if isinstance(a, str):
                raise DataError(f"{name}: {a}; remove it or replace it with a readable photo.")
        return answers

    def predict_records(self, inputs, text=None) -> list[dict]:
        """One row per box (file, label, score, xmin, ymin, xmax, ymax); a photo without a
        box found is one row of its name alone, a skipped one its name and why."""
        rows = []
        for name, answer in zip(*self.detect(inputs)):
            if isinstance(answer, str):
                rows.append({"file": name, "error": answer})
                continue
            empty = {
                "file": name,
                "label": None,
                "score": None,
                "xmin": None,
                "ymin": None,
                "xmax": None,
                "ymax": None,
            }
            rows += [
                {"file": name, "label": d["label"], "score": d["score"], **dict(zip(CORNERS, d["box"]))}
                for d in answer
            ] or [empty]  # fmt: skip
        return rows

    def evaluate(self, data, target=None, images=None, text=None, group=None, **options) -> dict:
        """COCO's map50 and map, per class (ap50, ap, n boxes, found), n photos, and what
        it misses, on photos with boxes in any layout."""
        if target is not None or text is not None or group is not None or any(options.values()):
            raise ConfigError(
                "A detector is evaluated on photos with boxes as they are; drop --target, --text and --group "
                "(scores per group are not measured for boxes yet)."
            )
        photos = self._known(read_labeled(Given(data, images=images, kind=KIND)), str(data))
        features = check_is_fitted(self).encoder_.encode(
            photos.items, "Reading the test photos", new_data=True
        )
        scores = self._scores(fitting.Part(photos, features))
        scores["skipped"] = [{"file": f, "reason": r} for f, r in features.skipped]
        return scores

    @staticmethod
    def summary(manifest: dict, out: str | None = None) -> str:
        return summary_text(manifest, out)

    def metrics_lines(self, metrics: dict) -> list[str]:
        return metrics_text(metrics)

    # -- the artifact ---------------------------------------------------------
    def manifest(self) -> dict:
        return manifest_of(check_is_fitted(self))

    def save(self, out) -> Path:
        if check_is_fitted(self).runtime_:
            raise ConfigError("An exported model is written by `deepstart export`, not saved again.")
        return save_detector(self, out)

    @classmethod
    def load(cls, path, manifest: dict | None = None, tensors: dict | None = None) -> Detector:
        """Read a detector's folder; only tensors and JSON are read, no code runs."""
        if manifest is None:
            manifest, tensors = artifact.load(path)
        self = cls.__new__(cls)
        artifact.restore(path, lambda: load_detector(self, path, manifest, tensors))
        return self


def _check_plan(plan, s: Settings) -> None:
    """What a detector does not do, refused in one line before any work."""
    if s.cluster or s.cluster_storage:
        raise ConfigError("A detector trains on one machine: --cluster is not used for boxes yet; drop it.")
    given = plan.given_options("target", "text", "resume", "group", "bins", "balance", "group_split", "y")
    given += plan.given_options("time", "id", "horizon", "season")
    if given:
        raise ConfigError(
            f"A detector learns from photos with boxes as they are: {', '.join(given)} "
            "(for labels per input, scores per group, series) are not used for boxes yet; drop them."
        )
