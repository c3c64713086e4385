"""Running a frozen network the fastest way measured on the machine: ONNX Runtime on a
CPU (about 4x eager PyTorch for EfficientNet-Lite0 on 2 cores), PyTorch on a GPU."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..cache import cache_dir
from ..log import say


def device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class FrozenNetwork:
    """Calls a network that never trains: arrays (B, ...) in, a float32 array out.

    example: one input tensor, or named inputs {name: tensor} whose axes 0 and 1 vary
    (batch, and sequence length for 2-D inputs). int8: quantise the weights of the
    ONNX model (dynamic quantisation), for speed on a CPU."""

    def __init__(
        self,
        build: Callable[[], nn.Module],
        key: str,
        example: torch.Tensor | dict[str, torch.Tensor],
        int8: bool = False,
    ):
        self.key = key
        self._session = None
        self._module: nn.Module | None = None
        self.example = example if isinstance(example, dict) else {"input": example}
        if device().type == "cpu" and _onnxruntime_available():
            try:
                self._session = _open_session(build, key, self.example, int8)
            except Exception as e:  # noqa: BLE001 - any export failure falls back to PyTorch
                say(f"ONNX Runtime is not usable here ({type(e).__name__}); using PyTorch.")
        if self._session is None:
            self._module = build().to(device()).eval()

    @property
    def engine(self) -> str:
        return "onnxruntime" if self._session is not None else f"pytorch-{device().type}"

    def __call__(self, x: np.ndarray | dict[str, np.ndarray]) -> np.ndarray:
        inputs = x if isinstance(x, dict) else {"input": x}
        if self._session is not None:
            return self._session.run(None, inputs)[0]
        with torch.inference_mode():
            out = self._module(*[torch.from_numpy(inputs[k]).to(device()) for k in self.example])
        return out.float().cpu().numpy()


def _onnxruntime_available() -> bool:
    if os.environ.get("DEEPSTART_ENGINE", "") == "pytorch":
        return False
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def exported(build: Callable[[], nn.Module], key: str, example: dict, int8: bool) -> Path:
    """Export to ONNX once per machine and network version; reuse the file afterwards."""
    path = cache_dir() / "onnx" / f"{key}-torch{torch.__version__}{'-int8' * int8}.onnx"
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    say("Preparing the network for fast CPU inference (once per machine)...")
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    axes = {name: {0: "batch", 1: "length"} if t.dim() == 2 else {0: "batch"} for name, t in example.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            build().eval(),
            tuple(example.values()),
            str(tmp),
            input_names=list(example),
            output_names=["output"],
            dynamic_axes={**axes, "output": {0: "batch"}},
            dynamo=False,
        )
        if int8:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            logging.disable(logging.WARNING)  # its advice to pre-process is for static quantisation
            try:
                quantize_dynamic(tmp, tmp, weight_type=QuantType.QInt8, per_channel=True)
            finally:
                logging.disable(logging.NOTSET)
    tmp.replace(path)
    return path


def _open_session(build: Callable[[], nn.Module], key: str, example: dict, int8: bool):
    path = exported(build, key, example, int8)
    try:
        return _session(path)
    except Exception:  # noqa: BLE001 - a damaged cached export: make it again, once
        path.unlink(missing_ok=True)
        return _session(exported(build, key, example, int8))


def _session(path: Path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = torch.get_num_threads()
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
