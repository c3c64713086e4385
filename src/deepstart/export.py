"""`deepstart export`: a trained model as a folder that runs with ONNX Runtime.

The ONNX file holds the whole network, from the encoder's arrays (pixels, token ids,
encoded rows) to probabilities; the folder's manifest is the model's own, so `predict`,
`evaluate` and `serve` use it like any model. The export is checked on real labelled
inputs (the model's validation split, or --data): the largest difference from the
PyTorch model's outputs, and with --int8 the change in accuracy."""

from __future__ import annotations

import io
import logging
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import artifact
from .data.sources import Examples, read_labeled
from .data.split import fingerprint
from .errors import ConfigError
from .exported import ONNX, sha256
from .log import say
from .preparing import noun_for

CALIBRATION = 64  # inputs that set the int8 ranges of a network's activations


class _Outputs(nn.Module):
    """The network, then softmax for a classifier: probabilities out."""

    def __init__(self, net: nn.Module, regression: bool):
        super().__init__()
        self.net, self.regression = net, regression

    def forward(self, *x: torch.Tensor) -> torch.Tensor:
        out = self.net(*x)
        return out if self.regression else torch.softmax(out, dim=1)


class _Tokens(nn.Module):
    """A fine-tuned transformer with the padding mask as an input (its own forward cuts
    padding with a Python int, which an exported graph would freeze)."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.body, self.head = net.body, net.head

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(input_ids, attention_mask))


def export_model(
    model: Path, out: Path, int8: bool = False, data=None, target=None, images=None, text=None
) -> dict:
    """Write the exported folder to out; returns what the check measured."""
    from .api import load_model
    from .forecast import Forecaster

    artifact.check_out_dir(out)
    if Path(out).resolve() == Path(model).resolve():
        raise ConfigError("--out is the model folder itself; give a new folder for the exported model.")
    p = load_model(model)
    if p.runtime_:
        raise ConfigError(f"{model} is already an exported model; export the model folder it came from.")
    manifest, tensors = artifact.load(model)
    calibration, calibrated_on = None, ""
    if isinstance(p, Forecaster):
        source = data or manifest["data"].get("source")
        _check_source(source)
        label = f"the series of {source}"
        graph = _onnx(_Outputs(p.net_, True), {"input": torch.zeros(1, p.lookback_)}).SerializeToString()
        encoder = manifest["encoder"]

        reference = _forecast_reference(p, source)

        def compare(exported):
            return _compare_forecasts(reference, exported, source)
    else:
        columns = {"target": target, "images": images, "text": text}
        check, calibration, label, calibrated_on = _check_examples(p, manifest, data, columns)
        graph, encoder = _graph(p, check)
        reference = _outputs(p, check)

        def compare(exported):
            return _compare(p, reference, exported, check)

    say(f"Checking the export on {label}...")
    runtime = {"engine": "onnxruntime", "exported_from": str(model), "int8": False, "notes": _notes(p)}
    kept = {k: v for k, v in tensors.items() if not k.startswith("net.")}  # the classical models
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = _trial(manifest, kept, encoder, runtime, graph, Path(tmp) / "fp32")
        runtime["check"] = {"data": label, **compare(fp32)}
        if int8:
            say("Quantising to int8...")
            graph, method = _quantize(graph, p, fp32, calibration, calibrated_on)
            small = _trial(manifest, kept, encoder, runtime, graph, Path(tmp) / "int8")
            runtime |= {"int8": True, "quantization": method}
            runtime["check"]["int8"] = compare(small)
    artifact.save(out, _manifest(manifest, encoder, runtime, graph), kept, {ONNX: graph})
    return runtime


def _notes(p) -> list[str]:
    """What a user should know of this export."""
    notes = []
    if p.choice_ not in ("deep", "ensemble"):
        notes.append(
            "the kept model is a classical one: it is exported as it was, and the network (exported "
            "too) does not take part in its predictions"
        )
    if getattr(getattr(p, "encoder_", None), "name", "") == "minilm-embeddings" and p.encoder_.int8:
        notes.append(
            "the text network is int8, as in training: a text's probabilities move a little with the "
            "texts batched beside it"
        )
    return notes


def _check_source(source) -> None:
    if not _available(source):
        raise ConfigError(
            f"The training data ({source}) is not here to check the export on; give --data with "
            "labelled data, e.g. the validation or test files."
        )


def _available(source) -> bool:
    return bool(source) and not source.startswith(("an array of ", "the DataFrame")) and Path(source).exists()


def _check_examples(p, manifest: dict, data, columns: dict) -> tuple[Examples, Examples, str, str]:
    """(labelled inputs to check on, inputs to calibrate int8 on, how to name each): the
    model's validation split rebuilt from its training data, or the data given."""
    kind, noun = p.encoder_.kind, noun_for(p.encoder_.kind)
    forced = p.task_ if kind == "table" else None

    def read(source):
        return read_labeled(source, None, **columns, kind=kind, columns=p.columns_, task=forced)

    source, given = manifest["data"].get("source"), data or manifest["data"].get("validation_source")
    training = _training_split(p, manifest, read(source)) if _available(source) else None
    if given:
        examples = read(given)
        label = f"{given} ({len(examples.items):,} {noun})"
        if training is not None:
            return examples, training[1], label, f"{len(training[1].labels)} training {noun}"
        n = min(CALIBRATION, len(examples.labels))
        by_position = examples.kind in ("table", "sequence") or isinstance(examples.items, np.ndarray)
        first = _subset(examples, list(range(n)) if by_position else examples.items[:n], examples.labels[:n])
        return examples, first, label, f"{len(first.labels)} of the checked {noun} (no training data here)"
    _check_source(source)
    if training is None:
        raise ConfigError(
            f"{source} is not the data the model was trained on (its fingerprint differs); give --data "
            "with labelled data to check the export on."
        )
    val, sample = training
    label = f"the validation split of {source} ({len(val.labels):,} {noun})"
    return val, sample, label, f"{len(sample.labels)} training {noun}"


