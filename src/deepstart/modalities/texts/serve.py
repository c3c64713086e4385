"""What a service needs of a text model: JSON {"text": ...} or {"texts": [...]}, each
text cleaned as training texts were."""

from __future__ import annotations

from ...data.prose import clean_text
from ...errors import RequestError, TooLarge
from ..requests import json_type
from ..service import JsonItems


class TextService(JsonItems):
    shows = "prose"
    single, many = "text", "texts"

    def check_item(self, item, limits, info: dict) -> str:
        if not isinstance(item, str):
            raise RequestError(f"A text must be a JSON string, not {json_type(item)}.")
        item = clean_text(item)
        if not item.strip():
            raise RequestError("A text is empty; send some words.")
        if len(item) > limits.max_text:
            raise TooLarge(f"A text is longer than {limits.max_text:,} characters.")
        return item

    def item_schema(self, info: dict) -> dict:
        return {"type": "string", "minLength": 1}

    def try_input(self, info: dict) -> dict:
        return {"form": "prose", "field": self.single}

    def example_body(self, info: dict) -> dict:
        return {self.single: "a text to classify"}
