"""Files a table lists, kept inside the data's own folder where one is set. On the
command line a table may name any file its user can read; a service (the studio) reads
tables that others upload, whose file columns could name '/home/you/.ssh/id_rsa' or
'../../other-project/x.wav'. Inside `data_folder(root)`, every file a table lists is
resolved (links and '..' followed) and read only if it lies inside root; the others are
skipped, named in one line. Every modality whose tables list files calls keep_inside."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from ..errors import DataError
from ..log import warn

_ROOT: ContextVar[Path | None] = ContextVar("deepstart_data_folder", default=None)


@contextmanager
def data_folder(root: str | Path) -> Iterator[Path]:
    """Within: the files tables list are read only from inside root."""
    resolved = Path(root).resolve()
    token = _ROOT.set(resolved)
    try:
        yield resolved
    finally:
        _ROOT.reset(token)


def inside(path: str | Path) -> bool:
    """Whether the file may be read: always, unless a data folder is set and the path,
    resolved, leads out of it."""
    root = _ROOT.get()
    return root is None or Path(path).resolve().is_relative_to(root)


def keep_inside(files: list[Path], origin: str) -> list[bool]:
    """Which of the files a table (origin) lists may be read; those that may not are
    named in one warning, and if none may, one line refuses the table."""
    kept = [inside(f) for f in files]
    outside = [str(f) for f, k in zip(files, kept) if not k]
    if outside and not any(kept):
        raise DataError(
            f"Every file listed in {origin} lies outside the uploaded data (e.g. '{outside[0]}'); "
            "put the files beside the table, named relative to it, and upload them together."
        )
    if outside:
        more = ", ..." if len(outside) > 3 else ""
        warn(
            f"{len(outside)} of the {len(files)} files listed in {origin} lie outside the uploaded data and "
            f"are skipped ({', '.join(outside[:3])}{more}): only files uploaded with a table are read."
        )
    return kept
