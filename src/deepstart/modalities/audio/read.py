"""Recordings to learn from: a folder with one subfolder of sound files per class
(recordings/yes/*.wav, recordings/no/*.wav); sound files, folders of them or uploads to
predict on. WAV, FLAC, OGG and MP3, decoded later (encoder.py). No PyTorch here."""

from __future__ import annotations

from pathlib import Path

from ...data.examples import Examples
from ...data.images import is_hidden, list_image_files
from ...errors import DataError
from ...log import warn
from ..given import Given

SOUND = (".wav", ".flac", ".ogg", ".oga", ".mp3")


def is_sound(path: Path) -> bool:
    return path.suffix.lower() in SOUND


def holds_sound(folder: Path, sample: int = 50) -> bool:
    """Whether most of the first files found below folder are sound files."""
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and not is_hidden(path):
            found.append(is_sound(path))
            if len(found) >= sample:
                break
    return bool(found) and sum(found) > len(found) / 2


def read_labeled(given: Given) -> Examples:
    if given.form != "folder":
        raise DataError(
            f"{given.origin}: recordings are read from a folder with one subfolder per class "
            "(recordings/yes/*.wav); give such a folder."
        )
    root = Path(given.source)
    items, labels = [], []
    for class_dir in sorted(p for p in root.iterdir() if p.is_dir() and not is_hidden(p)):
        files = list_image_files(class_dir)  # every file below: the non-sound ones are skipped when read
        if not files:
            warn(f"Folder {class_dir} has no files; it is not used as a class.")
        items += files
        labels += [class_dir.name] * len(files)
    if not items:
        raise DataError(f"{root} has no class subfolders of recordings (e.g. {root}/yes/*.wav).")
    return Examples("audio", items, labels, str(root))


def read_unlabeled(inputs) -> Examples:
    """Sound files (or folders of them), or uploads (bytes)."""
    inputs = [inputs] if isinstance(inputs, (str, Path, bytes)) else list(inputs)
    if inputs and all(isinstance(value, bytes) for value in inputs):
        names = [f"upload {i + 1}" for i in range(len(inputs))]
        return Examples("audio", list(inputs), None, f"{len(inputs)} uploaded recordings", names=names)
    items: list[Path] = []
    for value in inputs:
        path = Path(value)
        if path.is_dir():
            items += list_image_files(path)
        elif path.is_file():
            items.append(path)
        elif path.exists():
            raise DataError(f"{path} is not a regular file; give sound files or folders of them.")
        else:
            raise DataError(f"{path} does not exist; give sound files or folders of them.")
    if not items:
        raise DataError(f"No files found in {', '.join(map(str, inputs))[:200]}; name sound files.")
    return Examples("audio", items, None, ", ".join(str(v) for v in inputs)[:200])
