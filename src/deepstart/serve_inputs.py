"""What the service accepts, checked before anything reaches the model: image files as
multipart uploads (kept in memory), or JSON texts, rows or sequences. A wrong field,
a wrong JSON type or too many inputs is Refused with a plain message (4xx)."""

from __future__ import annotations

import json
import math
import secrets

import pandas as pd
from starlette.requests import Request
from starlette.responses import JSONResponse

from .data.columns import MISSING, numbers
from .serve_queue import Refused

SINGLE = {"text": "text", "table": "row", "sequence": "sequence"}
MANY = {"text": "texts", "table": "rows", "sequence": "sequences"}


async def parse_inputs(request: Request, kind: str, limits, info: dict) -> tuple[list, list[str]]:
    """(inputs for the model, a name for each)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "image":
        if content_type != "multipart/form-data":
            raise Refused(415, "Send images as multipart/form-data files in the field 'file'.")
        return await _images(request, limits)
    if kind == "series":
        return _history(await _json(request, content_type, "'rows'"), limits, info)
    body = await _json(request, content_type, f"'{SINGLE[kind]}' or '{MANY[kind]}'")
    one, many = SINGLE[kind], MANY[kind]
    if not isinstance(body, dict) or len(body) != 1 or not ({one, many} & set(body)):
        raise Refused(422, f"Send a JSON object with one field, '{one}' or '{many}'.")
    if one in body:
        items = [body[one]]
    else:
        items = body[many]
        if not isinstance(items, list) or not items:
            raise Refused(422, f"'{many}' must be a list with at least one {one}.")
    if len(items) > limits.max_inputs:
        raise Refused(413, f"At most {limits.max_inputs} inputs per request; send the rest in another.")
    check = {"text": _text, "table": _row, "sequence": _sequence}[kind]
    items = [check(item, limits, info) for item in items]
    return items, [f"{one} {i + 1}" for i in range(len(items))]


async def _images(request: Request, limits) -> tuple[list[bytes], list[str]]:
    try:
        form = await request.form(
            max_files=limits.max_inputs, max_fields=limits.max_inputs, max_part_size=limits.max_body
        )
    except Refused:  # the body limit, met while reading
        raise
    except Exception:  # noqa: BLE001 - the multipart parser's errors differ by version
        raise Refused(
            400, "The multipart body cannot be read; send image files in the field 'file'."
        ) from None
    try:
        uploads = [value for key, value in form.multi_items() if key == "file"]
        others = sorted({key for key, _ in form.multi_items() if key != "file"})
        if others or not uploads:
            raise Refused(422, "Send image files in the field 'file' (and no other fields).")
        if any(isinstance(u, str) for u in uploads):
            raise Refused(422, "The field 'file' must hold files, not text.")
        data = [await u.read() for u in uploads]  # in memory; never saved under the client's name
        names = [_safe_name(u.filename, i) for i, u in enumerate(uploads)]
    finally:
        await form.close()
    return data, names


def _safe_name(name: str | None, i: int) -> str:
    """The client's file name, only to label the answer: no folders, printable, short."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if c.isprintable())[:100]
    return base or f"file {i + 1}"


async def _json(request: Request, content_type: str, fields: str):
    if content_type != "application/json":
        raise Refused(415, f"Send JSON (content-type application/json) with {fields}.")
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, "The body is not valid JSON.") from None
    except RecursionError:
        raise Refused(400, "The JSON is nested too deeply.") from None


def _clean(text: str) -> str:
    """The text as valid UTF-8: JSON may carry lone surrogates ("\\ud800"), which become "?"."""
    return text.encode("utf-8", "replace").decode("utf-8") if not text.isascii() else text


def _history(body, limits, info) -> tuple[list, list[str]]:
    """One series' history (or several, with an id column): rows of time, value (and id)."""
    if not isinstance(body, dict) or set(body) != {"rows"} or not isinstance(body["rows"], list):
        raise Refused(422, "Send a JSON object with one field, 'rows': the history, one object per step.")
    if not body["rows"]:
        raise Refused(422, "'rows' is empty; send the recent history, one object per step.")
    rows = [_row(item, limits, info) for item in body["rows"]]
    return [rows], ["history"]


def _text(item, limits, info) -> str:
    if not isinstance(item, str):
        raise Refused(422, f"A text must be a JSON string, not {_type(item)}.")
    item = _clean(item)
    if not item.strip():
        raise Refused(422, "A text is empty; send some words.")
    if len(item) > limits.max_text:
        raise Refused(413, f"A text is longer than {limits.max_text:,} characters.")
    return item


