"""Photos with their boxes drawn on them: predicted boxes in each class's colour with its
name and score, true boxes (where known) as thin white frames; for report.html, for
`predict --draw DIR`, and for the studio's samples."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageOps

from ...data.images import open_image, too_large
from ...files import read_regular, write_atomic

COLOURS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324", "#800000"]


def colour(label: str, classes: list[str]) -> str:
    return COLOURS[classes.index(label) % len(COLOURS)] if label in classes else "#ffe119"


def drawn(item, found: list[dict], classes: list[str], truth: list[dict] | None = None, side: int = 0):
    """The photo (a file or bytes) with its boxes, as shown (EXIF rotation applied); side:
    the long side it is scaled to (0: as it is). None where it cannot be read."""
    try:
        image = open_image(item if isinstance(item, bytes) else read_regular(item))
        if too_large(*image.size, 50_000_000):
            return None
        image = ImageOps.exif_transpose(image).convert("RGB")
    except Exception:  # noqa: BLE001 - a photo that cannot be drawn is left out
        return None
    scale = min(1.0, side / max(image.size)) if side else 1.0
    if scale < 1:
        image = image.resize(
            (round(image.width * scale), round(image.height * scale)), Image.Resampling.BILINEAR
        )
    pen = ImageDraw.Draw(image)
    thick = max(1, round(max(image.size) / 300))
    for box in truth or []:
        pen.rectangle([v * scale for v in box["box"]], outline="white", width=thick)
    for box in found:
        corners, hue = [v * scale for v in box["box"]], colour(box["label"], classes)
        pen.rectangle(corners, outline=hue, width=thick + 1)
        text = f"{box['label']} {box['score']:.2f}" if "score" in box else box["label"]
        left, top = corners[0], max(0, corners[1] - 11)
        pen.rectangle(pen.textbbox((left, top), text), fill=hue)
        pen.text((left, top), text, fill="white")
    return image


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def data_url(image: Image.Image, quality: int = 80) -> str:
    """The image as a JPEG data URL, for a self-contained page."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def write_drawn(folder: Path, names: list[str], items: list, answers: list, classes: list[str]) -> list[Path]:
    """Each photo with its boxes, as a PNG in folder (named after the photo); skipped photos are not drawn."""
    folder.mkdir(parents=True, exist_ok=True)
    written, used = [], set()
    for name, item, answer in zip(names, items, answers):
        image = None if isinstance(answer, str) else drawn(item, answer, classes)
        if image is None:
            continue
        stem = Path(str(name)).stem or "photo"
        target = folder / f"{stem}.png"
        k = 1
        while target.name in used:
            k, target = k + 1, folder / f"{stem}_{k}.png"
        used.add(target.name)
        written.append(write_atomic(target, png(image)))
    return written
