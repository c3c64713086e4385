"""How a modality's models become one ONNX network (deepstart export): the graph, what a
user should know of it, and how it is quantised to int8. A modality whose models cannot be
exported has no exporter (Modality.exporter is None)."""

from __future__ import annotations

import pandas as pd

from ..data.examples import Examples


class Exporter:
    """By default the network alone, from the encoder's arrays to the outputs, fed by the
    model's own encoder; a modality whose encoder does part of the work in PyTorch (a
    pretrained backbone) joins it to the graph."""

    int8 = "dynamic"  # how export quantises: "dynamic" (weights) or "static" (activations too)

    def float_nodes(self, graph: bytes) -> tuple[str, ...]:
        """The nodes of the ONNX graph that static int8 quantisation leaves in floats."""
        return ()

    def export_graph(self, model, check: Examples) -> tuple[bytes, dict]:
        """(the ONNX network from the encoder's arrays to the outputs, the spec of the
        encoder that makes those arrays); check: examples to trace the network on."""
        import torch

        from ..onnx.graph import Outputs, to_onnx

        encoder = model.encoder_
        sample = encoder.encode(first(check)).features
        head = Outputs(model.net_, model.task_ == "regression")
        return to_onnx(head, {"input": torch.from_numpy(sample)}).SerializeToString(), encoder.spec()

    def export_notes(self, model) -> list[str]:
        """What a user should know of this export, beyond what every export says."""
        return []

    def check(self, model, manifest: dict, data, columns: dict):
        """How the export is checked, where a modality checks its own way (boxes, by their
        mAP): an object with examples, label, calibration, calibrated_on and compare(exported);
        None: as every model's outputs are (export.py)."""
        return None


def first(examples: Examples):
    """The first input, as a batch of one that the encoder reads (a file, a text, a row)."""
    items = examples.items
    return items.iloc[:1] if isinstance(items, pd.DataFrame) else items[:1]
