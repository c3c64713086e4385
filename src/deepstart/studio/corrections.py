"""Correct and retrain (as Lobe): "this is actually X" from the page adds an example to the
project's data under X, or moves a test example there, and the next run says how many
examples were added or corrected. A photo or a recording goes into the class's folder; a
text or a row is appended to the project's table (CSV, TSV or JSON Lines), or its label
changed. Every path is made from cleaned names inside the project's data folder, and a
test example is named by its run's test records, never by a path the page sends."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from ..data.prose import clean_text
from ..errors import Refused
from ..files import write_atomic
from .workspace import class_name, clean_parts

CHANGES = "changes.json"  # in the project's folder: what changed since the last run
ROW = re.compile(r"row (\d+)")  # how a test record names a row of a table (pipeline/record.py)
SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}")
EDITABLE = (".csv", ".tsv", ".jsonl", ".ndjson")


def pending(workspace, project_id: int) -> dict:
    """{"added": n, "corrected": n}: the examples changed since the last run."""
    path = workspace.project_dir(project_id) / CHANGES
    found = json.loads(path.read_text()) if path.is_file() else {}
    return {"added": int(found.get("added", 0)), "corrected": int(found.get("corrected", 0))}


def taken(workspace, project_id: int) -> dict | None:
    """The changes a run learns from, no longer pending (None: nothing changed)."""
    found = pending(workspace, project_id)
    (workspace.project_dir(project_id) / CHANGES).unlink(missing_ok=True)
    return found if any(found.values()) else None


def restore(workspace, project_id: int, changes: dict | None) -> None:
    """Changes taken by a run that did not finish: pending again, for the next one."""
    if changes:
        found = pending(workspace, project_id)
        found = {k: found[k] + changes.get(k, 0) for k in found}
        write_atomic(workspace.project_dir(project_id) / CHANGES, json.dumps(found))


def said(changes: dict | None) -> str:
    """'This run learns from 2 examples added and 1 corrected in the page.'"""
    if not changes:
        return ""
    parts = [f"{n} {k}" for k, n in changes.items() if n]
    noun = "example" if next(n for n in changes.values() if n) == 1 else "examples"
    first = parts[0].replace(" ", f" {noun} ", 1)  # "2 examples added"
    return f"This run learns from {' and '.join([first, *parts[1:]])} in the page."


def _noted(workspace, project_id: int, what: str) -> dict:
    found = pending(workspace, project_id)
    found[what] += 1
    write_atomic(workspace.project_dir(project_id) / CHANGES, json.dumps(found))
    return found


def _source(workspace, project: dict) -> Path:
    data = workspace.data_dir(project["id"]).resolve()
    source = workspace.inside(workspace.project_dir(project["id"]) / (project["source"] or "data"))
    if not source.is_relative_to(data):
        raise Refused(409, "This project's data is not where examples can be added.")
    return source


def _inside(data: Path, path: Path) -> Path:
    resolved = path.resolve()
    if not resolved.is_relative_to(data.resolve()):
        raise Refused(400, "That path leads out of the project's data.")
    return resolved


def _free(path: Path) -> Path:
    """path, or path with -2, -3, ... before its suffix when it is taken."""
    n, found = 1, path
    while found.exists():
        n += 1
        found = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return found


def add_file(workspace, project: dict, label: str, name: str, data: bytes) -> dict:
    """A photo or a recording from Try, into the folder of its class."""
    source = _source(workspace, project)
    if not source.is_dir():
        raise Refused(409, "This project's data is a table: files are added to folders of classes only.")
    suffix = Path(name or "").suffix
    suffix = suffix.lower() if SUFFIX.fullmatch(suffix) else ".bin"
    folder = _inside(source, source / class_name(label))
    folder.mkdir(exist_ok=True)
    target = _free(folder / f"added-{len(list(folder.iterdir())) + 1:05d}{suffix}")
    target.write_bytes(data)
    return _noted(workspace, project["id"], "added")


def add_item(workspace, project: dict, detection: dict, label: str, item) -> dict:
    """A text or a row from Try, appended to the project's table with its label."""
    table = _table(workspace, project)
    target = detection.get("target")
    if not target:
        raise Refused(409, "The column to predict is not chosen yet; choose it first.")
    if isinstance(item, str) and detection.get("text_column"):
        row = {detection["text_column"]: clean_text(item)}
    elif isinstance(item, dict):
        row = {str(k): "" if v is None else str(v) for k, v in item.items()}
    else:
        raise Refused(422, "Send the example as the Try form gave it: a text or a row of fields.")
    table.append({**row, target: _label(label)})
    return _noted(workspace, project["id"], "added")


