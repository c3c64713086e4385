"""Sequences (each example a trace of numbers): a 1-D convolutional network, beside the
classical models on the raw steps."""

from __future__ import annotations

import math

import numpy as np

from ...errors import ConfigError, RequestError
from ..base import RowsOfNumbers
from ..given import Given
from ..recipe import Recipe
from . import read


class Sequences(RowsOfNumbers):
    name = "sequence"
    noun = "sequences"
    try_input = "<table of new sequences>"
    models = {"sequence-cnn": ("a 1-D convolutional network", "1-D CNN (deep)")}
    single, many = "sequence", "sequences"

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

    def check_item(self, item, limits, info: dict) -> list[float]:
        steps = info.get("steps")
        if not isinstance(item, list) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) or v is None for v in item
        ):
            raise RequestError("A sequence must be a JSON list of numbers (null where missing).")
        if steps and len(item) != steps:
            raise RequestError(
                f"A sequence must have {steps} steps, like the training data; it has {len(item)}."
            )
        values = [math.nan if v is None else float(v) for v in item]
        if any(math.isinf(v) for v in values):
            raise RequestError("A sequence holds an infinite number.")
        return values

    def item_schema(self, info: dict) -> dict:
        return {"type": "array", "items": {"type": ["number", "null"]}}

    def example_body(self, info: dict) -> dict:
        return {self.single: [0.0] * int(info.get("steps") or 4)}

    def serve_predict(self, model, items: list) -> list[dict]:
        return model.predict_records(np.asarray(items, dtype=np.float64))

    def describe_inputs(self, model) -> dict:
        steps = (model.columns_ or {}).get("steps")  # a count, or the names of the step columns
        return {"steps": len(steps) if isinstance(steps, list) else steps}


MODALITY = Sequences()
