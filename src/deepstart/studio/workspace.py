"""The studio's folder: every path it reads or writes is made here, from numbers (project
and run ids) and from cleaned names, and checked to stay inside the workspace. Uploads
are saved here, within limits: a folder's files, a table, a .zip (checked for paths
that climb out, links and bombs before anything is extracted: archive.py), webcam
captures."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..data.tables import is_table_file
from ..errors import DataError, Refused

CHUNK = 1 << 20
LEFT_OUT = ("__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini")  # what file managers add


@dataclass
class Limits:
    max_upload: int = 1 << 30  # bytes in one request (1 GiB); more gets 413
    max_files: int = 50_000  # files in one upload or archive
    max_ratio: int = 200  # a zipped file may expand to this many times its compressed size
    max_pixels: int = 50_000_000  # per image, checked from its header


class Workspace:
    def __init__(self, root: Path):
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "projects").mkdir(exist_ok=True)
        (self.root / "runs").mkdir(exist_ok=True)

    @property
    def database(self) -> Path:
        return self.root / "studio.sqlite"

    def project_dir(self, project_id: int) -> Path:
        return self.root / "projects" / str(int(project_id))

    def data_dir(self, project_id: int) -> Path:
        return self.project_dir(project_id) / "data"

    def run_dir(self, run_id: int) -> Path:
        return self.root / "runs" / str(int(run_id))

    def inside(self, path: Path) -> Path:
        """The path, resolved, refused if it leads out of the workspace (a link, '..')."""
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root):
            raise Refused(400, "That path leads out of the studio's workspace.")
        return resolved

    def shown(self, text: str) -> str:
        """A message for the page, with no path of this machine in it: a project's files
        named as the project names them (data/wine.csv), others from the workspace."""
        root = re.escape(str(self.root))
        return re.sub(root + r"/", "", re.sub(root + r"/projects/\d+/", "", text))

    def remove(self, path: Path) -> None:
        shutil.rmtree(self.inside(path), ignore_errors=True)

    def remove_run(self, run_id: int) -> None:
        """A run's folder and its worker's log."""
        self.remove(self.run_dir(run_id))
        self.run_dir(run_id).with_suffix(".log").unlink(missing_ok=True)


def clean_parts(name: str) -> list[str]:
    """A relative file name from a client, as safe path parts: no root, no '..', no
    hidden or empty parts, no control characters."""
    parts = []
    for part in PurePosixPath(name.replace("\\", "/")).parts:
        part = "".join(c for c in part if c.isprintable()).strip()
        if part in ("", ".", "..", "/") or part.startswith("."):
            raise Refused(422, f"The file name {name[:100]!r} is not usable; rename it.")
        parts.append(part[:200])
    if not parts:
        raise Refused(422, "A file has no name.")
    return parts


def left_out(name: str) -> bool:
    """What a file manager adds to a folder or an archive (__MACOSX/, ._name, .DS_Store,
    Thumbs.db): not data, left out without a word."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return any(p in LEFT_OUT or p.startswith("._") for p in parts)


def class_name(name: str) -> str:
    """A class name typed in the page, as a folder name."""
    cleaned = re.sub(r"[/\\\x00-\x1f]", "", name).strip()
    if not cleaned or cleaned.startswith("."):
        raise Refused(422, "Give the class a name (letters, digits, spaces).")
    return cleaned[:100]


def common_root(names: list[list[str]]) -> int:
    """1 when every file lies in one folder, the one dropped (its name is not a class), else 0."""
    return int(all(len(n) > 1 for n in names) and len({n[0] for n in names}) == 1)


def source_of(data: Path) -> Path:
    """What to train on in an upload: its one table at the top (a CSV of texts or rows,
    or one that lists image files beside their folders), else the folder itself (class
    subfolders). A .txt beside folders is a note, not a table."""
    folders = [p for p in data.iterdir() if p.is_dir() and not p.name.startswith(".")]
    tables = [
        p for p in data.iterdir() if p.is_file() and is_table_file(p) and not (folders and p.suffix == ".txt")
    ]
    if len(tables) == 1:
        return tables[0]
    if len(tables) > 1:
        raise DataError(f"The upload holds {len(tables)} tables at its top; send one table at a time.")
    return data
