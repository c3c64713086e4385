"""The model directory: weights in safetensors, everything else in manifest.json.
No pickle: loading reads tensors and JSON and never runs code from the files.
Written to a temporary directory beside the target and renamed into place."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import platform
import secrets
import shlex
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from . import manifest as schema
from .errors import ConfigError, ModelFileError, TrainingError
from .files import clear_stale, swap_in
from .log import warn
from .version import __version__

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
WEIGHTS = "model.safetensors"
ONNX = "model.onnx"  # an exported model's network


CURVE = "training_curve.png"
REPORT = "report.html"
TUNING = "tuning.html"  # after deepstart tune: why its settings
OWN_FILES = {MANIFEST, WEIGHTS, CURVE, REPORT, ONNX, TUNING}
KEY_FILE = "DEEPSTART_KEY_FILE"  # the absolute path of this user's signing key file
OLD_KEY = "DEEPSTART_KEY"  # its former name, which read as if it held the key itself
_warned: set[str] = set()  # a warning about the key is said once per process


def is_model_dir(path: Path) -> bool:
    """A folder deepstart wrote: a manifest with a format version, and only deepstart's files."""
    try:
        names = {p.name for p in path.iterdir()}
        manifest = json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return (
        isinstance(manifest, dict) and isinstance(manifest.get("format_version"), int) and names <= OWN_FILES
    )


def check_out_dir(out: Path) -> None:
    """Refuse, before any work, to write over anything that is not a deepstart model."""
    if out.is_symlink():
        raise ConfigError(f"--out {out} is a link; give a plain folder name for the model.")
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file; give a new folder name for the model.")
    if Path.cwd().resolve().is_relative_to(out.resolve()):
        raise ConfigError(f"--out {out} is the current folder or holds it; give a new folder name.")
    parent = next((p for p in out.absolute().parents if p.exists()), None)
    if parent is None or not parent.is_dir():
        raise ConfigError(f"--out {out} cannot be created ({parent} is not a folder); give another path.")
    holder = next((p for p in out.absolute().parents if is_model_dir(p)), None)
    if holder is not None:
        raise ConfigError(f"--out {out} is inside the model folder {holder}; give a path outside it.")
    try:  # writable? (read-only places, /proc, another user's folder): try, then tidy up
        os.rmdir(tempfile.mkdtemp(prefix=".deepstart-check-", dir=parent))
    except OSError as e:
        raise ConfigError(f"--out {out} cannot be written ({e.strerror}); give another path.") from None
    if out.is_dir() and any(out.iterdir()) and not is_model_dir(out):
        raise ConfigError(
            f"--out {out} is a folder that holds other files, not a deepstart model; "
            "give a new or empty folder."
        )
    key_path()  # a wrong DEEPSTART_KEY_FILE is refused now, not when the model is signed


def save(
    out: str | Path, manifest: dict, tensors: dict[str, torch.Tensor], files: dict | None = None
) -> Path:
    """Write the model to out atomically; an older model there is replaced only once the
    new one is complete. files: extra {name: bytes} for people (a training curve).
    Temporary folders that a killed save left beside out are removed first."""
    out = Path(out)
    check_out_dir(out)
    broken = [k for k, v in tensors.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if broken:  # a model that diverged is never saved (training refuses it first; this is the guard)
        raise TrainingError(
            f"The model's weights are not all finite ({len(broken)} of {len(tensors)} tensors hold NaN or "
            "infinity), so it was not saved; lower the learning rate (--lr) and train again."
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        clear_stale(out.parent, f".{out.name}.tmp-")  # left by a save that was killed
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent))
    except OSError as e:
        raise ConfigError(f"--out {out} cannot be created ({e.strerror}); give another path.") from None
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    try:
        save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, tmp / WEIGHTS)
        manifest = {**manifest, "format_version": FORMAT_VERSION, "weights_sha256": _sha256(tmp / WEIGHTS)}
        manifest = sign(manifest)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")  # ASCII: any file name fits
        for name, data in (files or {}).items():
            (tmp / name).write_bytes(data)
        _readable_by_all(tmp)
        swap_in(tmp, out, old)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ConfigError(
            f"The model could not be written to {out} ({e.strerror}); check the path and space."
        ) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _readable_by_all(folder: Path) -> None:
    """mkdtemp makes a private folder; a model is a normal file, with the usual permissions."""
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)
    for path in folder.iterdir():
        path.chmod(0o666 & ~umask)


