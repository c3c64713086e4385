"""A forecaster as one ONNX network: its GRU, from a window of the last lookback steps to
the next ones, with the encoder the model was saved with (which makes that window)."""

from __future__ import annotations

from ..exporter import Exporter


class SeriesExporter(Exporter):
    def export_graph(self, model, check) -> tuple[bytes, dict]:
        import torch

        from ...onnx.graph import Outputs, to_onnx

        graph = to_onnx(Outputs(model.net_, True), {"input": torch.zeros(1, model.lookback_)})
        return graph.SerializeToString(), model.manifest()["encoder"]
