"""`deepstart export`: a trained model as a folder that runs with ONNX Runtime.

The ONNX file holds the whole network, from the encoder's arrays (pixels, token ids,
encoded rows, a series' window) to probabilities or numbers (the modality makes it);
the folder's manifest is the model's own, so `predict`, `evaluate` and `serve` use it
like any model. The export is checked on real inputs (the model's validation split, or
--data): the largest difference from the PyTorch model's outputs, and with --int8 the
change in the score."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from . import artifact
from .data.split import fingerprint
from .errors import ConfigError
from .loading import load_model
from .log import say
from .modalities import read_labeled
from .onnx.graph import int8_weights, quantize_dynamic, quantize_static
from .onnx.session import PRECISE_INT8, sha256
from .pipeline.groups import split_groups
from .pipeline.prepare import split_rows

CALIBRATION = 64  # inputs that set the int8 ranges of a network's activations


def export_model(
    model: Path, out: Path, int8: bool = False, data=None, target=None, images=None, text=None
) -> dict:
    """Write the exported folder to out; returns what the check measured."""
    artifact.check_out_dir(out)
    if Path(out).resolve() == Path(model).resolve():
        raise ConfigError("--out is the model folder itself; give a new folder for the exported model.")
    p = load_model(model)
    if p.runtime_:
        raise ConfigError(f"{model} is already an exported model; export the model folder it came from.")
    if p.modality.exporter is None:
        raise ConfigError(f"Models of {p.modality.noun} cannot be exported to ONNX yet.")
    manifest, tensors = artifact.load(model)
    columns = {"target": target, "images": images, "text": text}
    readable = _paths_read(manifest, data)
    check = p.modality.exporter.check(p, readable, data, columns) or (
        SeriesCheck if p.forecasts else ExamplesCheck
    )(p, readable, data, columns)
    graph, encoder = p.modality.exporter.export_graph(p, check.examples)
    say(f"Checking the export on {check.label}...")
    runtime = {"engine": "onnxruntime", "exported_from": str(model), "int8": False, "notes": _notes(p)}
    kept = {k: v for k, v in tensors.items() if not k.startswith("net.")}  # the classical models
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = _trial(manifest, kept, encoder, runtime, graph, Path(tmp) / "fp32")
        runtime["check"] = {"data": check.label, **check.compare(fp32)}
        if int8:
            say("Quantising to int8...")
            graph, method = _quantize(graph, p, fp32, check)
            small = _trial(manifest, kept, encoder, runtime, graph, Path(tmp) / "int8")
            runtime |= {"int8": True, "quantization": method}
            runtime["check"]["int8"] = check.compare(small)
    if int8_weights(graph):
        runtime["notes"].append(
            f"the network has int8 weights: outside deepstart, open it with the ONNX Runtime session option "
            f"{PRECISE_INT8}=1, as deepstart does, or on x86 CPUs without VNNI (AVX2) its int8 kernels "
            "can overflow and predict otherwise than checked here"
        )
    artifact.save(out, _manifest(manifest, encoder, runtime, graph), kept, {artifact.ONNX: graph})
    return runtime


def _notes(p) -> list[str]:
    """What a user should know of this export."""
    notes = []
    if p.choice_ not in ("deep", "ensemble"):
        notes.append(
            "the kept model is a classical one: it is exported as it was, and the network (exported "
            "too) does not take part in its predictions"
        )
    return notes + p.modality.exporter.export_notes(p)


def _paths_read(manifest: dict, data) -> dict:
    """The manifest, with the data paths it names kept only where this user's deepstart
    signed it: a folder from elsewhere could name any path (/etc, a device) to be read."""
    if artifact.signed_here(manifest):
        return manifest
    if data is None and manifest["data"].get("source"):
        raise ConfigError(
            "This model folder was not written by deepstart for this user (its manifest is not signed "
            "with this user's key), so the data paths it names are not read; give --data with labelled "
            "data to check the export on."
        )
    return manifest | {
        "data": manifest["data"] | {"source": None, "validation_source": None, "test_source": None}
    }


def _available(source) -> bool:
    """Whether the data is a file or folder here (not an array or DataFrame given in Python)."""
    source = str(source or "")
    return bool(source) and not source.startswith(("an array of ", "the DataFrame")) and Path(source).exists()


def _check_source(source) -> None:
    if not _available(source):
        raise ConfigError(
            f"The training data ({source}) is not here to check the export on; give --data with "
            "labelled data, e.g. the validation or test files."
        )


class ExamplesCheck:
    """Labelled inputs to check an export on (the model's validation split rebuilt from
    its training data, or --data), and inputs to calibrate int8 on."""

    def __init__(self, p, manifest: dict, data, columns: dict):
        self.p, self.noun = p, p.modality.noun
        # a network trained again on its validation examples (refit) is checked on its test data
        refit = bool((manifest.get("training") or {}).get("refit"))
        held = manifest["data"].get("test_source" if refit else "validation_source")
        source, given = manifest["data"].get("source"), data or held
        training = self._training_split(manifest, self._read(source, columns)) if _available(source) else None
        if given:
            self.examples = self._read(given, columns)
            self.label = f"{given} ({len(self.examples.items):,} {self.noun})"
            self.calibration, self.calibrated_on = self._calibration(training)
        else:
            _check_source(source)
            if training is None:
                raise ConfigError(
                    f"{source} is not the data the model was trained on (its fingerprint differs); give "
                    "--data with labelled data to check the export on."
                )
            self.examples, self.calibration = training
            self.label = f"the validation split of {source} ({len(self.examples.labels):,} {self.noun})"
            if refit:
                self.label += (
                    ", which the network was trained again on (give --data with other labelled data)"
                )
            self.calibrated_on = f"{len(self.calibration.labels)} training {self.noun}"
        self.reference = self._outputs(p)

    def _read(self, source, columns: dict):
        p = self.p
        return read_labeled(source, None, **columns, kind=p.modality.name, columns=p.columns_, task=p.task)

    def _calibration(self, training):
        if training is not None:
            return training[1], f"{len(training[1].labels)} training {self.noun}"
        examples, n = self.examples, min(CALIBRATION, len(self.examples.labels))
        modality = self.p.modality
        first = modality.take(examples, modality.raw(examples, list(range(n))), examples.labels[:n])
        return first, f"{len(first.labels)} of the checked {self.noun} (no training data here)"

    def _training_split(self, manifest: dict, examples):
        """(the validation split, a sample of the training split) rebuilt as in training, or
        None when the data is not what the model was trained on."""
        p, modality = self.p, self.p.modality
        part = p.encode(examples, "Reading the training data")
        if fingerprint(part.hashes, part.names) != manifest["data"].get("fingerprint"):
            return None
        labels = p.targets(part.names, examples.origin)
        test = manifest["data"].get("test_source")
        groups = split_groups(modality, examples, manifest["data"].get("groups"))  # --group-split's
        groups = groups[part.kept] if groups is not None else None
        rows = split_rows(labels, p.task == "regression", p.settings, test, None, groups)
        val = modality.take(
            examples, [part.raw[i] for i in rows["val"]], [part.names[i] for i in rows["val"]]
        )
        picks = np.random.default_rng(0).permutation(rows["train"])[:CALIBRATION]
        return val, modality.take(examples, [part.raw[i] for i in picks], [part.names[i] for i in picks])

    def _outputs(self, model) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(the network's outputs, the kept model's, the true targets) on the checked examples."""
        part = model.encode(self.examples, "Checking")
        truth = model.targets(part.names, self.examples.origin)
        return model.network_outputs(part.x), model.outputs(part.x, part.raw), truth

    def compare(self, exported) -> dict:
        """The largest difference of the exported network's outputs from PyTorch's, and the
        kept model's score with each (the network is all or part of it)."""
        before, kept_before, truth = self.reference
        after, kept_after, _ = self._outputs(exported)
        key = "rmse" if self.p.task == "regression" else "accuracy"
        score = self.p.score(truth, kept_before)[key], self.p.score(truth, kept_after)[key]
        return {
            "metric": key,
            "n": int(len(truth)),
            "max_abs_difference": float(np.abs(after - before).max()) if len(truth) else 0.0,
            f"{key}_pytorch": score[0],
            f"{key}_exported": score[1],
        }


