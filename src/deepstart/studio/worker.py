"""One studio job in a process of its own, so the page never waits for it:

    python -m deepstart.studio.worker WORKSPACE RUN_ID

It runs the same code as `deepstart train` (or export, or compare), at a lower
priority than the studio's server, writes every progress event and message as a line
of JSON to runs/RUN_ID/events.jsonl, and records how the run ended. SIGTERM (Cancel)
stops it as Ctrl-C stops the CLI: nothing half-written is left as a model."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import sys
import time
import traceback
from pathlib import Path

from ..budget import limited
from ..cache import log_warnings
from ..data.confine import data_folder
from ..errors import DeepstartError
from ..loading import train as train_model
from ..log import emit, listening, logger, say
from ..modalities import REGISTRY
from ..pipeline.plan import Plan
from ..settings import speaking_to
from .corrections import restore, said, taken
from .examples import save_example, test_data
from .store import Store
from .workspace import Workspace

STARTED = time.perf_counter()  # the job's process began: its budget counts from here


class Events:
    """Events as JSON lines in a file the studio's server reads as they come."""

    def __init__(self, path: Path):
        self.file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - open while the job runs

    def __call__(self, event: dict) -> None:
        self.file.write(json.dumps(event) + "\n")
        self.file.flush()


class Messages(logging.Handler):
    """deepstart's messages (what the CLI prints) as "message" events."""

    def emit(self, record: logging.LogRecord) -> None:
        emit("message", level=record.levelname.lower(), text=record.getMessage())


def train(workspace: Workspace, project: dict, run: dict, out: Path) -> dict:
    options, settings = _options(workspace, project), dict(run["settings"])
    group_split = settings.pop("group_split", None)  # the word the detection offered: "speaker"
    changes = taken(workspace, project["id"])  # added or corrected in the page since the last run
    if changes:
        say(said(changes))
    plan = Plan(
        Path(project["source"]),  # relative to the project's folder, the worker's own
        target=options.get("target") or None,
        task=options.get("task") or "auto",
        time=options.get("time") or None,
        id=options.get("id") or None,
        horizon=options.get("horizon") or None,
        group_split=group_split,
        settings=settings,
    )
    try:
        with limited(settings.get("time_limit"), STARTED):  # the budget counts from the job's start
            model = train_model(plan)
            model.save(out / "model")
    except BaseException:
        restore(workspace, project["id"], changes)  # the next run learns from them
        raise
    data = workspace.data_dir(project["id"]).resolve()
    records = [r | {"input": _relative(r["input"], data)} for r in model.test_records_]
    (out / "test_records.json").write_text(json.dumps(records))
    save_example(model, records, data, Path(project["source"]).resolve(), out)
    return summary_of(model.manifest()) | ({"changes": changes} if changes else {})


def _options(workspace: Workspace, project: dict) -> dict:
    """How to read the data: as chosen in the page, else as the page showed it (a control's
    value, such as the steps ahead of a forecast, counts as chosen)."""
    path = workspace.project_dir(project["id"]) / "detection.json"
    shown = json.loads(path.read_text()).get("controls") or [] if path.is_file() else []
    given = {c["name"]: c["value"] for c in shown if c.get("value") not in (None, "")}
    return given | {k: v for k, v in project["options"].items() if v not in (None, "")}


def _relative(name, data: Path):
    """A test input's file as the project's files route names it (texts, rows as they are)."""
    try:
        path = Path(name).resolve()
        inside = path.is_relative_to(data) and path.is_file()
    except (TypeError, ValueError, OSError):  # not a path: a text, a row
        return name
    return path.relative_to(data).as_posix() if inside else name


