"""Boxes as every layout becomes them: one Photo per image file, its boxes in pixels of
the photo as it is shown (EXIF rotation applied), and what was wrong with the boxes read,
counted by kind and said in one line each (fixed, or skipped, with the reason)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ...data.examples import Examples
from ...log import warn


@dataclass(frozen=True)
class Box:
    """One object: its class and its corners in pixels, (x0, y0) top left, (x1, y1) bottom right."""

    label: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def area(self) -> float:
        return max(0.0, self.x1 - self.x0) * max(0.0, self.y1 - self.y0)

    def to_list(self) -> list[float]:
        return [round(v, 2) for v in (self.x0, self.y0, self.x1, self.y1)]

    def as_dict(self) -> dict:
        return {"label": self.label, "box": self.to_list()}


@dataclass
class Photo:
    """One image file and its boxes; part: the layout's own split ("train", "val",
    "test"), or None where it has none."""

    file: Path
    boxes: list[Box]
    part: str | None = None


@dataclass
class Photos(Examples):
    """Photos with their boxes (labels: a list of Box per photo) and the layout's own split."""

    parts: list[str | None] = field(default_factory=list)
    layout: str = ""  # "Pascal VOC", "COCO", "YOLO", "a CSV of boxes"


# What can be wrong with what was read, and what was done: kind -> (one, many, what was done);
# {n} is the count, {known} and {unlabeled} what the layout fills in (Problems.words).
PROBLEMS = {
    "no photo": (
        "{n} annotation names a photo that is not there",
        "{n} annotations name photos that are not there",
        "skipped",
    ),
    "unreadable photo": ("{n} photo cannot be read", "{n} photos cannot be read", "skipped"),
    "no labels": ("{n} photo has no annotation", "{n} photos have no annotation", "{unlabeled}"),
    "outside": (
        "{n} box reaches outside its photo",
        "{n} boxes reach outside their photo",
        "clipped to its edges",
    ),
    "swapped": (
        "{n} box has its corners swapped (xmax < xmin or ymax < ymin)",
        "{n} boxes have their corners swapped (xmax < xmin or ymax < ymin)",
        "swapped back",
    ),
    "empty": (
        "{n} box has no area (xmax = xmin or ymax = ymin, or it lies outside the photo)",
        "{n} boxes have no area (xmax = xmin or ymax = ymin, or they lie outside the photo)",
        "skipped",
    ),
    "unreadable": (
        "{n} box has coordinates that are not numbers",
        "{n} boxes have coordinates that are not numbers",
        "skipped",
    ),
    "unknown": ("{n} box is of a class {known}", "{n} boxes are of classes {known}", "skipped"),
    "crowd": (
        "{n} box marks a crowd (COCO's iscrowd)",
        "{n} boxes mark crowds (COCO's iscrowd)",
        "left out, as COCO's evaluation does",
    ),
}


class Problems:
    """Problems found while reading, by kind: how many, and an example of where."""

    def __init__(self, **words: str):
        self.count: dict[str, int] = defaultdict(int)
        self.where: dict[str, str] = {}
        self.words = {"known": "not known", "unlabeled": "not used"} | words  # fills {known}, {unlabeled}

    def add(self, kind: str, where: str, n: int = 1) -> None:
        self.count[kind] += n
        self.where.setdefault(kind, where)

    def lines(self) -> list[str]:
        """One line per kind found, in the order of PROBLEMS."""
        out = []
        for kind, (one, many, done) in PROBLEMS.items():
            n = self.count.get(kind, 0)
            if n:
                said = (one if n == 1 else many).format(n=n, **self.words)
                out.append(f"{said} (e.g. {self.where[kind]}): {done.format(**self.words)}.")
        return out

    def say(self) -> list[str]:
        """Each line as a warning; the lines."""
        found = self.lines()
        for line in found:
            warn(line)
        return found


def checked(label: str, corners, size: tuple[int, int], where: str, problems: Problems) -> Box | None:
    """A box from raw corners (x0, y0, x1, y1) in pixels, fixed where it can be (corners
    swapped, edges outside the photo of size (width, height)) or None, with the problem noted."""
    try:
        x0, y0, x1, y1 = (float(v) for v in corners)
    except (TypeError, ValueError):
        problems.add("unreadable", where)
        return None
    if not all(abs(v) < 1e7 for v in (x0, y0, x1, y1)):  # NaN and absurd numbers too
        problems.add("unreadable", where)
        return None
    if x1 < x0 or y1 < y0:
        problems.add("swapped", where)
        x0, x1, y0, y1 = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
    width, height = size
    inside = (max(0.0, x0), max(0.0, y0), min(float(width), x1), min(float(height), y1))
    if inside[2] - inside[0] < 1 or inside[3] - inside[1] < 1:  # less than a pixel wide or high
        problems.add("empty", where)
        return None
    if inside != (x0, y0, x1, y1):
        problems.add("outside", where)
    return Box(label, *inside)
