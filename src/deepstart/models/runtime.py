"""Running a frozen network the fastest way measured on the machine: ONNX Runtime on a
CPU (about 4x eager PyTorch for EfficientNet-Lite0 on 2 cores), PyTorch on a GPU."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..cache import cache_dir
from ..files import write_atomic
from ..log import say
from ..onnx.graph import quantize_dynamic, to_onnx
from ..onnx.session import open_session


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
                self._session = _open(build, key, self.example, int8)
            except Exception as e:  # noqa: BLE001 - any export failure falls back to PyTorch
                say(f"ONNX Runtime is not usable here ({type(e).__name__}); using PyTorch.")
        if self._session is None:
            self._module = build().to(device()).eval()
            if device().type == "cuda":  # convolutions' fast path there
                self._module.to(memory_format=torch.channels_last)

    @property
    def engine(self) -> str:
        return "onnxruntime" if self._session is not None else f"pytorch-{device().type}"

    def __call__(self, x: np.ndarray | dict[str, np.ndarray]) -> np.ndarray:
        inputs = x if isinstance(x, dict) else {"input": x}
        if self._session is not None:
            return self._session.run(None, inputs)[0]
        where = device()
        fast = where.type == "cuda" and torch.cuda.get_device_capability()[0] >= 8  # bf16 tensor cores
        with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=fast):
            out = self._module(*[_placed(torch.from_numpy(inputs[k]), where) for k in self.example])
        return out.float().cpu().numpy()


def _placed(x: torch.Tensor, where: torch.device) -> torch.Tensor:
    """An input on the device: images (4-D) channels last on a GPU."""
    x = x.to(where, non_blocking=True)
    return x.contiguous(memory_format=torch.channels_last) if where.type == "cuda" and x.dim() == 4 else x


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
    graph = to_onnx(build(), example).SerializeToString()
    return write_atomic(path, quantize_dynamic(graph) if int8 else graph)


def _open(build: Callable[[], nn.Module], key: str, example: dict, int8: bool):
    path = exported(build, key, example, int8)
    try:
        return open_session(path, torch.get_num_threads())
    except Exception:  # noqa: BLE001 - a damaged cached export: make it again, once
        path.unlink(missing_ok=True)
        return open_session(exported(build, key, example, int8), torch.get_num_threads())
