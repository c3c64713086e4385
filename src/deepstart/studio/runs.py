"""The studio's run routes: train (queued, run by a worker), follow it live, cancel it,
read its report, try its model, download it or its int8 ONNX export, serve it, compare
deep and classical models on the data, delete runs."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from starlette.background import BackgroundTask

from ..errors import Refused
from ..serve.inputs import parse_inputs
from ..serve.routes import NO_EXPLAINER
from ..settings import Settings
from .access import json_body
from .events import follow
from .examples import EXAMPLE
from .workspace import clean_parts

REPORT_POLICY = (
    "default-src 'none'; img-src data:; media-src data:; style-src 'unsafe-inline'; sandbox; "
    "frame-ancestors 'none'"
)
SETTINGS = {"time_limit", "fine_tune", "test_size", "epochs", "seed", "group_split"}  # what the page may set


router = APIRouter(prefix="/api")


@router.post("/projects/{project_id}/runs")
async def train(request: Request, project_id: int):
    """Queue a training run: {"time_limit": seconds, "fine_tune": bool, "test_size": 0.2,
    "group_split": true (test on groups, such as speakers, it never trained on)}."""
    studio = request.app.state.studio
    project = _project(studio, project_id)
    settings = await _settings(request)
    detection = studio.detection(project)
    if detection.get("problem"):
        raise Refused(422, detection["problem"])
    if settings.pop("group_split", False):
        if not detection.get("groups"):
            raise Refused(422, "The data does not say which examples belong together; train without it.")
        settings["group_split"] = detection["groups"]["word"]
    return studio.store.run(studio.store.add_run(project_id, "train", settings))


@router.post("/projects/{project_id}/compare")
async def compare(request: Request, project_id: int):
    studio = request.app.state.studio
    _project(studio, project_id)
    return studio.store.run(studio.store.add_run(project_id, "compare", {"seed": 0}))


@router.get("/queue")
async def queue(request: Request):
    studio = request.app.state.studio
    return {"running": studio.store.runs(status="running"), "queued": studio.store.runs(status="queued")}


@router.get("/runs/{run_id}")
async def run(request: Request, run_id: int):
    return _run(request.app.state.studio, run_id)


@router.post("/runs/{run_id}/cancel")
async def cancel(request: Request, run_id: int):
    studio = request.app.state.studio
    _run(studio, run_id)
    if not studio.jobs.cancel(run_id):
        raise Refused(409, "This run has already finished.")
    return {"cancelled": run_id}


@router.delete("/runs/{run_id}")
async def delete(request: Request, run_id: int):
    studio = request.app.state.studio
    found = _run(studio, run_id)
    if found["status"] in ("queued", "running"):
        raise Refused(409, "This run has not finished; cancel it first.")
    for child in [r for r in studio.store.runs(found["project_id"]) if r["parent_id"] == run_id]:
        studio.workspace.remove_run(child["id"])
    studio.serving.stop(run_id)
    studio.models.forget(run_id)
    studio.store.delete_run(run_id)
    studio.workspace.remove_run(run_id)
    return {"deleted": run_id}


@router.get("/runs/{run_id}/events")
async def events(request: Request, run_id: int, after: int = 0):
    """The run's events as they come (Server-Sent Events), from line `after` on."""
    studio = request.app.state.studio
    _run(studio, run_id)
    return follow(studio, run_id, max(0, after), request)


@router.get("/runs/{run_id}/report")
async def report(request: Request, run_id: int):
    path = _model(request.app.state.studio, run_id) / "report.html"
    return HTMLResponse(path.read_text(encoding="utf-8"), headers={"Content-Security-Policy": REPORT_POLICY})


@router.get("/runs/{run_id}/test-records")
async def test_records(request: Request, run_id: int):
    """Every test example's truth and prediction, for the confusion matrix's cells."""
    path = _model(request.app.state.studio, run_id).parent / "test_records.json"
    return json.loads(path.read_text()) if path.is_file() else []


@router.get("/runs/{run_id}/curve")
async def curve(request: Request, run_id: int):
    path = request.app.state.studio.workspace.run_dir(run_id) / "compare" / "learning_curve.png"
    if not path.is_file():
        raise Refused(404, "This run has no learning curves.")
    return FileResponse(path)


@router.get("/runs/{run_id}/metadata")
async def metadata(request: Request, run_id: int):
    """What the model takes and says (as serve's /metadata), with a test example to start from."""
    studio = request.app.state.studio
    model = await studio.models.get(run_id)
    return studio.models.metadata(run_id, model) | {"example": _example(studio, run_id)}