def summary_of(manifest: dict) -> dict:
    """What the runs table shows: the kept model, its test figures, the leaderboard."""
    test = manifest["metrics"]["test"]
    rows = manifest.get("leaderboard") or []
    kept = next((r["model"] for r in rows if r.get("chosen")), None)
    return {
        "modality": manifest["modality"],
        "task": manifest["task"],
        "model": kept or REGISTRY[manifest["modality"]].model_name(manifest["model"]["name"]),
        "test": {k: v for k, v in test.items() if isinstance(v, (int, float))},
        "fingerprint": manifest["data"].get("fingerprint"),
        "seconds": manifest["training"].get("seconds"),
        "leaderboard": rows,
    }


def export(workspace: Workspace, project: dict, run: dict, out: Path) -> dict:
    """The int8 ONNX export, checked on the run's test split where it can be rebuilt."""
    from ..export import export_model
    from ..loading import load_model

    parent = workspace.run_dir(run["parent_id"])
    records_file = parent / "test_records.json"
    records = json.loads(records_file.read_text()) if records_file.is_file() else []
    data, source = workspace.data_dir(project["id"]).resolve(), Path(project["source"]).resolve()
    model = load_model(parent / "model")
    held = test_data(model, records, data, source, out / "test-data")
    given = {"data": held[0], **held[1]} if held else {}
    try:
        runtime = export_model(parent / "model", out / "export", int8=True, **given)
    finally:
        shutil.rmtree(out / "test-data", ignore_errors=True)
    check = runtime["check"]
    if held:  # said as people read it, not as the folder it was checked in
        check["data"] = f"the test split ({check['n']:,} {model.modality.noun})"
    return {"check": check, "quantization": runtime.get("quantization"), "notes": runtime["notes"]}


def compare(workspace: Workspace, project: dict, run: dict, out: Path) -> dict:
    from ..compare import curve_png, learning_curves

    source = Path(project["source"])
    result = learning_curves(
        source, project["options"].get("target") or None, seed=run["settings"].get("seed", 0)
    )
    (out / "compare").mkdir(exist_ok=True)
    (out / "compare" / "compare.json").write_text(json.dumps(result, indent=2))
    (out / "compare" / "learning_curve.png").write_bytes(curve_png(result))
    return {
        "recommendation": result["recommendation"],
        "points": result["points"],
        "models": result["models"],
    }


JOBS = {"train": train, "export": export, "compare": compare}


def _stop(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    workspace = Workspace(Path(argv[0]))
    store, run_id = Store(workspace.database), int(argv[1])
    run = store.run(run_id)
    project = store.project(run["project_id"]) if run is not None else None
    if project is None:  # deleted before its turn came
        return 130
    out = workspace.run_dir(run_id)
    out.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, _stop)
    os.nice(10)  # the studio's page first: it must answer while this trains
    os.chdir(workspace.project_dir(project["id"]))  # what the run writes names its files from there
    logger.handlers[:] = [Messages()]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    log_warnings()  # libraries' warnings to the cache's warnings.log, as the CLI does
    events = Events(out / "events.jsonl")
    store.set_status(run_id, "running", started=time.time(), pid=os.getpid())
    data = workspace.data_dir(project["id"])
    with listening(events), data_folder(data), speaking_to("page"):  # messages name the page's controls
        emit("started", kind=run["kind"])
        try:
            summary = JOBS[run["kind"]](workspace, project, run, out)
        except KeyboardInterrupt:  # Cancel, or the studio stopping (which then says so itself)
            if (store.run(run_id) or {}).get("status") == "running":  # None: deleted meanwhile
                store.set_status(run_id, "cancelled")
            emit("cancelled")
            return 130
        except DeepstartError as e:
            store.set_status(run_id, "failed", error=str(e))
            emit("failed", error=str(e))
            return 2
        except Exception as e:  # noqa: BLE001 - recorded for the page, the traceback for the log
            (out / "worker.log").write_text(traceback.format_exc())
            said = (
                f"Something went wrong ({type(e).__name__}); the details are in "
                f"runs/{run_id}/worker.log in the studio's workspace."
            )
            store.set_status(run_id, "failed", error=said)
            emit("failed", error=said)
            return 1
        store.set_status(run_id, "done", summary=summary)
        emit("done", summary=summary)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
