"""Time series: forecasts of the next H steps of one series or many (deepstart.Forecaster),
by a recurrent network over windows beside seasonal naive and a linear autoregressive
model. Never detected: asked for with --task timeseries."""

from __future__ import annotations

import pandas as pd

from ...errors import RequestError
from ..base import Modality
from ..requests import check_row


class Series(Modality):
    name = "series"
    noun = "series"
    try_input = "<table of recent history>"
    models = {"gru-forecaster": ("a GRU network over windows", "GRU over windows (deep)")}

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

    def example_body(self, info: dict) -> dict:
        return {"rows": [{c["name"]: None for c in info.get("columns") or []}]}

    def serve_predict(self, model, items: list) -> list[dict]:
        """Each input is one history: its next steps."""
        return [{"forecast": model.forecast(pd.DataFrame(rows, dtype=object))} for rows in items]

    def describe_inputs(self, model) -> dict:
        parts = [(part, model.columns_.get(part)) for part in ("time", "id", "target")]
        columns = [{"name": c, "type": part} for part, c in parts if c]
        return {"columns": columns, "horizon": model.horizon_, "lookback": model.lookback_}

    def export_graph(self, model, check) -> tuple[bytes, dict]:
        import torch

        from ...onnx.graph import Outputs, to_onnx

        graph = to_onnx(Outputs(model.net_, True), {"input": torch.zeros(1, model.lookback_)})
        return graph.SerializeToString(), model.manifest()["encoder"]

    def prepare_for_serving(self, model, limits) -> None:
        """Nothing to set: a forecaster keeps no features."""


MODALITY = Series()
