"""`deepstart serve`: a model as a web service (FastAPI), with a page to try it.

The model is loaded once. Requests are micro-batched: the first waits at most a few
milliseconds for others to fill a batch, and one worker thread runs the model, so
requests never compete for the CPU's cores. Safe by default: bound to 127.0.0.1, an
optional bearer token, a body limit (413), an image pixel limit, a bounded queue (503
with Retry-After), a per-request timeout (504); uploads are never written under the
client's name or cached, and errors are one plain JSON message, never a traceback or a
path."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from ..errors import ConfigError, DeepstartError, Refused, RequestError, TooLarge
from ..loading import Model, load_model
from .batcher import Batcher, Limits
from .guard import Guard, error
from .routes import router

log = logging.getLogger("deepstart.serve")
# a request's input that cannot be used (raised by the modality's service), as an HTTP status: first match
STATUSES = {TooLarge: 413, RequestError: 422}
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")  # what requests to a loopback service may name


def is_loopback(host: str | None) -> bool:
    """127.0.0.0/8, ::1 or localhost: only this machine can reach it."""
    import ipaddress

    if host is None:
        return False
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def allowed_hosts(host: str | None) -> tuple | None:
    """The Host names a service on a loopback address answers (a request naming any other
    came through DNS rebinding from a web page elsewhere); None: any."""
    return (*LOOPBACK_NAMES, host) if is_loopback(host) else None


def create_app(
    model_path: str | Path, token: str | None = None, limits: Limits | None = None, host: str | None = None
) -> FastAPI:
    """The service for one model folder (trained or exported), loaded now, once. host: the
    address served; on a loopback address, requests naming another host are refused, so a
    web page elsewhere cannot reach it through DNS rebinding."""
    limits = limits or Limits()
    model = load_model(model_path)
    service = model.modality.service
    service.prepare_for_serving(model, limits)
    batcher = Batcher(lambda items: service.serve_predict(model, items), limits)
    info = metadata(model, limits, token is not None)

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
    app.state.model, app.state.batcher, app.state.limits, app.state.info = model, batcher, limits, info
    app.include_router(router(service.request_schema(info)))
    _offline_docs(app)
    _page_files(app)
    add_error_handlers(app, limits)
    app.add_middleware(Guard, limits=limits, token=token, hosts=allowed_hosts(host))
    return app


def add_error_handlers(app: FastAPI, limits: Limits) -> None:
    """Every error as one plain JSON message with its status; never a traceback."""

    @app.exception_handler(Refused)
    async def refused(request, e):
        return error(e.status, str(e), e.headers)

    @app.exception_handler(RequestError)
    async def unusable_request(request, e):
        return error(next(status for kind, status in STATUSES.items() if isinstance(e, kind)), str(e))

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

    @app.exception_handler(ClientDisconnect)
    async def gone(request, e):  # closed by the client, or at its read deadline: no one to answer
        return error(400, "The connection closed before the request arrived whole.")

    @app.exception_handler(Exception)
    async def unexpected(request, e):
        log.exception("error while serving %s", request.url.path)
        return error(500, "Something went wrong in the service; the error is in its log.")


def _page_files(app: FastAPI) -> None:
    """The script and style of the page at / (page.html), needing no token as the page does."""
    from fastapi.staticfiles import StaticFiles

    app.mount("/page", StaticFiles(directory=Path(__file__).with_name("page")), name="page")


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


def metadata(model: Model, limits: Limits, auth: bool) -> dict:
    from ..version import __version__

    modality, explainer = model.modality, model.modality.explainer
    recipe = model.recipe_["name"]
    found = {
        "deepstart": __version__,
        "modality": modality.name,
        "task": model.task,
        "classes": list(model.classes_),
        "model": next(
            (r["model"] for r in model.leaderboard_ if r.get("chosen")), modality.model_name(recipe)
        ),
        "kept": model.choice_,
        "engine": (model.runtime_ or {}).get("engine", "pytorch"),
        "int8": bool((model.runtime_ or {}).get("int8")),
        "test_metrics": {
            k: v for k, v in model.metrics_.get("test", {}).items() if not isinstance(v, (dict, list))
        },
        "explain": explainer is not None and explainer.can_explain(model),
        "auth": auth,
        "limits": asdict(limits),
        "noun": modality.noun,
    }
    found |= modality.service.describe_inputs(model)
    found["predicts"] = _predicts(model, found)
    return found | {"try": modality.service.try_input(found)}


def _predicts(model: Model, info: dict) -> str:
    """What the model predicts, in words: "one of 3 classes", "a number", "the next 14 steps",
    or as its modality's service says it (describe_inputs' "predicts": boxes around objects)."""
    if info.get("predicts"):
        return info["predicts"]
    if model.forecasts:
        return f"the next {info.get('horizon')} steps of each series"
    n = len(model.classes_)
    return f"one of {n} classes" if n else "a number"


def serve(model: Path, host: str, port: int, token: str | None, limits: Limits) -> None:
    from .. import log as messages
    from . import http

    messages.setup(verbose=False)  # per-request notices would flood the log; warnings stay
    check_port(host, port)
    app = create_app(model, token, limits, host)
    if not is_loopback(host) and token is None:
        log.warning(
            "Serving on %s without --token: anyone who can reach this machine can use the model.", host
        )
    started = time.strftime("%H:%M:%S")
    print(f"[{started}] Serving {model} at http://{host}:{port}/  (API: /docs; stop: Ctrl-C)", flush=True)
    http.run(app, host, port, read_timeout=limits.read_timeout)


def check_port(host: str, port: int) -> None:
    """One plain line, before the model loads, when the address cannot be used."""
    import errno
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]  # IPv4 or IPv6
        with socket.create_server((host, port), family=family):
            pass
    except (OSError, UnicodeError) as e:
        why = "it is in use" if e.errno == errno.EADDRINUSE else (e.strerror or str(e)).split(" (")[0]
        raise ConfigError(
            f"Cannot listen on {host}:{port} ({why}); choose another --port (or --host)."
        ) from None