def load(path: str | Path) -> tuple[dict, dict[str, torch.Tensor]]:
    """Read and check a model directory: (manifest, tensors)."""
    path = Path(path)
    if not path.is_dir():
        raise ModelFileError(f"{path} is not a model folder; give the --out folder of `deepstart train`.")
    if not (path / MANIFEST).is_file():
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
    wrong = schema.problem(manifest)
    if wrong:
        raise ModelFileError(f"{path / MANIFEST} is not valid ({wrong}); train the model again.")
    weights = path / WEIGHTS
    if not weights.is_file() or _sha256(weights) != manifest.get("weights_sha256"):
        raise ModelFileError(f"{weights} is missing or does not match the manifest; train the model again.")
    try:
        tensors = load_file(weights)
    except (SafetensorError, OSError) as e:
        raise ModelFileError(f"{weights} cannot be read ({e}); train the model again.") from None
    return manifest, tensors


def key_path() -> Path:
    """This user's signing key file: DEEPSTART_KEY_FILE, or ~/.config/deepstart/model.key.
    A relative path is refused (it would name another key in every folder); the former
    name DEEPSTART_KEY is read only when it holds an absolute path, with a warning."""
    name = KEY_FILE if os.environ.get(KEY_FILE) else OLD_KEY
    given = os.environ.get(name)
    if not given:
        return Path.home() / ".config" / "deepstart" / "model.key"
    path = Path(given).expanduser()
    if not path.is_absolute():  # the value is not echoed: it may be a key, not a path
        renamed = f" ({OLD_KEY} is now {KEY_FILE})" if name == OLD_KEY else ""
        raise ConfigError(
            f"Invalid value for {name}{renamed}. Expected the absolute path of your signing key file "
            "(e.g. ~/.config/deepstart/model.key). Received: a relative path."
        )
    if name == OLD_KEY:
        _warn_once(f"{OLD_KEY} is now {KEY_FILE} (the path of your signing key file); rename it.")
    return path


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        warn(message)


def _key(create: bool) -> bytes | None:
    """The key (32 random bytes, readable by this user only), made on first use; None where
    there is none and none can be made (a read-only home): the model is then not signed.
    A key file that the group or others may read or write is used, with a warning."""
    path = key_path()
    try:
        if create and not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with contextlib.suppress(FileExistsError):  # another process made it first
                handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(handle, "wb") as out:
                    out.write(secrets.token_bytes(32))
        key, mode = path.read_bytes(), path.stat().st_mode
    except OSError:
        return None
    if mode & 0o077 and os.name == "posix":
        _warn_once(
            f"The signing key {path} is open to other users (mode {mode & 0o777:o}): they could sign "
            f"models as you. Run: chmod 600 {shlex.quote(str(path))}"
        )
    return key if len(key) >= 16 else None


def _signature(manifest: dict, key: bytes) -> str:
    content = {k: v for k, v in manifest.items() if k != "signature"}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def sign(manifest: dict) -> dict:
    """The manifest with an HMAC-SHA256 of itself (which holds the weights' hash) under this
    user's key: proof that this user's deepstart wrote it, for paths it names (export)."""
    key = _key(create=True)
    return manifest if key is None else manifest | {"signature": _signature(manifest, key)}


def signed_here(manifest: dict) -> bool:
    """Whether this user's key signed the manifest: it was written by deepstart here, unchanged."""
    key, found = _key(create=False), manifest.get("signature")
    return (
        key is not None and isinstance(found, str) and hmac.compare_digest(found, _signature(manifest, key))
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def versions() -> dict:
    """The versions of what made a model, for its manifest."""
    import onnxruntime
    import sklearn

    return {
        "deepstart": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "onnxruntime": onnxruntime.__version__,
    }


def restore(path, read):
    """read() the learned state from a manifest and tensors (or anything else from them);
    any inconsistency in them is one ModelFileError that says the folder is invalid."""
    try:
        return read()
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError, IndexError, OverflowError) as e:
        raise ModelFileError(
            f"{path} has an invalid manifest or weights ({type(e).__name__}: {e}); train the model again."
        ) from None
