"""Sequences (each example a trace of numbers): a 1-D convolutional network, beside the
classical models on the raw steps."""

from __future__ import annotations

from ...errors import ConfigError
from ..base import Role, RowsOfNumbers
from ..given import Given
from ..recipe import Recipe
from . import read


class Sequences(RowsOfNumbers):
    name = "sequence"
    noun = "sequences"
    predict_example = "<table of new sequences>"
    models = {"sequence-cnn": ("a 1-D convolutional network", "1-D CNN (deep)")}
    service = Role("serve", "SequenceService")
    explainer = None  # no explanations yet
    exporter = Role("export", "SequenceExporter")

    def encoder_classes(self) -> tuple:
        from .encoder import SequenceEncoder

        return (SequenceEncoder,)

    def recognizes(self, given: Given) -> bool:
        """Sequences asked for (arrays or a table), or an array (N, steps) with labels."""
        if given.form == "arrays":
            asked = given.kind == self.name
            return asked or (given.kind is None and given.y is not None and given.ndim == 2)
        return given.tabular and given.kind == self.name and given.text is None and given.image_column is None

    def read_labeled(self, given: Given):
        return read.read_labeled(given)

    def read_unlabeled(self, inputs, columns: dict):
        return read.read_unlabeled(inputs, columns)

    def recipe(self, examples, settings) -> Recipe:
        """A 1-D CNN, beside classical models on the flattened steps."""
        from .encoder import SequenceEncoder

        model = settings.requested_model()
        if model != "auto":
            raise ConfigError(
                f"--model {model} is for images and texts; sequences get a 1-D CNN (drop --model)."
            )
        _, channels, length = examples.items.shape
        steps = (examples.columns or {}).get("steps")
        why = (
            f"each example is a sequence ({channels} channel{'s' * (channels > 1)} x {length} steps): "
            "convolutions find the same shape wherever it occurs in a sequence"
        )
        net = {"name": "sequence-cnn", "channels": channels, "dropout": settings.dropout}
        return Recipe("sequence-cnn", why, SequenceEncoder(channels, length, steps), None, net)


MODALITY = Sequences()