def _training_split(p, manifest: dict, examples: Examples):
    """(the validation split, a sample of the training split) rebuilt as in training, or
    None when the data is not what the model was trained on."""
    _, names, hashes, _, raw = p._encode(examples, "Reading the training data")
    if fingerprint(hashes, names) != manifest["data"].get("fingerprint"):
        return None
    rows = p._split_rows(p._targets(names, examples.origin), manifest["data"].get("test_source"), None)
    val = _subset(examples, [raw[i] for i in rows["val"]], [names[i] for i in rows["val"]])
    picks = np.random.default_rng(0).permutation(rows["train"])[:CALIBRATION]
    return val, _subset(examples, [raw[i] for i in picks], [names[i] for i in picks])


def _subset(examples: Examples, raw: list, labels: list) -> Examples:
    """The inputs at raw (files or texts, or row numbers of a table or an array)."""
    items = examples.items
    if examples.kind == "table":
        items = items.iloc[raw]
    elif examples.kind == "sequence" or isinstance(items, np.ndarray):
        items = items[raw] if not isinstance(raw[0], np.ndarray) else np.stack(raw)
    else:
        items = list(raw)
    return Examples(
        examples.kind, items, labels, examples.origin, columns=examples.columns, task=examples.task
    )


def _graph(p, check: Examples) -> tuple[bytes, dict]:
    """The ONNX model from the encoder's arrays to the outputs, and the spec of the
    encoder that makes those arrays."""
    import onnx

    from .encoders import FeatureEncoder, PixelEncoder
    from .models import efficientnet, minilm
    from .models.layers import Rescale
    from .models.runtime import exported
    from .text_encoders import TextEncoder, TokenEncoder

    enc, regression = p.encoder_, p.task_ == "regression"
    head = _Outputs(p.net_, regression)
    if enc.name == FeatureEncoder.name:  # frozen features: pixels -> features -> the trained head
        size = efficientnet.INPUT_SIZE
        pixels = torch.zeros(1, 3, size, size)
        backbone = onnx.load(exported(efficientnet.build_features, enc.cache_key(), {"input": pixels}, False))
        opset = _opset(backbone)
        rescale = _onnx(Rescale(), {"input": pixels.to(torch.uint8)}, opset)
        features = _onnx(head, {"input": torch.zeros(1, efficientnet.FEATURE_DIM)}, opset)
        model = _chain(_chain(rescale, backbone, "backbone/"), features, "head/")
        return model.SerializeToString(), PixelEncoder(efficientnet.PIXELS).spec()
    ids = torch.ones(2, 8, dtype=torch.int64)
    tokens = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
    if enc.name == TextEncoder.name:  # frozen embeddings (as precise as in training) -> the head
        backbone = onnx.load(exported(minilm.build_embedding, enc.cache_key(), tokens, enc.int8))
        features = _onnx(head, {"input": torch.zeros(1, minilm.DIM)}, _opset(backbone))
        return _chain(backbone, features, "head/").SerializeToString(), TokenEncoder().spec()
    if enc.name == TokenEncoder.name:
        return _onnx(_Outputs(_Tokens(p.net_), regression), tokens).SerializeToString(), enc.spec()
    sample = enc.encode(check.items.iloc[:1] if enc.kind == "table" else check.items[:1]).features
    return _onnx(head, {"input": torch.from_numpy(sample)}).SerializeToString(), enc.spec()


def _onnx(module: nn.Module, example: dict, opset: int | None = None):
    import onnx

    axes = {name: {0: "batch", 1: "length"} if t.dim() == 2 else {0: "batch"} for name, t in example.items()}
    buffer = io.BytesIO()
    with warnings.catch_warnings():
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


