"""The studio's records in SQLite (the standard library's): projects and their runs.
A run is one job (training a model, exporting one, or comparing deep and classical
models) with its settings, its status and what it measured. Model folders, uploads
and event logs live on disk beside the database, under the workspace."""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS projects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    created REAL NOT NULL,
    source TEXT,            -- the data, relative to the project's folder
    options TEXT NOT NULL   -- JSON: target column, task, time column, horizon, ...
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    kind TEXT NOT NULL,     -- "train" | "export" | "compare"
    parent_id INTEGER,      -- for an export: the run whose model it exports
    status TEXT NOT NULL,   -- "queued" | "running" | "done" | "failed" | "cancelled" | "interrupted"
    settings TEXT NOT NULL, -- JSON
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    pid INTEGER,
    summary TEXT,           -- JSON: what the run measured
    error TEXT
);
"""
FINISHED = ("done", "failed", "cancelled", "interrupted")


class Store:
    """Projects and runs in workspace/studio.sqlite; safe to use from several threads and
    processes (each call opens its own connection; WAL journal)."""

    def __init__(self, path: Path):
        self.path = path
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    @contextmanager
    def _db(self):
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        try:
            with db:
                yield db
        finally:
            db.close()

    # -- projects ---------------------------------------------------------------
    def add_project(self, name: str) -> int:
        with self._db() as db:
            cursor = db.execute(
                "INSERT INTO projects (name, created, options) VALUES (?, ?, '{}')", (name, time.time())
            )
            return int(cursor.lastrowid)

    def update_project(self, project_id: int, source: str | None = None, options: dict | None = None) -> None:
        with self._db() as db:
            if source is not None:
                db.execute("UPDATE projects SET source = ? WHERE id = ?", (source, project_id))
            if options is not None:
                db.execute("UPDATE projects SET options = ? WHERE id = ?", (json.dumps(options), project_id))

    def project(self, project_id: int) -> dict | None:
        with self._db() as db:
            row = db.execute("SELECT * FROM projects WHERE id = ?", (project_id,)).fetchone()
        return _project(row) if row else None

    def projects(self) -> list[dict]:
        with self._db() as db:
            rows = db.execute("SELECT * FROM projects ORDER BY id DESC").fetchall()
        return [_project(r) for r in rows]

    def delete_project(self, project_id: int) -> None:
        with self._db() as db:
            db.execute("DELETE FROM runs WHERE project_id = ?", (project_id,))
            db.execute("DELETE FROM projects WHERE id = ?", (project_id,))

    # -- runs -------------------------------------------------------------------
    def add_run(self, project_id: int, kind: str, settings: dict, parent_id: int | None = None) -> int:
        with self._db() as db:
            cursor = db.execute(
                "INSERT INTO runs (project_id, kind, parent_id, status, settings, created) "
                "VALUES (?, ?, ?, 'queued', ?, ?)",
                (project_id, kind, parent_id, json.dumps(settings), time.time()),
            )
            return int(cursor.lastrowid)

    def run(self, run_id: int) -> dict | None:
        with self._db() as db:
            row = db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return _run(row) if row else None

    def runs(self, project_id: int | None = None, status: str | None = None) -> list[dict]:
        query, args = "SELECT * FROM runs WHERE 1 = 1", []
        if project_id is not None:
            query, args = query + " AND project_id = ?", [*args, project_id]
        if status is not None:
            query, args = query + " AND status = ?", [*args, status]
        with self._db() as db:
            rows = db.execute(query + " ORDER BY id", args).fetchall()
        return [_run(r) for r in rows]

    def set_status(self, run_id: int, status: str, **fields) -> None:
        """A run's status, and any of: started, finished, pid, summary (a dict), error."""
        if status in FINISHED:
            fields.setdefault("finished", time.time())
        if "summary" in fields:
            fields["summary"] = json.dumps(fields["summary"])
        names = ", ".join(f"{k} = ?" for k in fields)
        with self._db() as db:
            db.execute(
                f"UPDATE runs SET status = ?{', ' + names if names else ''} WHERE id = ?",
                (status, *fields.values(), run_id),
            )

    def delete_run(self, run_id: int) -> None:
        with self._db() as db:
            db.execute("DELETE FROM runs WHERE id = ? OR parent_id = ?", (run_id, run_id))


def _project(row) -> dict:
    return {**dict(row), "options": json.loads(row["options"] or "{}")}


def _run(row) -> dict:
    found = dict(row)
    found["settings"] = json.loads(found["settings"] or "{}")
    found["summary"] = json.loads(found["summary"]) if found["summary"] else None
    return found
