"""The layouts people keep boxes in, each read into Notes (what an annotation says of one
photo, before the photo is found and the boxes checked): Pascal VOC XML files (beside the
photos or in annotations/), a COCO JSON, YOLO .txt labels with their class names
(data.yaml, classes.txt or obj.names), and a table of boxes (filename, xmin, ymin, xmax,
ymax, label). Each reader is asked whether a folder holds its layout (`finds`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ...data.images import IMAGE_EXTENSIONS, is_hidden
from ...data.tables import read_table
from ...errors import DataError
from ...files import read_regular
from .boxes import Problems

MAX_ANNOTATION = 512 << 20  # bytes of one annotation file (a COCO JSON of a large set is ~500 MB)
MAX_FILES = 1_000_000  # files looked at in a folder
SPLITS = {
    "train": "train",
    "training": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "test": "test",
}
CORNERS = {  # the corner columns of a table of boxes, as they are named
    "xmin": ("xmin", "x_min", "x1", "left"),
    "ymin": ("ymin", "y_min", "y1", "top"),
    "xmax": ("xmax", "x_max", "x2", "right"),
    "ymax": ("ymax", "y_max", "y2", "bottom"),
}
LABELS = ("label", "class", "class_name", "category", "name", "labels")


@dataclass
class Note:
    """What one annotation says of one photo: how it names the photo (relative to base),
    the boxes (label, (x0, y0, x1, y1) in pixels, or for YOLO (cx, cy, w, h) as fractions),
    and the layout's own split of it."""

    image: str
    base: Path
    where: str  # the annotation, for messages
    boxes: list[tuple[str, tuple]] = field(default_factory=list)
    part: str | None = None
    fractions: bool = False  # YOLO: centre and size as fractions of the photo's width and height


def files_below(root: Path) -> list[Path]:
    """Every non-hidden file below root (at most MAX_FILES), sorted."""
    found = []
    for path in root.rglob("*"):
        if any(is_hidden(Path(p)) for p in path.relative_to(root).parts) or not path.is_file():
            continue
        found.append(path)
        if len(found) >= MAX_FILES:
            break
    return sorted(found)


def part_of(words) -> str | None:
    """The split named by any of words (a file's or folder's names): train, val or test."""
    for word in words:
        for piece in re.split(r"[^a-z]+", str(word).lower()):
            if piece in SPLITS:
                return SPLITS[piece]
    return None


def _text(path: Path) -> str:
    return read_regular(path, MAX_ANNOTATION).decode("utf-8-sig", errors="replace")


# -- Pascal VOC -------------------------------------------------------------------------
def is_voc(path: Path) -> bool:
    if path.suffix.lower() != ".xml":
        return False
    try:
        with open(path, "rb") as f:
            return b"<annotation" in f.read(4096)
    except OSError:
        return False


def voc(root: Path, files: list[Path], problems: Problems) -> list[Note]:
    """One Note per XML file; the split from ImageSets/Main/{train,val,trainval,test}.txt."""
    import xml.etree.ElementTree as ET

    parts = _voc_parts(root)
    notes = []
    for path in (p for p in files if is_voc(p)):
        where = path.relative_to(root).as_posix()
        data = read_regular(path, MAX_ANNOTATION)
        if b"<!ENTITY" in data or b"<!DOCTYPE" in data:  # no entity expansion (XML bombs): not VOC
            problems.add("unreadable", where)
            continue
        try:
            tree = ET.fromstring(data)
        except ET.ParseError:
            problems.add("unreadable", where)
            continue
        name = (tree.findtext("filename") or "").strip() or path.stem
        note = Note(name, path.parent, where, part=parts.get(Path(name).stem) or parts.get(path.stem))
        for obj in tree.iter("object"):
            box = obj.find("bndbox")
            corners = tuple(box.findtext(k) if box is not None else None for k in CORNERS)
            note.boxes.append(((obj.findtext("name") or "").strip(), corners))
        notes.append(note)
    return notes


def _voc_parts(root: Path) -> dict[str, str]:
    """Photo stem -> "train", "val" or "test", from the lists in ImageSets/Main (any case)."""
    lists = [p for p in root.glob("*/*/*.txt") if p.parent.parent.name.lower() == "imagesets"]
    parts: dict[str, str] = {}
    for name in ("trainval", "train", "val", "test"):  # later lists win: val and test over trainval
        for path in (p for p in lists if p.stem.lower() == name):
            for line in _text(path).splitlines():
                if line.split():
                    parts[line.split()[0]] = "train" if name == "trainval" else name
    return parts


# -- COCO -------------------------------------------------------------------------------
def is_coco(path: Path) -> bool:
    if path.suffix.lower() != ".json":
        return False
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 20)
    except OSError:
        return False
    return b'"images"' in head and (
        b'"annotations"' in head or b'"categories"' in head or len(head) >= 1 << 20
    )


def coco(root: Path, files: list[Path], problems: Problems) -> list[Note]:
    """One Note per image of every COCO JSON; the split from each JSON's name or folder."""
    notes = []
    for path in (p for p in files if is_coco(p)):
        where = path.relative_to(root).as_posix()
        try:
            found = json.loads(_text(path))
            names = {c["id"]: str(c["name"]) for c in found["categories"]}
            images = {i["id"]: i for i in found["images"]}
        except (ValueError, KeyError, TypeError):
            raise DataError(
                f"{where} is not a COCO file (images, annotations, categories); fix it."
            ) from None
        part = part_of([path.stem, path.parent.name])
        by_image = {
            key: Note(str(i.get("file_name", "")), path.parent, where, part=part) for key, i in images.items()
        }
        for a in found.get("annotations", []):
            note = by_image.get(a.get("image_id")) if isinstance(a, dict) else None
            if note is None:
                problems.add("no photo", where)
            elif a.get("iscrowd"):
                problems.add("crowd", where)
            elif a.get("category_id") not in names:
                problems.add("unknown", where)
            else:
                x, y, w, h = (list(a.get("bbox") or []) + [None] * 4)[:4]
                corners = (
                    (x, y, x + w, y + h)
                    if all(isinstance(v, (int, float)) for v in (x, y, w, h))
                    else (None,) * 4
                )
                note.boxes.append((names[a["category_id"]], corners))
        notes += by_image.values()
    return notes


