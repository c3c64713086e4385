"""What the studio shows of a set of images before training: a few thumbnails per
class, the files that will be skipped and why (from their headers), and copies of one
file filed under two classes."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

from ...data.images import probe, too_large
from ...files import NotReadable, read_regular

SAMPLES = 4  # thumbnails per class
CHECKED = 5000  # images whose headers are read


def describe(examples, root: Path, max_pixels: int) -> dict:
    """Thumbnails per class, files that will be skipped and why, copies across classes."""
    per_class, skipped, hashes = defaultdict(list), [], defaultdict(set)
    for i, (path, label) in enumerate(zip(examples.items, examples.labels)):
        relative = Path(path).resolve().relative_to(root.resolve()).as_posix()
        sample = len(per_class[label]) < SAMPLES
        if i >= CHECKED and not sample:
            continue
        data, reason = _check(path, max_pixels)
        if sample and reason is None:  # never a thumbnail the browser cannot (or must not) draw
            per_class[label].append(relative)
        if i >= CHECKED:
            continue
        if reason is not None:
            skipped.append({"file": relative, "reason": reason})
        if data is not None:
            hashes[hashlib.sha256(data).hexdigest()].add((label, relative))
    copies = [sorted(found) for found in hashes.values() if len({label for label, _ in found}) > 1]
    return {
        "samples": dict(per_class),
        "skipped": skipped[:50],
        "n_skipped": len(skipped),
        "checked": min(len(examples.items), CHECKED),
        "copies_across_classes": [[f for _, f in c] for c in copies[:20]],
        "n_copies_across_classes": len(copies),
    }


def _check(path, max_pixels: int) -> tuple[bytes | None, str | None]:
    """(the file's bytes, or None; why it will be skipped (from its header), or None)."""
    try:
        data = read_regular(path)
    except OSError as e:
        return None, str(e) if isinstance(e, NotReadable) else "cannot be read"
    header = probe(data)
    if header is None:
        return data, "not an image file"
    return data, too_large(header[0], header[1], max_pixels)
