"""The service's routes: the page, /health, /metadata, /predict and /explain. Each reads
the loaded model, its batcher and the limits from the app's state."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from .guard import error
from .inputs import parse_inputs

PAGE = Path(__file__).with_name("page.html")  # its script and style: page/, served at /page/
PAGE_POLICY = (  # the page runs only its own files: no inline script or style, no other site
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
NO_EXPLAINER = "Explanations are for images, texts and tables; this model reads {}."  # its modality has none


def router(request_schema: dict) -> APIRouter:
    """The routes; request_schema: the OpenAPI description of /predict's and /explain's body."""
    routes = APIRouter()
    schema = {"requestBody": request_schema}

    @routes.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
    async def page():
        return HTMLResponse(
            PAGE.read_text(encoding="utf-8"), headers={"Content-Security-Policy": PAGE_POLICY}
        )

    @routes.get("/health")
    async def health(request: Request):
        """Whether the service is up, and how many inputs wait for the model."""
        return {"status": "ok", "waiting": request.app.state.batcher.waiting}

    @routes.get("/metadata")
    async def metadata(request: Request):
        """What the model predicts, from what, and the service's limits."""
        return request.app.state.info

    @routes.post("/predict", openapi_extra=schema)
    async def predict(request: Request):
        """Predictions for one input or a batch: images as multipart files (field
        'file'); JSON {"text": ...} or {"texts": [...]}; {"row": {...}} or {"rows": [...]};
        {"sequence": [...]} or {"sequences": [[...]]}."""
        state = request.app.state
        items, names = await parse_inputs(request, state.model.modality, state.limits, state.info)
        found = await asyncio.wait_for(state.batcher.submit(items), state.limits.timeout)
        return _answer(found, names)

    @routes.post("/explain", openapi_extra=schema)
    async def explain(request: Request):
        """Why the model predicts what it does, for one input: a heatmap over an image
        (PNG, base64), each word's effect on a text, or each column's effect on a row."""
        state = request.app.state
        modality = state.model.modality
        items, names = await parse_inputs(request, modality, state.limits, state.info)
        if len(items) != 1:
            return error(422, "Send one input to explain.")
        if modality.explainer is None:
            return error(422, NO_EXPLAINER.format(modality.name))
        work = state.batcher.call(modality.explainer.explain_one, state.model, items[0])
        return {"input": names[0], **await asyncio.wait_for(work, state.limits.timeout)}

    return routes


def _answer(records: list[dict], names: list[str]):
    """Every input's prediction; 422 when the only input could not be used."""
    out = [{**r, "input": name} for r, name in zip(records, names)]
    if len(out) == 1 and "error" in out[0]:
        return error(422, f"{names[0]}: {out[0]['error']}.")
    return {"predictions": out}
