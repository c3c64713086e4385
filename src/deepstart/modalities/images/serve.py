"""What a service needs of an image model: images arrive as uploaded files, read one at a
time within the service's pixel limit."""

from __future__ import annotations

from ..service import Uploads


class ImageService(Uploads):
    accept, capture, shows = ("image/*",), "camera", "picture"

    def prepare_for_serving(self, model, limits) -> None:
        super().prepare_for_serving(model, limits)
        model.encoder_.max_pixels = limits.max_pixels
        model.encoder_.workers = 1  # the batcher already keeps one model call at a time
