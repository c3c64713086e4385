"""Object detection: where things are in a photo, and what they are. Photos with boxes in
the layouts people have (Pascal VOC, COCO, YOLO, a CSV of boxes), recognised without
flags; a detection head trained on a frozen pretrained network's maps (deepstart.Detector,
its own trainer); boxes drawn, scored as COCO does, served and exported to ONNX."""

from __future__ import annotations

from ..base import Modality, Role
from ..given import Given
from . import read


class Detection(Modality):
    name = "detection"
    trainer = "deepstart.modalities.detection.detector:Detector"  # boxes per photo, not a label per input
    noun = "photos"
    skipped_noun = "files"
    usable = "a usable photo"
    readable = "a readable photo"
    none_read = "No input could be read as a photo; give image files (JPEG, PNG, ...)."
    predict_example = "<photo> --draw boxes/"
    models = {
        "boxes": (
            "EfficientNet-Lite0 pretrained on ImageNet (frozen) + an anchor-free detection head",
            "boxes",
        )
    }
    service = Role("serve", "DetectionService")
    explainer = None  # the boxes drawn are what it says; no heatmaps yet
    exporter = Role("export", "DetectionExporter")

    def recognizes(self, given: Given) -> bool:
        """A folder or a table that holds boxes in a layout read.py knows (or --task detection)."""
        if given.form not in ("folder", "table"):
            return False
        return given.kind == self.name or read.layout_of(given) is not None

    def read_labeled(self, given: Given):
        return read.read_labeled(given)

    def read_unlabeled(self, inputs, columns: dict):
        return read.read_unlabeled(inputs)

    def summarize(self, given: Given, root, max_pixels: int) -> dict:
        from .describe import summarize

        return summarize(self, given, root, max_pixels)

    def encoder_classes(self) -> tuple:
        from .encoders import BoxFeatureEncoder, PhotoPixels

        return BoxFeatureEncoder, PhotoPixels


MODALITY = Detection()
