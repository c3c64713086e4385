"""What a service needs of a detector: photos arrive as uploaded files, read one at a time
within the service's pixel limit; each answer is the photo's boxes, which a page draws over
the photo it sent (try's "shows": "boxes")."""

from __future__ import annotations

from ..service import Uploads


class DetectionService(Uploads):
    accept, shows = ("image/*",), "boxes"  # no live camera: the studio's live view shows labels

    def prepare_for_serving(self, model, limits) -> None:
        super().prepare_for_serving(model, limits)
        model.encoder_.max_pixels = limits.max_pixels
        model.encoder_.workers = 1  # the batcher already keeps one model call at a time

    def serve_predict(self, model, items: list) -> list[dict]:
        """Per photo: {"boxes": [{"label", "score", "box": [x0, y0, x1, y1] in its pixels}]},
        or {"error": why it cannot be read}."""
        _, answers = model.detect(items)
        return [{"error": a} if isinstance(a, str) else {"boxes": a} for a in answers]

    def describe_inputs(self, model) -> dict:
        n = len(model.classes_)
        return {
            "predicts": f"boxes around the objects of {n} class{'es' * (n != 1)} it finds",
            "threshold": model.threshold_,
        }
