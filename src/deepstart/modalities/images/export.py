"""An image model as one ONNX network from decoded pixels to probabilities: for transfer
learning, the pretrained backbone's graph (as cached for training) joined to the
trained classifier."""

from __future__ import annotations

import onnx
import torch

from ...models import efficientnet
from ...models.layers import Rescale
from ...models.runtime import exported
from ...onnx.graph import Outputs, chain, opset, to_onnx
from ..exporter import Exporter
from .encoders import FeatureEncoder, PixelEncoder


def graph(model, check) -> tuple[bytes, dict] | None:
    """(the ONNX model, the spec of the pixel encoder that feeds it) for a classifier on
    frozen features; None for networks that read pixels themselves (the CNN, fine-tuning)."""
    encoder = model.encoder_
    if encoder.name != FeatureEncoder.name:
        return None
    size = efficientnet.INPUT_SIZE
    pixels = torch.zeros(1, 3, size, size)
    backbone = onnx.load(exported(efficientnet.build_features, encoder.cache_key(), {"input": pixels}, False))
    version = opset(backbone)
    rescale = to_onnx(Rescale(), {"input": pixels.to(torch.uint8)}, version)
    head = Outputs(model.net_, model.task_ == "regression")
    features = to_onnx(head, {"input": torch.zeros(1, efficientnet.FEATURE_DIM)}, version)
    joined = chain(chain(rescale, backbone, "backbone/"), features, "head/")
    return joined.SerializeToString(), PixelEncoder(efficientnet.PIXELS).spec()


class ImageExporter(Exporter):
    """A classifier on frozen features: the pretrained backbone joined to it (fed by the
    pixel encoder); the CNN and a fine-tuned network read pixels themselves."""

    int8 = "static"  # convolutions keep their accuracy with int8 activations, calibrated

    def export_graph(self, model, check) -> tuple[bytes, dict]:
        return graph(model, check) or super().export_graph(model, check)
