"""Networks as ONNX graphs: exported from PyTorch (to_onnx, the one export helper),
joined end to end (chain), and quantised to int8 (dynamic: weights; static: weights and
activations, with ranges calibrated on real inputs)."""

from __future__ import annotations

import io
import logging
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from torch import nn


class Outputs(nn.Module):
    """The network, then softmax for a classifier: probabilities out."""

    def __init__(self, net: nn.Module, regression: bool):
        super().__init__()
        self.net, self.regression = net, regression

    def forward(self, *x: torch.Tensor) -> torch.Tensor:
        out = self.net(*x)
        return out if self.regression else torch.softmax(out, dim=1)


def to_onnx(module: nn.Module, example: dict[str, torch.Tensor], opset: int | None = None):
    """module as an ONNX model (onnx.ModelProto) with named inputs like example's; axis 0
    (the batch) of every input and the output varies, and axis 1 of 2-D inputs (length)."""
    import onnx

    axes = {name: {0: "batch", 1: "length"} if t.dim() == 2 else {0: "batch"} for name, t in example.items()}
    buffer = io.BytesIO()
    with warnings.catch_warnings(), one_thread():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module.eval(),
            tuple(example.values()),
            buffer,
            input_names=list(example),
            output_names=["output"],
            dynamic_axes={**axes, "output": {0: "batch"}},
            opset_version=opset,
            dynamo=False,
        )
    return onnx.load_from_string(buffer.getvalue())


@contextmanager
def one_thread():
    """PyTorch on one thread for the time being. Tracing runs the network once, on one
    example: on 2 busy cores (other processes running) two threads waited on each other
    and EfficientNet-Lite0's export took 6-9 s, on one 1.4 s; a forecaster's small
    networks train and predict faster so too (10 ms a step against 185 ms)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def opset(model) -> int:
    return next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))


def chain(first, second, prefix: str):
    """first's output feeds second's input: one graph, its output named "output"."""
    import onnx.compose
    import onnx.helper

    _rename(first, first.graph.output[0].name, prefix + "input")
    link = (first.graph.output[0].name, second.graph.input[0].name)
    merged = onnx.compose.merge_models(first, second, io_map=[link], prefix2=prefix)
    _rename(merged, merged.graph.output[0].name, "output")
    versions = {}  # one entry per domain, as quantisation expects ("ai.onnx" is "")
    for entry in merged.opset_import:
        domain = "" if entry.domain == "ai.onnx" else entry.domain
        versions[domain] = max(versions.get(domain, 0), entry.version)
    del merged.opset_import[:]
    merged.opset_import.extend(onnx.helper.make_opsetid(d, v) for d, v in versions.items())
    return merged


def _rename(model, old: str, new: str) -> None:
    for node in model.graph.node:
        node.input[:] = [new if name == old else name for name in node.input]
        node.output[:] = [new if name == old else name for name in node.output]
    for value in model.graph.output:
        if value.name == old:
            value.name = new


def int8_weights(graph: bytes) -> bool:
    """Whether the network holds int8 weights (quantised, or an int8 part such as a text network)."""
    import onnx

    return any(t.data_type == onnx.TensorProto.INT8 for t in onnx.load_from_string(graph).graph.initializer)


def quantize_dynamic(graph: bytes) -> bytes:
    """int8 weights; activations quantised on the fly."""
    from onnxruntime.quantization import QuantType
    from onnxruntime.quantization import quantize_dynamic as quantize

    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        source.write_bytes(graph)
        logging.disable(logging.WARNING)  # its advice to pre-process is for static quantisation
        try:
            quantize(source, target, weight_type=QuantType.QInt8, per_channel=True)
        finally:
            logging.disable(logging.NOTSET)
        return target.read_bytes()


def quantize_static(graph: bytes, input_name: str, x: np.ndarray, keep: tuple = ()) -> bytes:
    """int8 weights (per channel) and activations, their ranges calibrated on x; softmax
    stays fp32 (int8 would round probabilities to steps of 1/255), as do the nodes named
    in keep (a detector's decoding of boxes and scores)."""
    import onnx
    from onnxruntime.quantization import QuantFormat, QuantType
    from onnxruntime.quantization import quantize_static as quantize
    from onnxruntime.quantization.shape_inference import quant_pre_process

    with tempfile.TemporaryDirectory() as tmp:
        source, target, prepared = (Path(tmp) / n for n in ("fp32.onnx", "int8.onnx", "pre.onnx"))
        source.write_bytes(graph)
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        quantize(
            prepared,
            target,
            _Reader(input_name, x),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=[
                n.name for n in onnx.load(prepared).graph.node if n.op_type == "Softmax" or n.name in keep
            ],
        )
        return target.read_bytes()


class _Reader:
    """Calibration batches for ONNX Runtime's static quantisation."""

    def __init__(self, name: str, x: np.ndarray):
        self.batches = iter([{name: x[s : s + 8]} for s in range(0, len(x), 8)])

    def get_next(self):
        return next(self.batches, None)
