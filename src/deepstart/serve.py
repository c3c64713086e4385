"""`deepstart serve`: a model as a web service (FastAPI), with a page to try it.

The model is loaded once. Requests are micro-batched: the first waits at most a few
milliseconds for others to fill a batch, and one worker thread runs the model, so
requests never compete for the CPU's cores. Safe by default: bound to 127.0.0.1, an
optional bearer token, a body limit (413), an image pixel limit, a bounded queue (503
with Retry-After), a per-request timeout (504); uploads are never written under the
client's name or cached, and errors are one plain JSON message, never a traceback or a
path."""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .errors import ConfigError, DeepstartError
from .serve_inputs import Guard, error, parse_inputs, request_schema
from .serve_queue import Batcher, Limits, Refused

log = logging.getLogger("deepstart.serve")
PAGE = Path(__file__).with_name("web") / "index.html"


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def create_app(
    model_path: str | Path, token: str | None = None, limits: Limits | None = None, host: str | None = None
) -> FastAPI:
    """The service for one model folder (trained or exported), loaded now, once. host: the
    address served; on a loopback address, requests naming another host are refused, so a
    web page elsewhere cannot reach the service through DNS rebinding."""
    from .api import load_model

    limits = limits or Limits()
    predictor = load_model(model_path)
    kind = modality(predictor)
    if hasattr(getattr(predictor, "encoder_", None), "use_cache"):
        predictor.encoder_.use_cache = False  # requests' inputs are not kept, not even as features
    if kind == "image":
        predictor.encoder_.max_pixels = limits.max_pixels
        predictor.encoder_.workers = 1  # the batcher already keeps one model call at a time
    batcher = Batcher(lambda items: _predict(predictor, kind, items), limits)
    info = metadata(predictor, limits, token is not None)

    async def lifespan(app):
        batcher.start()
        yield
        await batcher.stop()

    app = FastAPI(
        title="deepstart model",
        description=f"{info['model']} for {info['modality']}s: POST inputs to /predict or /explain.",
        version=info["deepstart"],
        lifespan=lifespan,
        docs_url=None,  # served below from the installed swagger-ui files: the page works offline
        redoc_url=None,
    )
    _offline_docs(app)
    app.state.predictor, app.state.batcher = predictor, batcher

    app.add_middleware(Guard, limits=limits, token=token)
    if host in LOOPBACK:
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        app.add_middleware(TrustedHostMiddleware, allowed_hosts=[*LOOPBACK, "[::1]"])

    @app.exception_handler(Refused)
    async def refused(request, e):
        return error(e.status, str(e), e.headers)

    @app.exception_handler(TimeoutError)
    async def slow(request, e):
        return error(504, f"No answer within {limits.timeout:g} s; try again or send fewer inputs.")

    @app.exception_handler(DeepstartError)
    async def unusable(request, e):
        return error(422, str(e))

    @app.exception_handler(StarletteHTTPException)
    async def httperror(request, e):
        return error(e.status_code, str(e.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(request, e):
        return error(422, "The request is not valid; see /docs for what each route takes.")

    @app.exception_handler(Exception)
    async def unexpected(request, e):
        log.exception("error while serving %s", request.url.path)
        return error(500, "Something went wrong in the service; the error is in its log.")

    @app.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
    async def page():
        return HTMLResponse(PAGE.read_text(encoding="utf-8"))

    @app.get("/health")
    async def health():
        """Whether the service is up, and how many inputs wait for the model."""
        return {"status": "ok", "waiting": batcher.waiting}

    @app.get("/metadata")
    async def model_metadata():
        """What the model predicts, from what, and the service's limits."""
        return info

    schema = {"requestBody": request_schema(kind, info.get("columns"))}

    @app.post("/predict", openapi_extra=schema)
    async def predict(request: Request):
        """Predictions for one input or a batch: images as multipart files (field
        'file'); JSON {"text": ...} or {"texts": [...]}; {"row": {...}} or {"rows": [...]};
        {"sequence": [...]} or {"sequences": [[...]]}."""
        items, names = await parse_inputs(request, kind, limits, info)
        return _answer(await asyncio.wait_for(batcher.submit(items), limits.timeout), names)

    @app.post("/explain", openapi_extra=schema)
    async def explain(request: Request):
        """Why the model predicts what it does, for one input: a heatmap over an image
        (PNG, base64), each word's effect on a text, or each column's effect on a row."""
        items, names = await parse_inputs(request, kind, limits, info)
        if len(items) != 1:
            return error(422, "Send one input to explain.")
        found = await asyncio.wait_for(batcher.call(_explain, predictor, kind, items[0]), limits.timeout)
        return {"input": names[0], **found}

    return app


def _offline_docs(app: FastAPI) -> None:
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles
    from swagger_ui_bundle import swagger_ui_path

    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs():
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="deepstart model: API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )


def _answer(records: list[dict], names: list[str]):
    """Every input's prediction; 422 when the only input could not be used."""
    out = [{**r, "input": name} for r, name in zip(records, names)]
    if len(out) == 1 and "error" in out[0]:
        return error(422, f"{names[0]}: {out[0]['error']}.")
    return {"predictions": out}


def _predict(predictor, kind: str, items: list) -> list[dict]:
    import pandas as pd

    if kind == "table":
        return predictor.predict_records(pd.DataFrame(items, dtype=object))
    if kind == "sequence":
        return predictor.predict_records(np.asarray(items, dtype=np.float64))
    if kind == "series":  # each input is one history: its next steps
        return [{"forecast": predictor.forecast(pd.DataFrame(rows, dtype=object))} for rows in items]
    return predictor.predict_records(items)


def _explain(predictor, kind: str, item) -> dict:
    import pandas as pd

    if kind == "image":
        from .explain.images import grad_cam, overlay_png

        item = _shrunk(item)  # the heatmap is drawn at the image's size: keep that modest
        ((heat, k),) = grad_cam(predictor, [item])
        buffer = io.BytesIO()
        overlay_png(item, heat).save(buffer, "PNG")
        return {"label": predictor.classes_[k], "heatmap_png": base64.b64encode(buffer.getvalue()).decode()}
    if kind == "text":
        from .explain.texts import word_attributions

        return word_attributions(predictor, [item], max_words=60)[0]
    if kind == "table":
        from .explain.tables import row_attributions

        found = row_attributions(predictor, pd.DataFrame([item], dtype=object))[0]
        return {k: v for k, v in found.items() if k != "row"}
    raise DeepstartError(f"Explanations are for images, texts and tables; this model reads {kind}.")


def modality(predictor) -> str:
    return predictor.encoder_.kind if hasattr(predictor, "encoder_") else "series"


def _shrunk(data: bytes, side: int = 1024) -> bytes:
    """An upload larger than side x side, as a PNG of at most that size."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if max(image.size) <= side:
                return data
            image.draft("RGB", (side, side))
            small = ImageOps.exif_transpose(image).convert("RGB")
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError):
        return data  # the encoder says what is wrong with it
    small.thumbnail((side, side))
    buffer = io.BytesIO()
    small.save(buffer, "PNG")
    return buffer.getvalue()


def metadata(predictor, limits: Limits, auth: bool) -> dict:
    from . import __version__
    from .summary import MODEL_NAMES, MODEL_TITLES

    kind = modality(predictor)
    recipe = getattr(predictor, "recipe_", {"name": "gru-forecaster"})["name"]
    found = {
        "deepstart": __version__,
        "modality": kind,
        "task": getattr(predictor, "task_", "forecasting"),
        "classes": getattr(predictor, "classes_", []),
        "model": next(
            (r["model"] for r in predictor.leaderboard_ if r.get("chosen")),
            MODEL_NAMES.get((kind, recipe)) or MODEL_TITLES.get(recipe, recipe),
        ),
        "kept": predictor.choice_,
        "engine": (predictor.runtime_ or {}).get("engine", "pytorch"),
        "int8": bool((predictor.runtime_ or {}).get("int8")),
        "test_metrics": {
            k: v for k, v in predictor.metrics_.get("test", {}).items() if not isinstance(v, (dict, list))
        },
        "explain": kind in ("text", "table") or (kind == "image" and not predictor.runtime_),  # not series
        "auth": auth,
        "limits": asdict(limits),
    }
    if kind == "table":
        found["columns"] = [{"name": c, "type": t} for c, t in predictor.encoder_.types.items()]
    if kind == "sequence":
        steps = (predictor.columns_ or {}).get("steps")  # a count, or the names of the step columns
        found["steps"] = len(steps) if isinstance(steps, list) else steps
    if kind == "series":
        parts = [(part, predictor.columns_.get(part)) for part in ("time", "id", "target")]
        found["columns"] = [{"name": c, "type": part} for part, c in parts if c]
        found |= {"horizon": predictor.horizon_, "lookback": predictor.lookback_}
    return found


def serve(model: Path, host: str, port: int, token: str | None, limits: Limits) -> None:
    import uvicorn

    from . import log as messages

    messages.setup(verbose=False)  # per-request notices would flood the log; warnings stay
    _check_port(host, port)
    app = create_app(model, token, limits, host)
    if host not in LOOPBACK and token is None:
        log.warning(
            "Serving on %s without --token: anyone who can reach this machine can use the model.", host
        )
    started = time.strftime("%H:%M:%S")
    print(f"[{started}] Serving {model} at http://{host}:{port}/  (API: /docs; stop: Ctrl-C)", flush=True)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        timeout_keep_alive=5,
        server_header=False,
        limit_concurrency=2 * limits.max_queue,  # connections beyond: 503 from uvicorn itself
    )


def _check_port(host: str, port: int) -> None:
    """One plain line, before the model loads, when the address cannot be used."""
    import errno
    import socket

    try:
        with socket.create_server((host, port)):
            pass
    except OSError as e:
        why = "it is in use" if e.errno == errno.EADDRINUSE else (e.strerror or str(e)).split(" (")[0]
        raise ConfigError(
            f"Cannot listen on {host}:{port} ({why}); choose another --port (or --host)."
        ) from None
