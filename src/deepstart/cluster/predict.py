"""Batch prediction on a Ray cluster: the inputs (files every node sees, objects in
storage named by URIs, or texts) are listed here, streamed through the model by a pool of
Ray Data actors, each holding the model loaded from its folder (an exported int8 ONNX
model is the fast path) and reading the objects itself, and the predictions are written
to one Parquet file as they come: input, label, probabilities (in the order of the
classes, which the file's metadata names), or the error."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..errors import ConfigError, DeepstartError
from ..log import progress, say
from ..modalities import read_unlabeled
from . import remote
from .connect import connect, why_failed

BATCH = 256  # inputs per actor call


class PredictActor:
    """Holds one model, loaded from its folder by load (deepstart.loading.load_model:
    only tensors and JSON are read)."""

    def __init__(self, load, folder: str, text: str | None):
        self.model, self.text = load(folder), text

    def __call__(self, batch: dict) -> dict:
        return self.columns(
            batch["i"], self.model.predict_records([str(v) for v in batch["item"]], text=self.text)
        )

    def columns(self, i: np.ndarray, records: list[dict]) -> dict:
        classes = self.model.classes_
        out = {"i": i, "error": np.array([r.get("error", "") for r in records], dtype=object)}
        if classes:
            out["label"] = np.array([r.get("label", "") for r in records], dtype=object)
            out["probabilities"] = np.array(
                [[r["probabilities"][c] for c in classes] if "probabilities" in r else [np.nan] * len(classes)
                 for r in records],
                dtype=np.float32,
            )  # fmt: skip
        else:
            out["prediction"] = np.array([r.get("prediction", np.nan) for r in records], np.float64)
        return out


class RemotePredictActor(PredictActor):
    """Reads each object's bytes from its storage (roots: the URIs given, each opened once
    through pyarrow's file systems with this node's credentials) and predicts them as
    uploads are predicted."""

    def __init__(self, load, folder: str, text: str | None, roots: list[str]):
        super().__init__(load, folder, text)
        self.roots, self.opened = roots, {}

    def __call__(self, batch: dict) -> dict:
        records, read = [], []  # read: (row, bytes) of the objects read
        for row, (root, path, size) in enumerate(zip(batch["root"], batch["path"], batch["size"])):
            if int(root) not in self.opened:
                self.opened[int(root)] = remote.file_system(self.roots[int(root)])[0]
            try:
                read.append((row, remote.read_object(self.opened[int(root)], str(path), int(size))))
                records.append({})
            except OSError as e:
                records.append({"error": remote.reason(e)})
        if read:
            for (row, _), record in zip(read, self.model.predict_records([data for _, data in read])):
                records[row] = record
        return self.columns(batch["i"], records)


def predict_to_parquet(load, folder: Path, inputs, out: Path, address: str, workers: int, text=None) -> int:
    """Predict every input on the cluster into the Parquet file out; returns the rows written.
    load: deepstart.loading.load_model, which each actor calls on the model's folder."""
    model = load(folder)  # checked once here, before the cluster loads it on every actor
    if model.forecasts:
        raise ConfigError("A forecaster predicts from its series on one machine; drop --cluster.")
    if not getattr(model, "one_row_per_input", True):  # a detector's rows: one per box found
        raise ConfigError(
            f"predict --cluster writes one row per input; predict {model.modality.noun} without it."
        )
    actor, uris = PredictActor, [v for v in inputs if remote.is_uri(v)]
    if uris and model.modality.service.uploads:  # objects in storage, listed here, read by the actors
        if len(uris) != len(inputs):
            raise ConfigError(
                "predict --cluster takes URIs or paths, not both; predict each kind on its own."
            )
        listed = remote.list_objects(uris)
        rows, names, actor, roots = listed.rows, listed.names, RemotePredictActor, (listed.roots,)
    else:
        examples = read_unlabeled(list(inputs), model.modality.name, dict(model.columns_ or {}))
        if not isinstance(examples.items, (list, tuple)):
            raise ConfigError(
                "predict --cluster takes files, folders or texts; predict a table without --cluster."
            )
        names, roots = model.modality.input_names(examples), ()
        rows = [{"i": i, "item": str(item)} for i, item in enumerate(examples.items)]
    cluster = connect(address)
    import ray.data

    actors = cluster.workers(workers)
    predicted = ray.data.from_items(rows).map_batches(
        actor,
        fn_constructor_args=(load, str(Path(folder).absolute()), text, *roots),
        batch_size=BATCH,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_cpus=1,
    )
    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    try:
        with progress(total=len(rows), desc=f"Predicting on {actors} Ray workers", unit="input") as bar:
            written, failed = _write(predicted, tmp, names, model.classes_, bar)
        os.replace(tmp, out)
    except BaseException as e:  # a failure or Ctrl-C: no half-written file is left behind
        tmp.unlink(missing_ok=True)
        if isinstance(e, ray.exceptions.RayError):
            raise DeepstartError(f"Predicting on the cluster failed: {why_failed(e)}") from None
        raise
    say(f"Wrote {written:,} predictions to {out}.")
    if written and failed == written:  # as on one machine: nothing could be read, exit code 2
        raise DeepstartError(f"{model.modality.none_read} ({out} says why for each.)")
    return written


def _write(predicted, tmp: Path, names: list[str], classes: list[str], bar) -> tuple[int, int]:
    """The predictions into the Parquet file tmp as their batches come; the rows written
    (none: a valid file with no rows), and how many of them are errors."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer, written, failed = None, 0, 0
    try:
        for batch in predicted.iter_batches(batch_size=BATCH, batch_format="numpy"):
            table = _table(pa, batch, names, classes)
            writer = writer or pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table)
            written += table.num_rows
            failed += sum(bool(str(e)) for e in batch["error"])
            bar.update(table.num_rows)
        if writer is None:
            pq.write_table(_table(pa, _no_rows(classes), names, classes), tmp)
    finally:
        if writer is not None:
            writer.close()
    return written, failed


def _no_rows(classes: list[str]) -> dict:
    """A batch of no predictions, with the columns PredictActor gives."""
    empty = {"i": np.zeros(0, np.int64), "error": np.zeros(0, object)}
    if classes:
        return empty | {
            "label": np.zeros(0, object),
            "probabilities": np.zeros((0, len(classes)), np.float32),
        }
    return empty | {"prediction": np.zeros(0, np.float64)}


def _table(pa, batch: dict, names: list[str], classes: list[str]):
    """One batch of predictions as an Arrow table; the classes in the schema's metadata."""
    columns = {"input": pa.array([names[int(i)] for i in batch["i"]], pa.string())}
    errors = [str(e) or None for e in batch["error"]]
    if classes:
        columns["label"] = pa.array([str(v) or None for v in batch["label"]], pa.string())
        probabilities = [None if e else list(p) for p, e in zip(batch["probabilities"], errors)]
        columns["probabilities"] = pa.array(probabilities, pa.list_(pa.float32()))
    else:
        columns["prediction"] = pa.array(
            [None if e else float(v) for v, e in zip(batch["prediction"], errors)], pa.float64()
        )
    columns["error"] = pa.array(errors, pa.string())
    metadata = {"deepstart.classes": json.dumps(classes)}
    return pa.table(columns).replace_schema_metadata(metadata)