def _opset(model) -> int:
    return next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))


def _chain(first, second, prefix: str):
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


def _trial(manifest, tensors, encoder, runtime, graph: bytes, folder: Path):
    """The exported model, read back from a folder like any other."""
    from .api import load_model

    artifact.save(folder, _manifest(manifest, encoder, runtime, graph), tensors, {ONNX: graph})
    return load_model(folder)


def _manifest(manifest: dict, encoder: dict, runtime: dict, graph: bytes) -> dict:
    """The exported model's manifest: the model's own, with the encoder that makes the
    ONNX network's input and how the export runs and was checked."""
    return {**manifest, "encoder": encoder, "runtime": {**runtime, "sha256": sha256(graph)}}


def _outputs(p, examples: Examples) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(the network's outputs, the kept model's, the true targets) for labelled examples."""
    x, names, _, _, raw = p._encode(examples, "Checking")
    return p._deep_out(x), p._outputs(x, raw), p._targets(names, examples.origin)


def _compare(p, reference: tuple, exported, examples: Examples) -> dict:
    """The largest difference of the exported network's outputs from PyTorch's, and the
    kept model's score with each (the network is all or part of it)."""
    before, kept_before, truth = reference
    after, kept_after, _ = _outputs(exported, examples)
    key = "rmse" if p.task_ == "regression" else "accuracy"
    score = p._score(truth, kept_before)[key], p._score(truth, kept_after)[key]
    return {
        "metric": key,
        "n": int(len(truth)),
        "max_abs_difference": float(np.abs(after - before).max()) if len(truth) else 0.0,
        f"{key}_pytorch": score[0],
        f"{key}_exported": score[1],
    }


def _forecast_reference(p, source) -> tuple:
    """(windows, their scales, PyTorch's forecasts of them, the kept model's MASE): the
    windows end at every step of the series that has enough history before it."""
    series = p._read_like_training(source)
    histories, which = [], []
    for k, values in enumerate(series.values):
        for end in range(p.lookback_, len(values) + 1, max(1, len(values) // 200)):
            histories.append(values[end - p.lookback_ : end])
            which.append(k)
    spread = p._scales(series, [len(v) for v in series.values])  # as learned in training
    x, scales = np.array(histories), np.array([spread[k] for k in which])
    return x, scales, p._predict(x, scales, "deep"), p.evaluate(source)["mase"]


def _compare_forecasts(reference: tuple, exported, source) -> dict:
    """The largest difference of the exported network's forecasts from PyTorch's, and
    the kept model's MASE on the series' last H x k steps with each."""
    x, scales, before, mase = reference
    after = exported._predict(x, scales, "deep")
    return {
        "metric": "mase",
        "n": len(x),
        "max_abs_difference": float(np.abs(after - before).max()),
        "mase_pytorch": mase,
        "mase_exported": exported.evaluate(source)["mase"],
    }


def _quantize(
    graph: bytes, p, fp32, calibration: Examples | None, calibrated_on: str = ""
) -> tuple[bytes, str]:
    """int8 weights: static (activations too, ranges calibrated on training inputs) for
    convolutional networks, dynamic (weights only) for the others."""
    import onnx
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_dynamic, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    with tempfile.TemporaryDirectory() as tmp:
        source, target, prepared = (Path(tmp) / n for n in ("fp32.onnx", "int8.onnx", "pre.onnx"))
        source.write_bytes(graph)
        if getattr(p, "encoder_", None) is not None and p.encoder_.kind == "image":
            x = fp32.encoder_.encode(calibration.items, "Calibrating").features
            quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
            quantize_static(
                prepared,
                target,
                _Reader(fp32.net_.inputs[0], x),
                quant_format=QuantFormat.QDQ,
                per_channel=True,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                nodes_to_exclude=[n.name for n in onnx.load(prepared).graph.node if n.op_type == "Softmax"],
            )  # softmax stays fp32: int8 would round probabilities to steps of 1/255
            method = f"static: int8 weights (per channel) and activations, calibrated on {calibrated_on}"
        else:
            logging.disable(logging.WARNING)  # its advice to pre-process is for static quantisation
            try:
                quantize_dynamic(source, target, weight_type=QuantType.QInt8, per_channel=True)
            finally:
                logging.disable(logging.NOTSET)
            method = "dynamic: int8 weights, activations quantised on the fly"
        return target.read_bytes(), method


class _Reader:
    """Calibration batches for ONNX Runtime's static quantisation."""

    def __init__(self, name: str, x: np.ndarray):
        self.batches = iter([{name: x[s : s + 8]} for s in range(0, len(x), 8)])

    def get_next(self):
        return next(self.batches, None)
