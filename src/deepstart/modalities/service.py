"""What a service needs of a modality (deepstart serve, and the studio's Try and its curl
line): how a request's inputs arrive (files uploaded, or JSON), how each is checked before
the model sees it, how the OpenAPI page describes the body, how the model answers them,
and what /metadata says of the inputs. Every modality has one: every model can be served.

An input that cannot be used raises errors.RequestError (TooLarge when it asks for too
much); the edge (serve/app.py) chooses the HTTP answer."""

from __future__ import annotations

from abc import ABC, abstractmethod

from ..errors import RequestError, TooLarge


class Service(ABC):
    """What serving any modality's model needs; Uploads and JsonBody say how inputs arrive."""

    uploads = False  # inputs arrive as multipart file uploads (True), or as JSON
    shows = "name"  # how a page shows one input: "picture", "sound", "prose", "fields", or its name

    def prepare_for_serving(self, model, limits) -> None:
        """Settings a service needs: no feature cache for requests' inputs."""
        model.encoder_.use_cache = False

    @abstractmethod
    def request_schema(self, info: dict) -> dict:
        """The OpenAPI description of /predict's and /explain's body."""

    def serve_predict(self, model, items: list) -> list[dict]:
        """The model's answer for each checked input."""
        return model.predict_records(items)

    def describe_inputs(self, model) -> dict:
        """What /metadata says of the inputs beyond what it says of every model (columns,
        steps); nothing for inputs that speak for themselves (files, texts)."""
        return {}

    @abstractmethod
    def try_input(self, info: dict) -> dict:
        """How a page asks for one input to try the model with (/metadata's "try"), from
        the rest of /metadata: {"form": "upload" | "prose" | "fields" | "numbers" |
        "history", ...}: a page draws the form by it, never by the modality's name."""


class Uploads(Service):
    """Inputs sent as files, multipart/form-data in the field 'file' (images, recordings)."""

    uploads = True
    accept: tuple = ()  # what a page's file picker offers: ("image/*",), (".json",)
    capture: str | None = None  # what else can give an input: "camera" (photos), "microphone" (sounds)

    def try_input(self, info: dict) -> dict:
        accept = ",".join(self.accept)
        return {"form": "upload", "accept": accept, "capture": self.capture, "shows": self.shows}

    def check_uploads(self, data: list[bytes], names: list[str], limits) -> None:
        """Refuse uploads too costly to read from what their headers declare, before any is
        decoded (a recording's length). serve checks every upload's pixels itself."""

    def request_schema(self, info: dict) -> dict:
        files = {"type": "array", "items": {"type": "string", "format": "binary"}}
        schema = {"type": "object", "properties": {"file": files}}
        return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


class JsonBody(Service):
    """Inputs sent as a JSON body."""

    @abstractmethod
    def json_fields(self) -> str:
        """The JSON fields a request holds, for messages."""

    @abstractmethod
    def parse_json(self, body, limits, info: dict) -> tuple[list, list[str]]:
        """(inputs for the model, a name for each) from the parsed body."""

    @abstractmethod
    def example_body(self, info: dict) -> dict:
        """A JSON body /predict takes, to show how to call a service."""


class JsonItems(JsonBody):
    """A JSON object {single: item} or {many: [items]}, each item checked by check_item
    (texts, rows of a table, sequences)."""

    single, many = "", ""  # the two fields: "text" and "texts"

    @abstractmethod
    def check_item(self, item, limits, info: dict):
        """One JSON input, checked (RequestError, TooLarge) and made ready for the model."""

    @abstractmethod
    def item_schema(self, info: dict) -> dict:
        """The JSON schema of one item."""

    def json_fields(self) -> str:
        return f"'{self.single}' or '{self.many}'"

    def parse_json(self, body, limits, info: dict) -> tuple[list, list[str]]:
        one, many = self.single, self.many
        if not isinstance(body, dict) or len(body) != 1 or not ({one, many} & set(body)):
            raise RequestError(f"Send a JSON object with one field, '{one}' or '{many}'.")
        if one in body:
            items = [body[one]]
        else:
            items = body[many]
            if not isinstance(items, list) or not items:
                raise RequestError(f"'{many}' must be a list with at least one {one}.")
        if len(items) > limits.max_inputs:
            raise TooLarge(f"At most {limits.max_inputs} inputs per request; send the rest in another.")
        items = [self.check_item(item, limits, info) for item in items]
        return items, [f"{one} {i + 1}" for i in range(len(items))]

    def request_schema(self, info: dict) -> dict:
        item, one, many = self.item_schema(info), self.single, self.many
        body = {
            "oneOf": [
                {
                    "type": "object",
                    "properties": {one: item},
                    "required": [one],
                    "additionalProperties": False,
                },
                {
                    "type": "object",
                    "properties": {many: {"type": "array", "items": item, "minItems": 1}},
                    "required": [many],
                    "additionalProperties": False,
                },
            ]
        }
        return {"required": True, "content": {"application/json": {"schema": body}}}
