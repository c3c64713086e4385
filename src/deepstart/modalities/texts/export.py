"""A text model as one ONNX network from token ids to probabilities: the sentence
embedding network (as precise as in training) joined to the trained classifier, or the
fine-tuned transformer with its padding mask as an input."""

from __future__ import annotations

import onnx
import torch
from torch import nn

from ...models import minilm
from ...models.runtime import exported
from ...onnx.graph import Outputs, chain, opset, to_onnx
from ..exporter import Exporter
from .encoders import TextEncoder, TokenEncoder


class _Tokens(nn.Module):
    """A fine-tuned transformer with the padding mask as an input (its own forward cuts
    padding with a Python int, which an exported graph would freeze)."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.body, self.head = net.body, net.head

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(input_ids, attention_mask))


def graph(model) -> tuple[bytes, dict]:
    """(the ONNX model, the spec of the token encoder that feeds it)."""
    encoder, regression = model.encoder_, model.task_ == "regression"
    ids = torch.ones(2, 8, dtype=torch.int64)
    tokens = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
    if encoder.name == TextEncoder.name:  # frozen embeddings -> the trained classifier
        backbone = onnx.load(exported(minilm.build_embedding, encoder.cache_key(), tokens, encoder.int8))
        head = to_onnx(
            Outputs(model.net_, regression), {"input": torch.zeros(1, minilm.DIM)}, opset(backbone)
        )
        return chain(backbone, head, "head/").SerializeToString(), TokenEncoder().spec()
    whole = to_onnx(Outputs(_Tokens(model.net_), regression), tokens)
    return whole.SerializeToString(), encoder.spec()


class TextExporter(Exporter):
    def export_graph(self, model, check) -> tuple[bytes, dict]:
        return graph(model)

    def export_notes(self, model) -> list[str]:
        if isinstance(model.encoder_, TextEncoder) and model.encoder_.int8:
            return [
                "the text network is int8, as in training: a text's probabilities move a little with the "
                "texts batched beside it"
            ]
        return []
