"""The model directory: weights in safetensors, everything else in manifest.json.
No pickle: loading reads tensors and JSON and never runs code from the files.
Written to a temporary directory beside the target and renamed into place."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .errors import ConfigError, ModelFileError

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
WEIGHTS = "model.safetensors"


def is_model_dir(path: Path) -> bool:
    return (path / MANIFEST).is_file()


def check_out_dir(out: Path) -> None:
    """Refuse, before any work, to write over something that is not a deepstart model."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file; give a new folder name for the model.")
    if out.is_dir() and any(out.iterdir()) and not is_model_dir(out):
        raise ConfigError(
            f"--out {out} is a folder that holds other files, not a deepstart model; "
            "give a new or empty folder."
        )


def save(
    out: str | Path, manifest: dict, tensors: dict[str, torch.Tensor], files: dict | None = None
) -> Path:
    """Write the model to out atomically; an older model there is replaced.
    files: extra {name: bytes} for people (a training curve), never read back."""
    out = Path(out)
    check_out_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, tmp / WEIGHTS)
        manifest = {**manifest, "format_version": FORMAT_VERSION, "weights_sha256": _sha256(tmp / WEIGHTS)}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        for name, data in (files or {}).items():
            (tmp / name).write_bytes(data)
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        if out.exists():
            out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def load(path: str | Path) -> tuple[dict, dict[str, torch.Tensor]]:
    """Read and check a model directory: (manifest, tensors)."""
    path = Path(path)
    if not path.is_dir():
        raise ModelFileError(f"{path} is not a model folder; give the --out folder of `deepstart train`.")
    if not is_model_dir(path):
        raise ModelFileError(f"{path} has no {MANIFEST}; give the --out folder of `deepstart train`.")
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelFileError(
            f"{path / MANIFEST} is damaged ({e.__class__.__name__}); train the model again."
        ) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("format_version"), int):
        raise ModelFileError(f"{path / MANIFEST} is not a deepstart manifest; train the model again.")
    if manifest["format_version"] > FORMAT_VERSION:
        raise ModelFileError(
            f"{path} was made by a newer deepstart (format {manifest['format_version']}); upgrade deepstart."
        )
    weights = path / WEIGHTS
    if not weights.is_file() or _sha256(weights) != manifest.get("weights_sha256"):
        raise ModelFileError(f"{weights} is missing or does not match the manifest; train the model again.")
    try:
        tensors = load_file(weights)
    except (SafetensorError, OSError) as e:
        raise ModelFileError(f"{weights} cannot be read ({e}); train the model again.") from None
    return manifest, tensors


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
