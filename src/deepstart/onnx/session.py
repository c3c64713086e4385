"""Running an ONNX network with ONNX Runtime on the CPU: one way to open a session, and
the network of an exported model folder, checked before it runs. No PyTorch here."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..errors import ModelFileError

BATCH = 32  # inputs per call: images, texts of similar length, or rows


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def open_session(model: bytes | str | Path, threads: int | None = None):
    """An ONNX Runtime session on the CPU, with every graph optimisation and quiet logs."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        options.intra_op_num_threads = threads
    options.log_severity_level = 3
    source = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


class OnnxNetwork:
    """The network of an exported model folder, checked against the manifest's hash and
    refused if it would read data from other files (ONNX "external data")."""

    def __init__(self, path: Path, expected_sha256: str | None):
        import onnx

        try:
            data = path.read_bytes()
        except OSError as e:
            raise ModelFileError(f"{path} cannot be read ({e.strerror}); export the model again.") from None
        if sha256(data) != expected_sha256:
            raise ModelFileError(f"{path} does not match the manifest; export the model again.")
        try:
            model = onnx.ModelProto.FromString(data)
        except Exception:  # noqa: BLE001 - protobuf raises its own DecodeError
            raise ModelFileError(f"{path} is not an ONNX model; export the model again.") from None
        if _external(model):
            raise ModelFileError(f"{path} refers to data in other files; export the model again.")
        try:
            self.session = open_session(data)
        except Exception as e:  # noqa: BLE001 - ONNX Runtime's errors have no common base class
            raise ModelFileError(
                f"{path} cannot be run by ONNX Runtime ({type(e).__name__}); export the model again."
            ) from None
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.tokens = self.inputs == ["input_ids", "attention_mask"]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """(N, ...) encoder output -> (N, outputs) float32, in batches; token ids are
        batched by length and each batch cut to its longest text."""
        order = np.argsort((x != 0).sum(1), kind="stable") if self.tokens else np.arange(len(x))
        parts = [
            self.session.run(None, self._feeds(x[order[s : s + BATCH]]))[0] for s in range(0, len(x), BATCH)
        ]
        out = np.concatenate(parts) if parts else np.zeros((0, 1), np.float32)
        result = np.empty_like(out)
        result[order] = out
        return result.astype(np.float32)

    def _feeds(self, batch: np.ndarray) -> dict:
        if not self.tokens:
            return {self.inputs[0]: batch}
        mask = batch != 0
        length = max(int(mask.sum(1).max()), 1)
        return {
            "input_ids": batch[:, :length].astype(np.int64),
            "attention_mask": mask[:, :length].astype(np.int64),
        }


def _external(message) -> bool:
    """Whether any tensor anywhere in the model (initializers, node attributes, subgraphs,
    functions) keeps its data in another file."""
    import onnx
    from google.protobuf.message import Message

    if isinstance(message, onnx.TensorProto) and message.data_location == onnx.TensorProto.EXTERNAL:
        return True
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if any(_external(item) for item in ([value] if isinstance(value, Message) else value)):
            return True
    return False
