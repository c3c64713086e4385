"""The studio's project routes: create a project from dropped files (a folder, a .zip, a
table) or from webcam captures, see what was detected, choose the column to predict,
and delete it. A refused upload leaves nothing behind."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile

from ..data.split import check_class_sizes
from ..errors import DataError, Refused
from . import corrections
from .access import json_body
from .archive import extract_zip
from .inspect import describe
from .workspace import class_name, clean_parts, common_root, left_out, source_of

OPTIONS = {"target", "task", "time", "horizon", "id"}  # what the page may choose of how to read the data


router = APIRouter(prefix="/api/projects")


@router.get("")
async def projects(request: Request):
    studio = request.app.state.studio
    return [_brief(studio, p) for p in studio.store.projects()]


@router.post("")
async def create(request: Request):
    """A project from uploaded files (field "files", each named by its path in the
    dropped folder), or an empty one to fill from the webcam; field "name". Saved and
    read in a thread: a large upload never stops the studio from answering."""
    studio = request.app.state.studio
    form = await _form(request, studio.limits)
    try:
        name = str(form.get("name") or "").strip()[:100] or "Untitled"
        uploads = [f for k, f in form.multi_items() if k == "files" and isinstance(f, UploadFile)]
        return await asyncio.to_thread(_create, studio, name, uploads)
    finally:
        await form.close()


@router.get("/{project_id}")
async def project(request: Request, project_id: int):
    return _full(request.app.state.studio, project_id)


@router.patch("/{project_id}")
async def choose(request: Request, project_id: int):
    """How to read the data: {"target": column, "task": "auto" or one of --task's, ...}."""
    studio = request.app.state.studio
    found = _existing(studio, project_id)
    body = await json_body(request)
    if not isinstance(body, dict) or not set(body) <= OPTIONS:
        raise Refused(422, f"Send a JSON object with some of: {', '.join(sorted(OPTIONS))}.")
    studio.store.update_project(project_id, options={**found["options"], **body})
    return await asyncio.to_thread(_full, studio, project_id, True)


@router.delete("/{project_id}")
async def delete(request: Request, project_id: int):
    studio = request.app.state.studio
    _existing(studio, project_id)
    for run in studio.store.runs(project_id):
        studio.jobs.cancel(run["id"])
        studio.serving.stop(run["id"])
        studio.models.forget(run["id"])
        studio.workspace.remove_run(run["id"])
    studio.store.delete_project(project_id)
    studio.workspace.remove(studio.workspace.project_dir(project_id))
    return {"deleted": project_id}


@router.post("/{project_id}/captures")
async def capture(request: Request, project_id: int):
    """Webcam images (field "files") for one class (field "class")."""
    studio = request.app.state.studio
    _existing(studio, project_id)
    form = await _form(request, studio.limits)
    try:
        folder = studio.workspace.data_dir(project_id) / class_name(str(form.get("class") or ""))
        folder.mkdir(parents=True, exist_ok=True)
        start = len(list(folder.iterdir()))
        for i, upload in enumerate(f for k, f in form.multi_items() if k == "files"):
            if not isinstance(upload, UploadFile):
                raise Refused(422, "The field 'files' must hold images.")
            with open(folder / f"capture-{start + i + 1:05d}.png", "wb") as out:
                shutil.copyfileobj(upload.file, out)
    finally:
        await form.close()
    return await asyncio.to_thread(_full, studio, project_id, True)


@router.post("/{project_id}/examples")
async def add_example(request: Request, project_id: int):
    """ "This is actually X" (JSON): {"label": X, "input": a text or a row} adds an example
    to the project's table; {"label": X, "run": N, "test": a test record's input} files
    that test example of run N under X."""
    studio = request.app.state.studio
    project = _existing(studio, project_id)
    body = await json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("label"), str):
        raise Refused(422, 'Send a JSON object with "label" and either "input" or "run" and "test".')
    detection = studio.detection(project)
    if "test" in body:
        record = _test_record(studio, project_id, body.get("run"), body["test"])
        change, given = corrections.correct, (record, body["label"])
    else:
        change, given = corrections.add_item, (body["label"], body.get("input"))
    args = (studio.workspace, project, detection, *given)
    return await asyncio.to_thread(_changed, studio, project_id, change, args)


@router.post("/{project_id}/examples/file")
async def add_example_file(request: Request, project_id: int):
    """ "This is actually X" for a photo or a recording tried in the page: fields "label"
    and "file", saved in the class's folder."""
    studio = request.app.state.studio
    project = _existing(studio, project_id)
    form = await _form(request, studio.limits)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise Refused(422, "Send the example as the field 'file' and its class as 'label'.")
        data, label = await upload.read(), str(form.get("label") or "")
        args = (studio.workspace, project, label, upload.filename or "", data)
        return await asyncio.to_thread(_changed, studio, project_id, corrections.add_file, args)
    finally:
        await form.close()


def _test_record(studio, project_id: int, run_id, given) -> dict:
    """The test record of one of the project's runs whose input is given."""
    run = studio.store.run(run_id) if isinstance(run_id, int) else None
    if run is None or run["project_id"] != project_id:
        raise Refused(404, "There is no such run in this project.")
    path = studio.workspace.run_dir(run_id) / "test_records.json"
    records = json.loads(path.read_text()) if path.is_file() else []
    found = next((r for r in records if r["input"] == given), None)
    if found is None:
        raise Refused(404, "That example is not among the run's test examples.")
    return found


