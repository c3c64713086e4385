"""A detector as one ONNX network from pixels to boxes and scores: the pretrained backbone,
the trained head and the decoding of its outputs into boxes, in one graph; what follows it
(keeping boxes by score, non-maximum suppression, scaling boxes back to the photo) is done by
deepstart and written in the export's notes. The export is checked by its mAP at IoU 0.5 on
labelled photos, beside the largest difference of its outputs from PyTorch's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ...errors import ConfigError
from ...onnx.graph import to_onnx
from ..exporter import Exporter
from ..given import Given
from . import fitting
from .encoders import PhotoPixels, build_backbone
from .head import Detections
from .metrics import coco_scores
from .read import KIND, read_labeled
from .targets import MAX_BOXES, MIN_SCORE, OVERLAP

CALIBRATION = 32  # training photos that set the int8 ranges of the network's activations


class DetectionExporter(Exporter):
    int8 = "static"  # convolutions keep their accuracy with int8 activations, calibrated

    def float_nodes(self, graph: bytes) -> tuple[str, ...]:
        """What turns the head's outputs into boxes and scores (exp, sigmoid, sqrt; the nodes
        outside the backbone and the head) and the head's last convolutions stay in floats:
        in int8 every score came out as one of a few steps (measured: all 0.6253 on shapes),
        and with dynamic quantisation BCCD's mAP@0.5 fell from 0.816 to 0.532."""
        import onnx

        last = ("/head/score/", "/head/sides/", "/head/centre/")
        nodes = onnx.load_from_string(graph).graph.node
        return tuple(
            n.name
            for n in nodes
            if not n.name.startswith(("/backbone/", "/head/")) or n.name.startswith(last)
        )

    def export_graph(self, model, check) -> tuple[bytes, dict]:
        e = model.encoder_
        pixels = PhotoPixels(e.width, e.height, e.workers, e.max_pixels)
        network = Detections(build_backbone(), model.net_).eval()
        example = {"input": torch.zeros(1, 3, e.height, e.width, dtype=torch.uint8)}
        return to_onnx(network, example).SerializeToString(), pixels.spec()

    def export_notes(self, model) -> list[str]:
        (rows, cols), _ = model.encoder_.grids
        k, e = len(model.classes_), model.encoder_
        return [
            f"the ONNX network reads a photo scaled to fit {e.width}x{e.height} (its shape kept, top left, "
            "the rest "
            f"grey 128) as uint8 pixels (N, 3, {e.height}, {e.width}) and gives, for each of the "
            f"{rows}x{cols} places "
            f"of its grid, a box (x0, y0, x1, y1 in those pixels) and the {k} classes' scores: (N, "
            f"{rows * cols} x "
            f"{4 + k}); deepstart then keeps boxes scoring at least {MIN_SCORE}, removes those overlapping "
            "a better "
            f"one of their class by more than {OVERLAP} IoU (at most {MAX_BOXES} a photo), keeps those "
            "scoring at "
            f"least {model.threshold_:.2f}, and divides the boxes by the photo's scale"
        ]

    def check(self, model, manifest: dict, data, columns: dict):
        return DetectionCheck(model, manifest, data, columns)


class DetectionCheck:
    """Labelled photos to check an export on (--data, or the model's validation photos
    rebuilt from its training data), and training photos to calibrate int8 on."""

    def __init__(self, p, manifest: dict, data, columns: dict):
        self.p = p
        source = data or manifest["data"].get("source")
        if not source or not Path(str(source)).exists():
            raise ConfigError(
                f"The training photos ({source}) are not here to check the export on; give --data with "
                "photos "
                "and their boxes."
            )
        photos = p._known(read_labeled(Given(source, images=columns.get("images"), kind=KIND)), str(source))
        if data:
            self.examples, self.label = photos, f"{data} ({len(photos.items):,} photos)"
            picks = photos
        else:
            held = manifest["data"].get("test_source")
            parts = fitting.split(photos, p.settings, _read(p, held), None)
            self.examples, picks = parts["val"], parts["train"]
            self.label = f"the validation photos of {source} ({len(self.examples.items):,} photos)"
        self.calibration = fitting._take(picks, range(min(CALIBRATION, len(picks.items))))
        self.calibrated_on = f"{len(self.calibration.items)} {'training ' * (not data)}photos"
        self.reference = self._outputs(p)

    def _outputs(self, model) -> tuple[np.ndarray, float]:
        """(the network's boxes and scores at every place, the mAP at IoU 0.5 of the kept boxes)."""
        features = model.encoder_.encode(self.examples.items, "Checking")
        raw = model.outputs(features)
        truth = [self.examples.labels[i] for i in features.kept]
        return raw, coco_scores(truth, model.found_in(raw, features.sizes), model.classes_)["map50"]

    def compare(self, exported) -> dict:
        (before, score), (after, score_after) = self.reference, self._outputs(exported)
        return {
            "metric": "map50",
            "n": len(before),
            "max_abs_difference": float(np.abs(after - before).max()) if len(before) else 0.0,
            "map50_pytorch": score,
            "map50_exported": score_after,
        }


def _read(p, source):
    return (
        p._known(read_labeled(Given(source, kind=KIND)), str(source))
        if source and Path(source).exists()
        else None
    )
