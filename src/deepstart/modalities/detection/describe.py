"""What the studio shows of photos with boxes before training: the layout found, the
classes and how many boxes each has, a few sample photos per class with their boxes (to be
drawn over them), and the problems found in the boxes (the warnings reading them said)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from ..summary import IMBALANCE, choices

SAMPLES = 4  # photos per class shown


def summarize(modality, given, root: Path, max_pixels: int) -> dict:
    photos = modality.read_labeled(given)
    counts = Counter(b.label for boxes in photos.labels for b in boxes)
    samples: dict[str, list[str]] = {}
    boxes: dict[str, list[dict]] = {}
    for file, found in zip(photos.items, photos.labels):
        try:
            relative = Path(file).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:  # outside the project's folder: never shown
            continue
        for label in sorted({b.label for b in found}):
            if len(samples.setdefault(label, [])) < SAMPLES:
                samples[label].append(relative)
                boxes[relative] = [b.as_dict() for b in found]
    n_boxes = sum(counts.values())
    found = {
        "kind": modality.name,
        "noun": modality.noun,
        "task": "detection",
        "n": len(photos.items),
        "target": None,
        "what": f"{n_boxes:,} boxes of {len(counts)} class{'es' * (len(counts) != 1)} ({photos.layout})",
        "classes": [{"name": name, "count": n} for name, n in sorted(counts.items())],
        "samples": samples,
        "boxes": boxes,  # the sample photos' boxes, in the photo's pixels, for the page to draw
        "choices": choices(modality),
        "shows": modality.service.shows,
    }
    if len(counts) > 1 and max(counts.values()) >= IMBALANCE * min(counts.values()):
        (most, many), (least, few) = counts.most_common()[0], counts.most_common()[-1]
        found["imbalance"] = (
            f"'{most}' has {many / few:.0f} times as many boxes as '{least}' ({many} against {few}): "
            f"expect fewer of the '{least}' found."
        )
    return found