def correct(workspace, project: dict, detection: dict, record: dict, label: str) -> dict:
    """A test example of a run, filed under another class: its file moved to that class's
    folder, or its label changed in the table."""
    given = record["input"]
    if class_name(label) == record["truth"]:
        raise Refused(422, f"That example is filed under '{record['truth']}' already.")
    source = _source(workspace, project)
    if source.is_dir():
        data = workspace.data_dir(project["id"])
        path = _inside(source, data.joinpath(*clean_parts(str(given))))
        if not path.is_file():
            raise Refused(404, "That example is no longer in the project's data.")
        folder = _inside(source, source / class_name(label))
        folder.mkdir(exist_ok=True)
        name = path.name
        if name.lower().startswith(f"{record['truth']}_".lower()):  # {label}_{speaker}_{n}: kept so
            name = f"{class_name(label)}_{name[len(record['truth']) + 1 :]}"
        path.rename(_free(folder / name))
    else:
        table, target = _table(workspace, project), detection.get("target")
        text = detection.get("text_column")
        if not target:
            raise Refused(409, "The column to predict is not chosen yet; choose it first.")
        found = ROW.fullmatch(str(given)) if not text else None
        if found:
            table.relabel([int(found[1]) - 1], target, _label(label))
        else:
            same = [clean_text(r.get(text, "")).strip() == given.strip() for r in table.rows]
            rows = [i for i, found in enumerate(same) if found]
            table.relabel(rows, target, _label(label))
    return _noted(workspace, project["id"], "corrected")


def _label(label: str) -> str:
    return class_name(label)  # the same cleaning as a folder's name: no control characters


def _table(workspace, project: dict) -> Table:
    source = _source(workspace, project)
    if source.is_dir() or source.suffix.lower() not in EDITABLE:
        kind = "a folder" if source.is_dir() else source.suffix.lstrip(".").upper()
        said = f"Examples are added to CSV, TSV or JSON Lines tables; this project's data is {kind}."
        raise Refused(409, said)
    return Table(source)


class Table:
    """A CSV, TSV or JSON Lines table as rows of text, written back whole (atomically)."""

    def __init__(self, path: Path):
        self.path = path
        text = path.read_text(encoding="utf-8-sig")
        self.lines = path.suffix.lower() in (".jsonl", ".ndjson")
        if self.lines:
            self.rows = [json.loads(line) for line in text.splitlines() if line.strip()]
            self.columns = list(dict.fromkeys(k for r in self.rows for k in r))
        else:
            first = text.split("\n", 1)[0]
            tab = path.suffix.lower() == ".tsv"
            self.sep = "\t" if tab else (";" if first.count(";") > first.count(",") else ",")
            read = [r for r in csv.reader(io.StringIO(text), delimiter=self.sep) if r]
            self.columns = [c.strip() for c in read[0]]
            self.rows = [dict(zip(self.columns, r)) for r in read[1:]]

    def append(self, row: dict) -> None:
        unknown = set(row) - set(self.columns)
        if unknown and not self.lines:
            raise Refused(422, f"The table has no column {sorted(unknown)[0][:100]!r}.")
        self.rows.append({c: row.get(c, "") for c in self.columns} if not self.lines else row)
        self._write()

    def relabel(self, rows: list[int], target: str, label: str) -> None:
        if not rows or any(not 0 <= i < len(self.rows) for i in rows):
            raise Refused(404, "That example is no longer in the project's table.")
        for i in rows:
            self.rows[i][target] = label
        self._write()

    def _write(self) -> None:
        if self.lines:
            text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in self.rows)
        else:
            out = io.StringIO()
            writer = csv.writer(out, delimiter=self.sep, lineterminator="\n")
            writer.writerow(self.columns)
            writer.writerows([[r.get(c, "") for c in self.columns] for r in self.rows])
            text = out.getvalue()
        write_atomic(self.path, text)
