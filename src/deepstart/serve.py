"""`deepstart serve`: a model as a web service (FastAPI), with a page to try it.

The model is loaded once. Requests are micro-batched: the first waits at most a few
milliseconds for others to fill a batch, and one worker thread runs the model, so
requests never compete for the CPU's cores. Safe by default: bound to 127.0.0.1, an
optional bearer token, a body limit (413), an image pixel limit, a bounded queue (503
with Retry-After), a per-request timeout (504); uploads stay in memory, and errors
are one plain JSON message, never a traceback or a path."""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .errors import DeepstartError
from .serve_inputs import Refused, parse_inputs, request_schema

log = logging.getLogger("deepstart.serve")
PAGE = Path(__file__).with_name("web") / "index.html"


@dataclass
class Limits:
    max_body: int = 8_000_000  # bytes per request
    max_pixels: int = 40_000_000  # per image, before it is decoded
    max_inputs: int = 64  # per request
    max_text: int = 10_000  # characters per text
    max_queue: int = 256  # inputs waiting for the model
    max_batch: int = 32  # inputs per model call
    max_wait_ms: float = 5.0  # how long the first request waits for others to fill a batch
    timeout: float = 30.0  # seconds per request, waiting included


class Busy(Exception):
    """The queue is full."""


class Batcher:
    """Collects requests into batches for one worker thread that runs the model."""

    def __init__(self, run, limits: Limits):
        self.run, self.limits = run, limits
        self.queue: asyncio.Queue | None = None
        self.waiting = 0  # inputs queued, not yet taken by the worker
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="deepstart-model")
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        self.queue = asyncio.Queue()
        self.task = asyncio.get_running_loop().create_task(self._work())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
        self.executor.shutdown(wait=False, cancel_futures=True)

    async def submit(self, items) -> list[dict]:
        n = len(items)
        if self.waiting + n > self.limits.max_queue:
            raise Busy
        future = asyncio.get_running_loop().create_future()
        self.waiting += n
        self.queue.put_nowait((items, future))
        return await future

    async def call(self, function, *args):
        """Run something else on the model's thread (an explanation), in turn."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, function, *args)

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self.queue.get()]
            size = len(batch[0][0])
            deadline = loop.time() + self.limits.max_wait_ms / 1000
            while size < self.limits.max_batch:
                try:
                    job = await asyncio.wait_for(self.queue.get(), max(deadline - loop.time(), 0))
                except TimeoutError:
                    break
                batch.append(job)
                size += len(job[0])
            self.waiting -= size
            live = [(items, future) for items, future in batch if not future.done()]
            if not live:
                continue
            try:
                results = await loop.run_in_executor(self.executor, self._run_batch, live)
            except Exception as e:  # noqa: BLE001 - handed to each request, never lost
                results = [e] * len(live)
            for (_, future), result in zip(live, results):
                if not future.done():
                    (future.set_exception if isinstance(result, Exception) else future.set_result)(result)

    def _run_batch(self, jobs) -> list:
        """All jobs in one model call; if that fails, each on its own, so that one bad
        request gets its own error and the others their answers."""
        try:
            records = self.run([item for items, _ in jobs for item in items])
        except Exception:  # noqa: BLE001 - retried one by one below
            if len(jobs) == 1:
                raise
            out = []
            for items, _ in jobs:
                try:
                    out.append(self.run(items))
                except Exception as e:  # noqa: BLE001
                    out.append(e)
            return out
        out, start = [], 0
        for items, _ in jobs:
            out.append(records[start : start + len(items)])
            start += len(items)
        return out


class Guard:
    """Before anything reads a request: the token, and the body limit (the declared
    length, then the bytes as they arrive)."""

    def __init__(self, app, limits: Limits, token: str | None):
        self.app, self.limits, self.token = app, limits, token

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        if self.token is not None and scope["path"] in ("/predict", "/explain", "/metadata"):
            given = headers.get(b"authorization", b"")
            if not secrets.compare_digest(given, f"Bearer {self.token}".encode()):
                message = "This service needs a token: send the header 'Authorization: Bearer <token>'."
                return await _error(401, message)(scope, receive, send)
        limit = self.limits.max_body
        too_large = f"The request is larger than the limit of {limit:,} bytes."
        length = headers.get(b"content-length", b"0")
        if not length.isdigit() or int(length) > limit:
            return await _error(413, too_large)(scope, receive, send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise StarletteHTTPException(413, too_large)
            return message

        await self.app(scope, counted, send)


def create_app(model_path: str | Path, token: str | None = None, limits: Limits | None = None) -> FastAPI:
    """The service for one model folder (trained or exported), loaded now, once."""
    from .api import load_model

    limits = limits or Limits()
    predictor = load_model(model_path)
    kind = predictor.encoder_.kind if hasattr(predictor, "encoder_") else "series"
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

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request, e):
        return _error(e.status_code, str(e.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(request, e):
        return _error(422, "The request is not valid; see /docs for what each route takes.")

    @app.exception_handler(Exception)
    async def unexpected(request, e):
        log.exception("error while serving %s", request.url.path)
        return _error(500, "Something went wrong in the service; the error is in its log.")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
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
        items, names = await _inputs(request, kind, limits, info)
        try:
            records = await asyncio.wait_for(batcher.submit(items), limits.timeout)
        except Busy:
            return _error(503, "The service is busy; try again in a moment.", {"Retry-After": "1"})
        except TimeoutError:
            return _error(504, f"No answer within {limits.timeout:g} s; try again or send fewer inputs.")
        except DeepstartError as e:
            return _error(422, str(e))
        return _answer(records, names)

    @app.post("/explain", openapi_extra=schema)
    async def explain(request: Request):
        """Why the model predicts what it does, for one input: a heatmap over an image
        (PNG, base64), each word's effect on a text, or each column's effect on a row."""
        items, names = await _inputs(request, kind, limits, info)
        if len(items) != 1:
            return _error(422, "Send one input to explain.")
        try:
            found = await asyncio.wait_for(batcher.call(_explain, predictor, kind, items[0]), limits.timeout)
        except TimeoutError:
            return _error(504, f"No answer within {limits.timeout:g} s; try again.")
        except DeepstartError as e:
            return _error(422, str(e))
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


async def _inputs(request: Request, kind: str, limits: Limits, info: dict):
    try:
        return await parse_inputs(request, kind, limits, info)
    except Refused as e:
        raise StarletteHTTPException(e.status, str(e)) from None


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _answer(records: list[dict], names: list[str]):
    """Every input's prediction; 422 when the only input could not be used."""
    out = [{**r, "input": name} for r, name in zip(records, names)]
    if len(out) == 1 and "error" in out[0]:
        return _error(422, f"{names[0]}: {out[0]['error']}.")
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
        if predictor.runtime_:
            raise DeepstartError(
                "Heatmaps need the PyTorch model; serve the model folder it was exported from."
            )
        from .explain.images import grad_cam, overlay_png

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


def metadata(predictor, limits: Limits, auth: bool) -> dict:
    from . import __version__
    from .summary import MODEL_NAMES, MODEL_TITLES

    kind = predictor.encoder_.kind if hasattr(predictor, "encoder_") else "series"
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
        found["steps"] = (predictor.columns_ or {}).get("steps")
    if kind == "series":
        parts = [(part, predictor.columns_.get(part)) for part in ("time", "id", "target")]
        found["columns"] = [{"name": c, "type": part} for part, c in parts if c]
        found |= {"horizon": predictor.horizon_, "lookback": predictor.lookback_}
    return found


def serve(model: Path, host: str, port: int, token: str | None, limits: Limits) -> None:
    import uvicorn

    from . import log as messages

    messages.setup(verbose=False)  # per-request notices would flood the log; warnings stay
    app = create_app(model, token, limits)
    if host not in ("127.0.0.1", "localhost", "::1") and token is None:
        log.warning(
            "Serving on %s without --token: anyone who can reach this machine can use the model.", host
        )
    started = time.strftime("%H:%M:%S")
    print(f"[{started}] Serving {model} at http://{host}:{port}/  (API: /docs; stop: Ctrl-C)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_keep_alive=5, server_header=False)