def _row(item, limits, info) -> dict:
    if not isinstance(item, dict):
        raise Refused(422, f"A row must be a JSON object of column: value, not {_type(item)}.")
    missing = [c["name"] for c in info["columns"] if c["name"] not in item]
    if missing:
        shown = ", ".join(repr(m) for m in missing[:8])
        raise Refused(
            422, f"A row lacks the column{'s' * (len(missing) > 1)} {shown}; send it (null if unknown)."
        )
    row = {}
    for name, value in item.items():
        if not isinstance(name, str) or len(name) > 200:
            raise Refused(422, "Column names must be strings of at most 200 characters.")
        if value is not None and not isinstance(value, (str, int, float, bool)):
            raise Refused(422, f"The value of '{name[:50]}' must be a string, a number, true/false or null.")
        if isinstance(value, str) and len(value) > limits.max_text:
            raise Refused(413, f"The value of '{name[:50]}' is too long.")
        if isinstance(value, float) and not math.isfinite(value):
            raise Refused(422, f"The value of '{name[:50]}' is not a finite number.")
        text = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        row[_clean(name)] = _clean(text)
    for column in info["columns"]:  # a number column takes numbers (or nothing)
        value = row[column["name"]]
        if column["type"] == "numeric" and value.strip().lower() not in MISSING:
            number = numbers(pd.Series([value], dtype=str))[0]  # read as the model reads it
            if not math.isfinite(number):
                raise Refused(422, f"'{column['name'][:50]}' takes a finite number, not {value[:30]!r}.")
    return row


def _sequence(item, limits, info) -> list[float]:
    steps = info.get("steps")
    if not isinstance(item, list) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) or v is None for v in item
    ):
        raise Refused(422, "A sequence must be a JSON list of numbers (null where missing).")
    if steps and len(item) != steps:
        raise Refused(422, f"A sequence must have {steps} steps, like the training data; it has {len(item)}.")
    values = [math.nan if v is None else float(v) for v in item]
    if any(math.isinf(v) for v in values):
        raise Refused(422, "A sequence holds an infinite number.")
    return values


def _type(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(value), "a number"
    )


def request_schema(kind: str, columns: list | None) -> dict:
    """The OpenAPI description of /predict's and /explain's body."""
    if kind == "image":
        files = {"type": "array", "items": {"type": "string", "format": "binary"}}
        return {
            "required": True,
            "content": {"multipart/form-data": {"schema": {"type": "object", "properties": {"file": files}}}},
        }
    if kind == "series":
        row = {"type": "object", "properties": {c["name"]: {} for c in columns}}
        rows = {"type": "array", "items": row | {"required": [c["name"] for c in columns]}, "minItems": 1}
        body = {"type": "object", "properties": {"rows": rows}, "required": ["rows"]}
        return {"required": True, "content": {"application/json": {"schema": body}}}
    one, many = SINGLE[kind], MANY[kind]
    item = {
        "text": {"type": "string", "minLength": 1},
        "table": {
            "type": "object",
            "properties": {
                c["name"]: {"type": ["string", "number", "boolean", "null"]} for c in columns or []
            },
            "required": [c["name"] for c in columns or []],
        },
        "sequence": {"type": "array", "items": {"type": ["number", "null"]}},
    }[kind]
    body = {
        "oneOf": [
            {"type": "object", "properties": {one: item}, "required": [one], "additionalProperties": False},
            {
                "type": "object",
                "properties": {many: {"type": "array", "items": item, "minItems": 1}},
                "required": [many],
                "additionalProperties": False,
            },
        ]
    }
    return {"required": True, "content": {"application/json": {"schema": body}}}


class Guard:
    """Before anything reads a request: the token, and the body limit (the declared
    length, then the bytes as they arrive)."""

    def __init__(self, app, limits, token: str | None):
        self.app, self.limits, self.token = app, limits, token

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        if self.token is not None and not _open_path(scope["path"]):
            given = headers.get(b"authorization", b"")
            if not secrets.compare_digest(given, f"Bearer {self.token}".encode()):
                message = "This service needs a token: send the header 'Authorization: Bearer <token>'."
                return await error(401, message)(scope, receive, send)
        limit = self.limits.max_body
        too_large = f"The request is larger than the limit of {limit:,} bytes."
        length = headers.get(b"content-length", b"0")
        if not length.isdigit() or int(length) > limit:
            return await error(413, too_large)(scope, receive, send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise Refused(413, too_large)
            return message

        await self.app(scope, counted, send)


def _open_path(path: str) -> bool:
    """What needs no token: the page (which asks for it), /health and the API page's files."""
    return path in ("/", "/health") or path.startswith("/docs-assets/")


def error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)
