"""What a service needs of a sequence model: JSON {"sequence": [...]} or {"sequences":
[[...]]}, each a list of numbers (null where missing) as long as the training ones."""

from __future__ import annotations

import math

import numpy as np

from ...errors import RequestError
from ..service import JsonItems


class SequenceService(JsonItems):
    shows = "numbers"
    single, many = "sequence", "sequences"

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

    def try_input(self, info: dict) -> dict:
        return {"form": "numbers", "field": self.single, "steps": info.get("steps")}

    def example_body(self, info: dict) -> dict:
        return {self.single: [0.0] * int(info.get("steps") or 4)}

    def serve_predict(self, model, items: list) -> list[dict]:
        return model.predict_records(np.asarray(items, dtype=np.float64))

    def describe_inputs(self, model) -> dict:
        steps = (model.columns_ or {}).get("steps")  # a count, or the names of the step columns
        return {"steps": len(steps) if isinstance(steps, list) else steps}
