"""Images: photos (transfer learning from EfficientNet-Lite0, or fine-tuning it) and
small images such as digits (a CNN trained from scratch)."""

from __future__ import annotations

from ..base import Modality, Role
from ..given import Given
from . import read


class Images(Modality):
    fine_tunes = compares = captures = True
    name = "image"
    noun = "images"
    skipped_noun = "files"
    usable = "a usable image"
    readable = "a readable image"
    none_read = "No input could be read as an image; give image files (JPEG, PNG, ...)."
    predict_example = "<image file>"
    models = {
        "transfer": ("EfficientNet-Lite0 pretrained on ImageNet (frozen) + a linear classifier", "transfer"),
        "fine-tune": ("EfficientNet-Lite0 pretrained on ImageNet, fine-tuned", "fine-tune"),
        "faces": ("dlib's face network (faces found and aligned, frozen) + a linear layer", "faces"),
        "cnn": ("a compact CNN trained from scratch", "cnn"),
    }
    service = Role("serve", "ImageService")
    explainer = Role("explain", "ImageExplainer")
    exporter = Role("export", "ImageExporter")

    def encoder_classes(self) -> tuple:
        from .encoders import FaceEncoder, FeatureEncoder, PixelEncoder

        return FeatureEncoder, PixelEncoder, FaceEncoder

    def recognizes(self, given: Given) -> bool:
        """A folder (of class subfolders), an array (of images), or a table that lists image files."""
        if given.form in ("arrays", "folder"):
            return True
        return given.form == "table" and (given.image_column is not None or given.kind == self.name)

    def read_labeled(self, given: Given):
        return read.read_labeled(given)

    def read_unlabeled(self, inputs, columns: dict):
        return read.read_unlabeled(inputs)

    def describe(self, examples, root, max_pixels: int) -> dict:
        from .describe import describe

        return describe(examples, root, max_pixels)

    def recipe(self, examples, settings):
        from ...models import faces
        from .encoders import faces_seen, survey
        from .recipe import choose

        model, looked = settings.requested_model(), survey(examples.items)
        seen = None  # (photos with one face, photos looked at): faces are looked for when not said
        if model == "auto" and settings.faces is None and not looked.small and faces.available():
            seen = faces_seen(examples.items)
            model = "faces" if seen[0] > seen[1] / 2 else model
        return choose(looked, model, settings, seen)

    def learning_curves(self, examples, seed: int, fractions, fit, settings: dict):
        from .compare import deep_name, image_curves

        result = image_curves(examples, seed, fractions, fit, settings)
        return result, deep_name(result["models"]["deep"])


MODALITY = Images()