@router.get("/runs/{run_id}/example-file")
async def example_file(request: Request, run_id: int):
    """The run's example file (a photo, a recording from its test split)."""
    studio = request.app.state.studio
    found = _example(studio, run_id) or {}
    folder = studio.workspace.run_dir(run_id) / "example"
    if not found.get("file") or not (folder / clean_parts(found["file"])[-1]).is_file():
        raise Refused(404, "This run keeps no example file.")
    policy = "default-src 'none'; frame-ancestors 'none'"
    return FileResponse(folder / clean_parts(found["file"])[-1], headers={"Content-Security-Policy": policy})


@router.post("/runs/{run_id}/predict")
async def predict(request: Request, run_id: int):
    model, items, names = await _inputs(request, run_id)
    found = await asyncio.to_thread(model.modality.service.serve_predict, model, items)
    return {"predictions": [{**r, "input": n} for r, n in zip(found, names)]}


@router.post("/runs/{run_id}/explain")
async def explain(request: Request, run_id: int):
    model, items, names = await _inputs(request, run_id)
    if len(items) != 1:
        raise Refused(422, "Send one input to explain.")
    explainer = model.modality.explainer
    if explainer is None:
        raise Refused(422, NO_EXPLAINER.format(model.modality.name))
    found = await asyncio.to_thread(explainer.explain_one, model, items[0])
    return {"input": names[0], **found}


async def _inputs(request: Request, run_id: int):
    """The run's model and the inputs a request to it sends, checked as serve checks them."""
    studio = request.app.state.studio
    model = await studio.models.get(run_id)
    limits, info = studio.serve_limits, studio.models.info[run_id]
    items, names = await parse_inputs(request, model.modality, limits, info)
    return model, items, names


@router.get("/runs/{run_id}/download")
async def download(request: Request, run_id: int):
    return await _zipped(_model(request.app.state.studio, run_id), f"deepstart-model-{run_id}")


@router.post("/runs/{run_id}/export")
async def export(request: Request, run_id: int):
    """Queue an int8 ONNX export of the run's model."""
    studio = request.app.state.studio
    found = _run(studio, run_id)
    _model(studio, run_id)
    return studio.store.run(studio.store.add_run(found["project_id"], "export", {}, parent_id=run_id))


@router.get("/runs/{run_id}/download-export")
async def download_export(request: Request, run_id: int):
    folder = request.app.state.studio.workspace.run_dir(run_id) / "export"
    if not (folder / "manifest.json").is_file():
        raise Refused(404, "This run holds no export; export the model first.")
    return await _zipped(folder, f"deepstart-onnx-{run_id}")


@router.post("/runs/{run_id}/serve")
async def serve(request: Request, run_id: int):
    studio = request.app.state.studio
    folder = _model(studio, run_id)
    return await asyncio.to_thread(studio.serving.start, run_id, folder, _example(studio, run_id))


@router.delete("/runs/{run_id}/serve")
async def unserve(request: Request, run_id: int):
    request.app.state.studio.serving.stop(run_id)
    return {"serving": None}


async def _settings(request: Request) -> dict:
    body = await json_body(request)
    if not isinstance(body, dict) or not set(body) <= SETTINGS:
        raise Refused(422, f"Send a JSON object with some of: {', '.join(sorted(SETTINGS))}.")
    settings = {k: v for k, v in body.items() if v is not None}
    if not isinstance(settings.get("group_split", False), bool):
        raise Refused(422, "group_split is true or false.")
    Settings(**{k: v for k, v in settings.items() if k != "group_split"})  # refused here, in one line
    return settings


def _example(studio, run_id: int) -> dict | None:
    path = studio.workspace.run_dir(run_id) / EXAMPLE
    return json.loads(path.read_text()) if path.is_file() else None


def _project(studio, project_id: int) -> dict:
    found = studio.store.project(project_id)
    if found is None:
        raise Refused(404, f"There is no project {project_id}.")
    return found


def _run(studio, run_id: int) -> dict:
    found = studio.store.run(run_id)
    if found is None:
        raise Refused(404, f"There is no run {run_id}.")
    return found


def _model(studio, run_id: int):
    found = _run(studio, run_id)
    folder = studio.workspace.run_dir(run_id) / "model"
    if found["kind"] != "train" or found["status"] != "done" or not folder.is_dir():
        raise Refused(409, "This run has no model (it has not finished training).")
    return folder


async def _zipped(folder, name: str) -> FileResponse:
    """The folder as a .zip, made in a temporary folder and removed once sent."""
    tmp = tempfile.mkdtemp(prefix="deepstart-studio-")
    archive = await asyncio.to_thread(shutil.make_archive, f"{tmp}/{name}", "zip", folder)
    return FileResponse(
        archive,
        filename=f"{name}.zip",
        media_type="application/zip",
        background=BackgroundTask(shutil.rmtree, tmp, True),
    )
