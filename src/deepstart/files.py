"""Files, safely: data read only from regular files; files and folders written so that a
reader never sees half of one (to a temporary name beside the target, then renamed into
place: atomic on one file system), and what a killed writer left, cleared."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from pathlib import Path

MAX_DATA_FILE = 2**31  # bytes read from one data file (2 GiB)


class NotReadable(OSError):
    """A data path that is not read: not a regular file, or too large. str(e) is the reason."""

    def __str__(self) -> str:
        return self.strerror


def read_regular(path: str | Path, limit: int = MAX_DATA_FILE) -> bytes:
    """A data file's bytes, only from a regular file (never a device, pipe or socket, even
    through a link: /dev/zero would never end, a pipe would hang) of at most limit bytes;
    NotReadable says why not, OSError as it comes (missing, no permission)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a pipe opens at once instead of waiting
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotReadable(errno.EINVAL, "not a regular file", str(path))
        if info.st_size > limit:
            raise NotReadable(errno.EFBIG, f"larger than {limit:,} bytes", str(path))
        with os.fdopen(os.dup(fd), "rb") as f:
            return f.read(limit)
    finally:
        os.close(fd)


def files_sha256(paths) -> str:
    """One SHA-256 over the files' bytes, in order (a package's weights, say)."""
    import hashlib

    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def is_regular_or_absent(path: Path) -> bool:
    """Whether path is free to be written over: nothing there, or a regular file (not a
    link, folder, device or pipe)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except FileNotFoundError:
        return True


def write_atomic(path: str | Path, data: bytes | str) -> Path:
    """Write data (text as UTF-8) to path, whole or not at all: through a temporary file
    created exclusively beside it (a name nobody can plant a link at), then renamed into
    place. Raises FileExistsError where path is not a regular file, OSError as it comes."""
    path = Path(path)
    if not is_regular_or_absent(path):
        raise FileExistsError(errno.EEXIST, "it exists and is not a regular file", str(path))
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, 0o644)  # as a plain write would make it (mkstemp makes it 0600)
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


def clear_stale(folder: Path, prefix: str) -> list[Path]:
    """Remove what a killed process left in folder: entries named prefix + PID + "-..."
    whose process is no longer running (a running one's, or a reused PID's, stay)."""
    removed = []
    for entry in folder.iterdir() if folder.is_dir() else []:
        pid = entry.name[len(prefix) :].split("-")[0] if entry.name.startswith(prefix) else ""
        if pid.isdigit() and not _running(int(pid)):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    except OverflowError:  # not a PID at all
        return False
    return True
