"""Writing files and folders so that a reader never sees half of one: to a temporary
name beside the target, then renamed into place (atomic on one file system)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def write_atomic(path: str | Path, data: bytes | str) -> Path:
    """Write data (text as UTF-8) to path, whole or not at all."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def swap_in(new: Path, target: Path, old: Path) -> Path:
    """Put the folder new in target's place: a previous target waits at old (where a
    reader that finds no target may look) until new is in place, then goes."""
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    try:
        new.rename(target)
    except BaseException:
        if old.exists() and not target.exists():
            old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return target
