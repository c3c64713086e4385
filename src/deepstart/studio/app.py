"""`deepstart studio`: a web page to train, understand, try and ship models without
writing code. create_studio wires the routes (projects.py, runs.py), the guard and the
job queue around one workspace folder; run_studio serves it with uvicorn.

Safe by default: 127.0.0.1 only (other Host names refused); a secret on every request,
also on loopback (the token in the printed link, then a SameSite=Strict cookie:
access.py); requests that change something only from the studio's own page; never
framed by another site; uploads bounded in bytes, files and pixels, archives checked
before extraction, nothing read or written outside the workspace, names from the data
shown as text."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from ..serve.app import add_error_handlers, allowed_hosts, check_port, is_loopback
from ..serve.batcher import Limits as ServeLimits
from ..serve.guard import Guard
from . import access, projects, runs
from .events import Streams
from .jobs import Jobs
from .models import Models
from .serving import Serving
from .store import Store
from .workspace import Limits, Workspace

log = logging.getLogger("deepstart.studio")
STATIC = Path(__file__).with_name("static")
SERVE_PAGE = Path(__file__).parent.parent / "serve" / "page"  # serve's page: its wav.js


class Studio:
    """What the routes share: the workspace, its records, the queue, loaded models."""

    def __init__(self, root: Path, limits: Limits, jobs: int = 1):
        self.workspace, self.limits = Workspace(root), limits
        self.store = Store(self.workspace.database)
        self.jobs = Jobs(self.workspace, self.store, jobs)
        self.serve_limits = ServeLimits(max_pixels=limits.max_pixels)
        self.models = Models(self.workspace, self.store, self.serve_limits)
        self.serving = Serving(self.workspace)
        self.streams = Streams()

    def detection(self, project: dict) -> dict:
        return projects.detection(self, project)


def create_studio(
    workspace: str | Path,
    token: str | None = None,
    host: str | None = None,
    limits: Limits | None = None,
    jobs: int = 1,
) -> FastAPI:
    """The studio's app. token: its secret (None: a random one, app.state.session.token)."""
    studio = Studio(Path(workspace), limits or Limits(), jobs)
    session = access.Session(token)

    async def lifespan(app):
        studio.jobs.start()
        yield
        studio.jobs.stop()
        studio.serving.stop_all()

    app = FastAPI(
        title="deepstart studio", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.studio, app.state.session = studio, session
    app.include_router(projects.router)
    app.include_router(runs.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/page", StaticFiles(directory=SERVE_PAGE), name="page")  # modules both pages use

    @app.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
    async def page(request: Request):
        html = (STATIC / "index.html").read_text(encoding="utf-8")
        return access.page(request, session, html, PAGE_HEADERS)

    @app.get("/health")
    async def health():
        return {"status": "ok", "queued": len(studio.jobs.waiting())}

    add_error_handlers(app, studio.serve_limits)
    open_paths = ("/", "/health", "/static/", "/page/")
    app.add_middleware(
        Guard,
        limits=studio.serve_limits,
        token=session.token,
        max_body=studio.limits.max_upload,
        open_paths=open_paths,
        hosts=allowed_hosts(host),
        session=session,
    )
    return app


PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "style-src 'self' 'unsafe-inline'; frame-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}


def run_studio(
    workspace: Path, host: str, port: int, token: str | None, limits: Limits, jobs: int = 1
) -> None:
    from .. import log as messages
    from ..serve import http

    messages.setup(verbose=False)
    check_port(host, port)
    app = create_studio(workspace, token, host, limits, jobs)
    if not is_loopback(host):
        log.warning(
            "Serving the studio on %s over plain HTTP: its token and your data cross the network "
            "unencrypted; prefer an SSH tunnel to 127.0.0.1, or HTTPS in front of it.",
            host,
        )
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    link = app.state.session.link(url) if token is None else f"{url}  (enter the token you set)"
    print(f"deepstart studio: {link}  (workspace: {workspace}; stop: Ctrl-C)", flush=True)
    http.run(app, host, port)