class SeriesCheck:
    """A forecaster's export is checked on windows of its series, ending at every step
    that has enough history before it, and by its MASE on their last H x k steps."""

    examples, calibration, calibrated_on = None, None, ""

    def __init__(self, p, manifest: dict, data, columns: dict):
        self.p = p
        self.source = data or manifest["data"].get("source")
        _check_source(self.source)
        self.label = f"the series of {self.source}"
        series = p.read_like_training(self.source)
        histories, which = [], []
        for k, values in enumerate(series.values):
            for end in range(p.lookback_, len(values) + 1, max(1, len(values) // 200)):
                histories.append(values[end - p.lookback_ : end])
                which.append(k)
        spread = p.scales_for(series, [len(v) for v in series.values])  # as learned in training
        self.x, self.scales = np.array(histories), np.array([spread[k] for k in which])
        self.before, self.mase = (
            p.predict_windows(self.x, self.scales, "deep"),
            p.evaluate(self.source)["mase"],
        )

    def compare(self, exported) -> dict:
        after = exported.predict_windows(self.x, self.scales, "deep")
        return {
            "metric": "mase",
            "n": len(self.x),
            "max_abs_difference": float(np.abs(after - self.before).max()),
            "mase_pytorch": self.mase,
            "mase_exported": exported.evaluate(self.source)["mase"],
        }


def _trial(manifest, tensors, encoder, runtime, graph: bytes, folder: Path):
    """The exported model, read back from a folder like any other."""
    artifact.save(folder, _manifest(manifest, encoder, runtime, graph), tensors, {artifact.ONNX: graph})
    return load_model(folder)


def _manifest(manifest: dict, encoder: dict, runtime: dict, graph: bytes) -> dict:
    """The exported model's manifest: the model's own, with the encoder that makes the
    ONNX network's input and how the export runs and was checked."""
    return {**manifest, "encoder": encoder, "runtime": {**runtime, "sha256": sha256(graph)}}


def _quantize(graph: bytes, p, fp32, check) -> tuple[bytes, str]:
    """int8 weights: static (activations too, ranges calibrated on training inputs) where
    the modality's networks keep their accuracy so (convolutions), dynamic otherwise."""
    if p.modality.exporter.int8 == "static":
        x = fp32.encoder_.encode(check.calibration.items, "Calibrating").features
        method = f"static: int8 weights (per channel) and activations, calibrated on {check.calibrated_on}"
        keep = p.modality.exporter.float_nodes(graph)
        return quantize_static(graph, fp32.net_.inputs[0], x, keep), method
    return quantize_dynamic(graph), "dynamic: int8 weights, activations quantised on the fly"
