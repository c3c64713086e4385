"""What the service accepts, checked before anything reaches the model: files as
multipart uploads (kept in memory), or JSON that the model's modality reads. A wrong
field, a wrong JSON type or too many inputs is Refused with a plain message (4xx)."""

from __future__ import annotations

import json

from starlette.requests import Request

from ..data.images import probe, too_large
from ..errors import Refused


async def parse_inputs(request: Request, modality, limits, info: dict) -> tuple[list, list[str]]:
    """(inputs for the model, a name for each), as the modality's service reads them."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    service = modality.service
    if service.uploads:
        if content_type != "multipart/form-data":
            raise Refused(415, f"Send {modality.noun} as multipart/form-data files in the field 'file'.")
        data, names = await _uploads(request, limits, modality.noun)
        service.check_uploads(data, names, limits)  # e.g. a recording's length, from its header
        return data, names
    if content_type != "application/json":
        raise Refused(415, f"Send JSON (content-type application/json) with {service.json_fields()}.")
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, "The body is not valid JSON.") from None
    except RecursionError:
        raise Refused(400, "The JSON is nested too deeply.") from None
    return service.parse_json(body, limits, info)


async def _uploads(request: Request, limits, noun: str) -> tuple[list[bytes], list[str]]:
    try:
        form = await request.form(
            max_files=limits.max_inputs, max_fields=limits.max_inputs, max_part_size=limits.max_body
        )
    except Refused:  # the body limit, met while reading
        raise
    except Exception as e:  # noqa: BLE001 - the multipart parser's errors differ by version
        if "too many files" in str(e).lower():
            raise Refused(413, f"At most {limits.max_inputs} files at once; send fewer.") from None
        raise Refused(
            400, f"The multipart body cannot be read; send {noun} as files in the field 'file'."
        ) from None
    try:
        uploads = [value for key, value in form.multi_items() if key == "file"]
        others = sorted({key for key, _ in form.multi_items() if key != "file"})
        if others or not uploads:
            raise Refused(422, f"Send {noun} as files in the field 'file' (and no other fields).")
        if any(isinstance(u, str) for u in uploads):
            raise Refused(422, "The field 'file' must hold files, not text.")
        data = [await u.read() for u in uploads]  # in memory; never saved under the client's name
        names = [_safe_name(u.filename, i) for i, u in enumerate(uploads)]
    finally:
        await form.close()
    _check_pixels(data, names, limits)
    return data, names


def _check_pixels(data: list[bytes], names: list[str], limits) -> None:
    """Every route, before anything is decoded: each image's size as its header declares
    it (413 above max_pixels or Pillow's own limit, a decompression bomb included), and all
    of the request's together (413 above max_request_pixels), so that one request cannot
    hold the model's thread for long."""
    total = 0
    for name, item in zip(names, data):
        size = probe(item)  # header only; None: not an image, which the model's reading reports
        if size is None:
            continue
        width, height, _ = size
        reason = too_large(width, height, limits.max_pixels)
        if reason is not None:
            raise Refused(413, f"{name}: {reason}; send a smaller image.")
        total += width * height
    if total > limits.max_request_pixels:
        raise Refused(
            413,
            f"The images of one request hold {total:,} pixels, at most {limits.max_request_pixels:,}; "
            "send fewer or smaller images.",
        )


def _safe_name(name: str | None, i: int) -> str:
    """The client's file name, only to label the answer: no folders, printable, short."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if c.isprintable())[:100]
    return base or f"file {i + 1}"
