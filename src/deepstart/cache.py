"""deepstart's cache folder: a feature cache keyed by content hash, so a second run on
the same images skips the expensive network (one SQLite file: safe to share between
runs), networks prepared for this machine (onnx/), and libraries' warnings (warnings.log)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import numpy as np

from .log import warn, warnings_to


def cache_dir() -> Path:
    """$DEEPSTART_CACHE, else ~/.cache/deepstart (or $XDG_CACHE_HOME/deepstart)."""
    if os.environ.get("DEEPSTART_CACHE"):
        return Path(os.environ["DEEPSTART_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "deepstart"


def log_warnings() -> bool:
    """Python's warnings into cache_dir() / "warnings.log", not onto the terminal (the
    CLI and the studio's jobs call this first); False where that file cannot be written."""
    return warnings_to(cache_dir() / "warnings.log")


class FeatureCache:
    """Maps (encoder key, content hash) to a float32 vector."""

    def __init__(self, namespace: str, enabled: bool = True):
        self.namespace = namespace
        self._db = None
        if enabled:
            path = cache_dir() / "features.sqlite"
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(path, timeout=60)
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS features "
                    "(namespace TEXT, hash TEXT, vector BLOB, PRIMARY KEY (namespace, hash))"
                )
            except (sqlite3.Error, OSError) as e:
                warn(f"The feature cache {path} cannot be used ({e}); going on without it.")
                self.close()

    @property
    def enabled(self) -> bool:
        return self._db is not None

    def get(self, hashes: list[str]) -> dict[str, np.ndarray]:
        if self._db is None or not hashes:
            return {}
        found = {}
        for start in range(0, len(hashes), 500):
            chunk = hashes[start : start + 500]
            rows = self._db.execute(
                "SELECT hash, vector FROM features WHERE namespace = ? AND hash IN "
                f"({','.join('?' * len(chunk))})",
                [self.namespace, *chunk],
            )
            found.update({h: np.frombuffer(v, dtype=np.float32) for h, v in rows})
        return found

    def put(self, items: dict[str, np.ndarray]) -> None:
        if self._db is None or not items:
            return
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO features VALUES (?, ?, ?)",
                [(self.namespace, h, np.asarray(v, np.float32).tobytes()) for h, v in items.items()],
            )

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
