"""Photos with boxes to learn from, in the layout they come in (layouts.py), detected
without flags: each annotation's photo found, its size read from its header, its boxes
checked (fixed or skipped, one line each kind of problem); and photos to predict on."""

from __future__ import annotations

from pathlib import Path

from ...data.confine import keep_inside
from ...data.examples import Examples
from ...data.images import IMAGE_EXTENSIONS, files_named, open_image
from ...errors import DataError
from ...files import read_regular
from ..given import Given
from . import layouts
from .boxes import Box, Photo, Photos, Problems, checked

KIND = "detection"
NO_LABELS = {  # what is done with a photo that no annotation names, by layout
    "YOLO": "kept as photos with no object (YOLO's convention)",
}


def layout_of(given: Given) -> str | None:
    """The layout of the given data: "Pascal VOC", "COCO", "YOLO", "a table of boxes", or None."""
    if given.form == "table":
        return "a table of boxes" if layouts.box_columns(given.table.columns) else None
    if given.form != "folder":
        return None
    root = Path(given.source)
    files = layouts.files_below(root)
    return _layout(root, files)


def _layout(root: Path, files: list[Path]) -> str | None:
    if any(layouts.is_voc(p) for p in files if p.suffix.lower() == ".xml"):
        return "Pascal VOC"
    if any(layouts.is_coco(p) for p in files if p.suffix.lower() == ".json"):
        return "COCO"
    if layouts.yolo_names(
        root, [p for p in files if p.suffix.lower() in (".yaml", ".yml", ".txt", ".names")]
    ):
        labels = [p for p in files if p.suffix.lower() == ".txt" and p.name.lower() not in layouts.NAME_FILES]
        if labels:
            return "YOLO"
    if any(layouts.is_box_table(p) for p in files if len(p.relative_to(root).parts) == 1):
        return "a table of boxes"
    return None


def read_labeled(given: Given) -> Photos:
    """Every photo an annotation names, with its checked boxes."""
    problems = Problems()
    if given.form == "table":
        path = Path(given.source)
        base = _image_folder(path, given.images)
        notes = layouts.table(path, base, problems, given.table)
        found, root = "a table of boxes", path.parent
    else:
        root = Path(given.source)
        files = layouts.files_below(root)
        found = _layout(root, files)
        if found is None:
            raise DataError(
                f"{root} holds no boxes deepstart can read: give Pascal VOC .xml files, a COCO .json, YOLO "
                ".txt labels with data.yaml or classes.txt, or a CSV of filename, xmin, ymin, xmax, ymax, "
                "label."
            )
        notes = _notes(found, root, files, problems)
    problems.words["unlabeled"] = NO_LABELS.get(
        found, "not used (give each an annotation, even an empty one)"
    )
    photos = _photos(notes, root, problems)
    if given.form == "folder" and found != "YOLO":
        _unnamed(root, photos, problems)
    problems.say()
    if not photos:
        raise DataError(f"No photo in {given.origin} could be used with its boxes; see the lines above.")
    return _examples(photos, str(given.origin), found)


def _notes(found: str, root: Path, files: list[Path], problems: Problems) -> list[layouts.Note]:
    if found == "Pascal VOC":
        return layouts.voc(root, files, problems)
    if found == "COCO":
        return layouts.coco(root, files, problems)
    if found == "YOLO":
        problems.words["known"] = "not among the class names"
        return layouts.yolo(root, files, problems)
    table = next(p for p in files if layouts.is_box_table(p) and len(p.relative_to(root).parts) == 1)
    return layouts.table(table, _image_folder(table, None), problems)


def _photos(notes: list[layouts.Note], root: Path, problems: Problems) -> list[Photo]:
    """Each photo found (annotations of one photo joined), its size read, its boxes checked."""
    index = _Index(root)
    joined: dict[Path, Photo] = {}
    for note in notes:
        file = index.find(note.image, note.base)
        if file is None:
            problems.add("no photo", note.where)
            continue
        photo = joined.setdefault(file, Photo(file, [], note.part))
        photo.part = photo.part or note.part
        photo.boxes += [(label, corners, note) for label, corners in note.boxes]
    kept = []
    for file, photo in joined.items():
        size = displayed_size(file)
        if size is None:
            problems.add(
                "unreadable photo",
                file.relative_to(root).as_posix() if file.is_relative_to(root) else file.name,
            )
            continue
        photo.boxes = [
            b
            for b in (_box(label, corners, note, size, problems) for label, corners, note in photo.boxes)
            if b
        ]
        kept.append(photo)
    return kept