def _changed(studio, project_id: int, change, args) -> dict:
    """The change made, and what is pending for the next run; the detection is read again."""
    pending = change(*args)
    (studio.workspace.project_dir(project_id) / "detection.json").unlink(missing_ok=True)
    return {"changes": pending}


@router.get("/{project_id}/files/{name:path}")
async def data_file(request: Request, project_id: int, name: str):
    """A file of the project's data (a thumbnail), never anything outside it."""
    from fastapi.responses import FileResponse

    studio = request.app.state.studio
    root = studio.workspace.data_dir(project_id)
    path = studio.workspace.inside(root.joinpath(*clean_parts(name)))
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        raise Refused(404, "No such file in this project.")
    policy = "default-src 'none'; frame-ancestors 'none'"
    return FileResponse(path, headers={"Content-Security-Policy": policy})


async def _form(request: Request, limits):
    try:
        return await request.form(
            max_files=limits.max_files, max_fields=limits.max_files + 10, max_part_size=limits.max_upload
        )
    except Refused:
        raise
    except Exception:  # noqa: BLE001 - the multipart parser's errors differ by version
        raise Refused(400, "The upload cannot be read; send files as multipart/form-data.") from None


def _create(studio, name: str, uploads: list[UploadFile]) -> dict:
    """The project, its files saved and what they hold detected; nothing left if refused."""
    project_id = studio.store.add_project(name)
    try:
        if uploads:
            _save_uploads(studio, project_id, uploads)
        else:
            studio.workspace.data_dir(project_id).mkdir(parents=True)
            studio.store.update_project(project_id, source="data")
        return _full(studio, project_id, fresh=True)
    except BaseException:
        studio.store.delete_project(project_id)
        studio.workspace.remove(studio.workspace.project_dir(project_id))
        raise


def _save_uploads(studio, project_id: int, uploads: list[UploadFile]) -> None:
    """The files into the project's data folder: a .zip extracted (after its checks), a
    folder's files under their paths (without the dropped folder's own name)."""
    data = studio.workspace.data_dir(project_id)
    data.mkdir(parents=True)
    if len(uploads) == 1 and (uploads[0].filename or "").lower().endswith(".zip"):
        archive = studio.workspace.project_dir(project_id) / "upload.zip"
        with open(archive, "wb") as out:
            shutil.copyfileobj(uploads[0].file, out)
        try:
            extract_zip(archive, data, studio.limits)
        finally:
            archive.unlink(missing_ok=True)
    else:
        uploads = [u for u in uploads if not left_out(u.filename or "")]
        names = [clean_parts(u.filename or f"file{i}") for i, u in enumerate(uploads)]
        drop = common_root(names)
        for upload, parts in zip(uploads, names):
            target = data.joinpath(*parts[drop:])
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as out:
                shutil.copyfileobj(upload.file, out)
    _collapse(data)
    if not any(p.is_file() for p in data.rglob("*")):
        raise DataError("The upload holds no files; drop a folder of class subfolders, a .zip or a table.")
    studio.store.update_project(project_id, source=source_of(data).relative_to(data.parent).as_posix())


def _collapse(data: Path) -> None:
    """A .zip of one folder: its contents take the folder's place."""
    inside = [p for p in data.iterdir() if not p.name.startswith(".")]
    if len(inside) == 1 and inside[0].is_dir() and any(c.is_dir() for c in inside[0].iterdir()):
        for child in inside[0].iterdir():
            child.rename(data / child.name)
        inside[0].rmdir()


def _existing(studio, project_id: int) -> dict:
    found = studio.store.project(project_id)
    if found is None:
        raise Refused(404, f"There is no project {project_id}.")
    return found


def detection(studio, project: dict, fresh: bool = False) -> dict:
    """What was detected in the project's data (kept in detection.json until it changes)."""
    folder = studio.workspace.project_dir(project["id"])
    saved = folder / "detection.json"
    if saved.is_file() and not fresh:
        return json.loads(saved.read_text())
    found = {"source": project["source"], "options": project["options"]}
    try:
        found = describe(
            folder / project["source"], folder / "data", project["options"], studio.limits.max_pixels
        )
        if found.get("classes") is not None:  # as training will check it, before anything trains
            names = [c["name"] for c in found["classes"] for _ in range(c["count"])]
            check_class_sizes(names, sorted({*names}), 3, "to train, validate and test", found["noun"])
    except DataError as e:
        found["problem"] = str(e)
    if "problem" in found:
        found["problem"] = studio.workspace.shown(found["problem"])
    found["notes"] = [studio.workspace.shown(n) for n in found.get("notes", [])]
    saved.write_text(json.dumps(found))
    return found


def _brief(studio, project: dict) -> dict:
    runs = studio.store.runs(project["id"])
    done = [r for r in runs if r["kind"] == "train" and r["status"] == "done"]
    return {
        "id": project["id"],
        "name": project["name"],
        "created": project["created"],
        "runs": len([r for r in runs if r["kind"] == "train"]),
        "last": done[-1]["summary"] if done else None,
    }


def _full(studio, project_id: int, fresh: bool = False) -> dict:
    project = _existing(studio, project_id)
    found = detection(studio, project, fresh)
    changes = corrections.pending(studio.workspace, project_id)
    return {**project, "detection": found, "runs": studio.store.runs(project_id), "changes": changes}
