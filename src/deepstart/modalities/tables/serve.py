"""What a service needs of a table model: JSON {"row": {...}} or {"rows": [...]}, each row
holding every column the model reads (null where unknown)."""

from __future__ import annotations

import pandas as pd

from ..requests import check_row
from ..service import JsonItems


class TableService(JsonItems):
    shows = "fields"
    single, many = "row", "rows"

    def check_item(self, item, limits, info: dict) -> dict:
        return check_row(item, limits, info)

    def item_schema(self, info: dict) -> dict:
        columns = info.get("columns") or []
        return {
            "type": "object",
            "properties": {c["name"]: {"type": ["string", "number", "boolean", "null"]} for c in columns},
            "required": [c["name"] for c in columns],
        }

    def try_input(self, info: dict) -> dict:
        return {"form": "fields", "field": self.single, "columns": info.get("columns") or []}

    def example_body(self, info: dict) -> dict:
        return {self.single: {c["name"]: None for c in info.get("columns") or []}}

    def serve_predict(self, model, items: list) -> list[dict]:
        return model.predict_records(pd.DataFrame(items, dtype=object))

    def describe_inputs(self, model) -> dict:
        """Each column the model reads, its type, and a category column's known categories
        (a page offers them as choices)."""
        known = {c["column"]: c["categories"] for c in model.encoder_.categorical or []}
        return {
            "columns": [
                {"name": c, "type": t} | ({"categories": known[c]} if c in known else {})
                for c, t in model.encoder_.types.items()
            ]
        }
