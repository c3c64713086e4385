"""What a service needs of a forecaster: JSON {"rows": [...]}, one series' recent history
(or several, with an id column), one object per step; the answer is its next steps."""

from __future__ import annotations

import pandas as pd

from ...errors import RequestError
from ..requests import check_row
from ..service import JsonBody


class SeriesService(JsonBody):
    shows = "history"

    def prepare_for_serving(self, model, limits) -> None:
        """Nothing to set: a forecaster keeps no features."""

    def json_fields(self) -> str:
        return "'rows'"

    def parse_json(self, body, limits, info: dict) -> tuple[list, list[str]]:
        """One series' history (or several, with an id column): rows of time, value (and id)."""
        if not isinstance(body, dict) or set(body) != {"rows"} or not isinstance(body["rows"], list):
            raise RequestError("Send a JSON object with one field, 'rows': the history, one object per step.")
        if not body["rows"]:
            raise RequestError("'rows' is empty; send the recent history, one object per step.")
        return [[check_row(item, limits, info) for item in body["rows"]]], ["history"]

    def request_schema(self, info: dict) -> dict:
        columns = info.get("columns") or []
        row = {"type": "object", "properties": {c["name"]: {} for c in columns}}
        rows = {"type": "array", "items": row | {"required": [c["name"] for c in columns]}, "minItems": 1}
        body = {"type": "object", "properties": {"rows": rows}, "required": ["rows"]}
        return {"required": True, "content": {"application/json": {"schema": body}}}

    def try_input(self, info: dict) -> dict:
        columns = info.get("columns") or []
        return {"form": "history", "field": "rows", "columns": columns, "horizon": info.get("horizon")}

    def example_body(self, info: dict) -> dict:
        return {"rows": [{c["name"]: None for c in info.get("columns") or []}]}

    def serve_predict(self, model, items: list) -> list[dict]:
        """Each input is one history: its next steps."""
        return [{"forecast": model.forecast(pd.DataFrame(rows, dtype=object))} for rows in items]

    def describe_inputs(self, model) -> dict:
        parts = [(part, model.columns_.get(part)) for part in ("time", "id", "target")]
        columns = [{"name": c, "type": part} for part, c in parts if c]
        return {"columns": columns, "horizon": model.horizon_, "lookback": model.lookback_}
