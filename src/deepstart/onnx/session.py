"""Running an ONNX network with ONNX Runtime on the CPU: one way to open a session, and
the network of an exported model folder, checked before it runs. No PyTorch here."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..errors import ModelFileError

BATCH = 32  # inputs per call: images, texts of similar length, or rows
PRECISE_INT8 = "session.x64quantprecision"  # ONNX Runtime's session option, set to "1" below
MAX_MEMORY = 4 << 30  # bytes all ONNX Runtime sessions of a process may hold: a graph that
# asks for more (a ConstantOfShape of 10^10 zeros, say) fails instead of exhausting memory
_capped = False


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
    # On x86 CPUs without VNNI (AVX2; AVX-512 before VNNI) ONNX Runtime's fast int8 kernels
    # (uint8 x int8) add products in pairs into 16 bits, which saturate (an int8 digits
    # model predicted 1 for 18 of its 24 sevens). This option has them run as uint8 x uint8
    # there instead, exactly; it changes nothing on other CPUs.
    options.add_session_config_entry(PRECISE_INT8, "1")
    _cap_memory(ort)
    options.add_session_config_entry("session.use_env_allocators", "1")  # the capped one below
    source = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def _cap_memory(ort) -> None:
    """One CPU arena for every session in this process, that refuses to grow past MAX_MEMORY."""
    global _capped
    if not _capped:
        where = ort.OrtMemoryInfo("Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT)
        ort.create_and_register_allocator(where, ort.OrtArenaCfg({"max_mem": MAX_MEMORY}))
        _capped = True


class OnnxNetwork:
    """The network of an exported model folder, checked against the manifest's hash,
    refused if it would read data from other files (ONNX "external data") or if its
    output is not one row of n_outputs numbers per input; it runs in the capped arena."""

    def __init__(self, path: Path, expected_sha256: str | None, n_outputs: int):
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
        self.path = path
        shape = self.session.get_outputs()[0].shape
        if len(shape) != 2 or shape[1] != n_outputs:
            raise ModelFileError(
                f"{path} gives outputs of shape {shape}, not {n_outputs} per input; export the model again."
            )
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.tokens = self.inputs == ["input_ids", "attention_mask"]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """(N, ...) encoder output -> (N, outputs) float32, in batches; token ids are
        batched by length and each batch cut to its longest text."""
        order = np.argsort((x != 0).sum(1), kind="stable") if self.tokens else np.arange(len(x))
        try:
            parts = [
                self.session.run(None, self._feeds(x[order[s : s + BATCH]]))[0]
                for s in range(0, len(x), BATCH)
            ]
        except Exception as e:  # noqa: BLE001 - ONNX Runtime's errors (memory over the cap too)
            reason = str(e).split("Status Message:")[-1].strip().splitlines()[0][:160]
            raise ModelFileError(f"{self.path} failed to run ({reason}); export the model again.") from None
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