def _box(
    label: str, corners: tuple, note: layouts.Note, size: tuple[int, int], problems: Problems
) -> Box | None:
    if note.fractions and all(isinstance(v, float) for v in corners):  # YOLO: centre and size
        (cx, cy, w, h), (width, height) = corners, size
        corners = ((cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height)
    if not label:
        problems.add("unknown", note.where)
        return None
    return checked(label, corners, size, note.where, problems)


def _unnamed(root: Path, photos: list[Photo], problems: Problems) -> None:
    """Photos in the folder that no annotation names (said, not used)."""
    named = {p.file.resolve() for p in photos}
    for path in layouts.files_below(root):
        if path.suffix.lower() in IMAGE_EXTENSIONS and path.resolve() not in named:
            problems.add("no labels", path.relative_to(root).as_posix())


def _examples(photos: list[Photo], origin: str, found: str) -> Photos:
    photos.sort(key=lambda p: str(p.file))
    return Photos(
        KIND,
        [p.file for p in photos],
        [p.boxes for p in photos],
        origin,
        task=KIND,
        parts=[p.part for p in photos],
        layout=found,
    )


def displayed_size(file: Path) -> tuple[int, int] | None:
    """(width, height) of the photo as shown (EXIF rotation applied), from its header; None: not an image."""
    try:
        image = open_image(read_regular(file))
        width, height = image.size
        turned = image.getexif().get(0x0112) in (5, 6, 7, 8)  # rotated a quarter turn
    except Exception:  # noqa: BLE001 - any file that is not a readable image
        return None
    return (height, width) if turned else (width, height)


class _Index:
    """Image files below a folder, found by the path or the name an annotation gives."""

    def __init__(self, root: Path):
        self.root = root
        self.by_name: dict[str, list[Path]] = {}
        for path in layouts.files_below(root):
            if path.suffix.lower() in IMAGE_EXTENSIONS:
                self.by_name.setdefault(path.name.lower(), []).append(path)
                self.by_name.setdefault(path.stem.lower(), []).append(path)

    def find(self, name: str, base: Path) -> Path | None:
        if not name:
            return None
        for folder in (base, self.root):
            path = folder / name
            if path.suffix.lower() in IMAGE_EXTENSIONS and path.is_file():
                return path if keep_inside([path], str(base))[0] else None
        same = self.by_name.get(Path(name).name.lower()) or self.by_name.get(Path(name).stem.lower()) or []
        near = [p for p in same if p.parent == base] or same
        return near[0] if len(near) == 1 or (near and near[0].parent == base) else None


def _image_folder(table: Path, images) -> Path:
    """The folder a table's file names are relative to: --images, else the table's folder
    (the index also finds them in the folders below it)."""
    if images is None:
        return table.parent
    if not Path(images).is_dir():
        raise DataError(f"--images {images} is not a folder; give the folder that holds the photos.")
    return Path(images)


def read_unlabeled(inputs) -> Examples:
    """Photo files (or folders of them), or uploads (bytes)."""
    inputs = [inputs] if isinstance(inputs, (str, Path, bytes)) else list(inputs)
    if inputs and all(isinstance(value, bytes) for value in inputs):
        names = [f"upload {i + 1}" for i in range(len(inputs))]
        return Examples(KIND, list(inputs), None, f"{len(inputs)} uploaded photos", names=names)
    items = []
    for value in inputs:  # a folder's photos, and files as named (one that is no photo is said so)
        found = files_named([value], "photos")
        items += [p for p in found if p.suffix.lower() in IMAGE_EXTENSIONS] if Path(value).is_dir() else found
    if not items:
        raise DataError(
            f"No photos found in {', '.join(map(str, inputs))[:200]}; name photos or folders of them."
        )
    return Examples(KIND, items, None, ", ".join(str(v) for v in inputs)[:200])