# -- YOLO -------------------------------------------------------------------------------
NAME_FILES = ("classes.txt", "obj.names", "classes.names")


def yolo_names(root: Path, files: list[Path]) -> tuple[list[str], dict] | None:
    """The class names of a YOLO layout (data.yaml's names, or classes.txt / obj.names) and
    data.yaml itself; None where there are none."""
    for path in files:
        if path.suffix.lower() in (".yaml", ".yml") and len(path.relative_to(root).parts) <= 2:
            config = _yaml(path)
            names = config.get("names") if isinstance(config, dict) else None
            if isinstance(names, dict):
                names = [str(names[k]) for k in sorted(names, key=int)]
            if isinstance(names, list) and names:
                return [str(n) for n in names], config
    for path in files:
        if path.name.lower() in NAME_FILES and len(path.relative_to(root).parts) <= 2:
            return [line.strip() for line in _text(path).splitlines() if line.strip()], {}
    return None


def _yaml(path: Path):
    import yaml

    try:
        return yaml.safe_load(_text(path))
    except yaml.YAMLError:
        return None


def yolo_label_file(image: Path, root: Path) -> Path:
    """Where YOLO keeps a photo's labels: images/.../a.jpg -> labels/.../a.txt, else a.txt beside it."""
    parts = list(image.relative_to(root).parts)
    if "images" in parts[:-1]:
        k = len(parts) - 2 - parts[:-1][::-1].index("images")
        parts[k] = "labels"
        return root.joinpath(*parts).with_suffix(".txt")
    return image.with_suffix(".txt")


def yolo(root: Path, files: list[Path], problems: Problems) -> list[Note]:
    """One Note per photo; a photo without a label file holds no object (YOLO's convention)."""
    names, _ = yolo_names(root, files) or ([], {})
    notes = []
    for image in (p for p in files if p.suffix.lower() in IMAGE_EXTENSIONS):
        labels, where = yolo_label_file(image, root), image.relative_to(root).as_posix()
        note = Note(
            image.name, image.parent, where, part=part_of(image.relative_to(root).parts[:-1]), fractions=True
        )
        notes.append(note)
        if not labels.is_file():
            problems.add("no labels", where)
            continue
        where = labels.relative_to(root).as_posix()
        for line in _text(labels).splitlines():
            values = line.split()
            if not values:
                continue
            if not values[0].isdigit() or int(values[0]) >= len(names):
                problems.add("unknown", where)
                continue
            note.boxes.append((names[int(values[0])], _yolo_box(values[1:])))
    return notes


def _yolo_box(values: list[str]) -> tuple:
    """(cx, cy, w, h) as fractions; a polygon (YOLO's segments: x1 y1 x2 y2 ...) as the box around it."""
    try:
        numbers = [float(v) for v in values]
    except ValueError:
        return (None,) * 4
    if len(numbers) == 4:
        return tuple(numbers)
    if len(numbers) >= 6 and len(numbers) % 2 == 0:
        xs, ys = numbers[0::2], numbers[1::2]
        return ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2, max(xs) - min(xs), max(ys) - min(ys))
    return (None,) * 4


# -- a table of boxes -------------------------------------------------------------------
def box_columns(columns) -> dict | None:
    """{"xmin": column, ...} where a table's columns name a box's corners; None otherwise."""
    lower = {str(c).strip().lower(): c for c in columns}
    found = {key: next((lower[a] for a in aliases if a in lower), None) for key, aliases in CORNERS.items()}
    return found if all(found.values()) else None


def is_box_table(path: Path) -> bool:
    if path.suffix.lower() not in (".csv", ".tsv"):
        return False
    try:
        with open(path, "rb") as f:
            header = f.read(4096).decode("utf-8-sig", errors="replace").splitlines()[:1]
    except OSError:
        return False
    return bool(header) and box_columns(re.split(r"[,;\t]", header[0])) is not None


def table(path: Path, base: Path, problems: Problems, frame=None) -> list[Note]:
    """One Note per photo the table lists; a row without corners: a photo with no object."""
    frame = read_table(path) if frame is None else frame
    corners, file_column = box_columns(frame.columns), _file_column(frame)
    if corners is None or file_column is None:
        raise DataError(
            f"{path.name} is not a table of boxes: give columns filename, xmin, ymin, xmax, ymax, label."
        )
    label = next((c for c in frame.columns if c.strip().lower() in LABELS), None)
    split = next((c for c in frame.columns if c.strip().lower() in ("split", "part", "set", "subset")), None)
    notes: dict[str, Note] = {}
    for i, row in enumerate(frame.to_dict("records")):
        name = row[file_column].strip()
        note = notes.setdefault(
            name,
            Note(name, base, f"{path.name}, line {i + 2}", part=part_of([row[split]]) if split else None),
        )
        values = tuple(row[corners[k]].strip() for k in CORNERS)
        if any(values):
            note.boxes.append((row[label].strip() if label else "object", values))
    return list(notes.values())


def _file_column(frame) -> str | None:
    for column in frame.columns:
        values = [v for v in frame[column].head(200) if v.strip()]
        if values and sum(Path(v.strip()).suffix.lower() in IMAGE_EXTENSIONS for v in values) >= 0.9 * len(
            values
        ):
            return column
    return None
