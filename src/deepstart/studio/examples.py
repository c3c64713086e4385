"""What a trained run keeps beside its model for the page: one real example from its test
split to start Try from (a file copied into the run's folder, a text, a row of the table,
a series' last steps), and its test split as labelled data, for the export's check. Chosen
by how the model's service asks for an input (its Try form), never by the data's name."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

from ..data.tables import read_table
from .corrections import ROW
from .workspace import class_name

EXAMPLE = "example.json"  # in the run's folder; a file's copy in example/
HISTORY = 200  # steps of a series kept as its example, at most


def save_example(model, records: list[dict], data: Path, source: Path, out: Path) -> dict | None:
    """The example Try starts from, written to out/example.json (None when none fits)."""
    service = model.modality.service
    info = service.describe_inputs(model)
    form = service.try_input(info)["form"]
    right = [r for r in records if r["truth"] == r["predicted"]] + records  # one it gets right, first
    try:
        found = _example(model, form, info, right[:50], data, source, out)
    except (OSError, ValueError, KeyError, IndexError):  # no example is no failure: Try starts empty
        found = None
    if found is not None:
        (out / EXAMPLE).write_text(json.dumps(found))
    return found


def _example(model, form: str, info: dict, records: list[dict], data: Path, source: Path, out: Path):
    if form == "upload":
        for r in records:
            path = data / str(r["input"])
            if not Path(str(r["input"])).is_absolute() and path.is_file():
                (out / "example").mkdir(exist_ok=True)
                shutil.copyfile(path, out / "example" / path.name)
                return {"file": path.name, "truth": r["truth"]}
        return None
    if form == "prose":
        return {"input": records[0]["input"], "truth": records[0]["truth"]} if records else None
    if form == "history":
        return {"input": _history(model, info, source)}
    table = read_table(source) if source.is_file() else None
    rows = [r for r in records if ROW.fullmatch(str(r["input"]))]
    if table is None or not rows:
        return None
    row = table.iloc[int(ROW.fullmatch(rows[0]["input"])[1]) - 1]
    if form == "fields":
        values = {c["name"]: row.get(c["name"], "") for c in info["columns"]}
        return {"input": values, "truth": rows[0]["truth"]}
    steps = (model.columns_ or {}).get("steps")
    if form == "numbers" and isinstance(steps, list):
        return {"input": [float(row[c]) if row[c] != "" else None for c in steps], "truth": rows[0]["truth"]}
    return None


def _history(model, info: dict, source: Path) -> list[dict]:
    """The last steps of the first series: enough history for a forecast, and some more."""
    table = read_table(source)
    names = [c["name"] for c in info["columns"]]
    ids = [c["name"] for c in info["columns"] if c["type"] == "id"]
    if ids:
        table = table[table[ids[0]] == table[ids[0]].iloc[0]]
    enough = max(int(info.get("lookback") or 0), 2 * int(info.get("horizon") or 0), 48)
    keep = min(len(table), enough, HISTORY)
    return table[names].tail(keep).to_dict("records")


def test_data(model, records: list[dict], data: Path, source: Path, folder: Path) -> tuple[Path, dict] | None:
    """The run's test split as labelled data in folder (photos or recordings linked into
    class folders, texts or rows as a CSV), with the columns to read it by; None when it
    cannot be rebuilt (a forecaster is checked on its series)."""
    if not records or model.forecasts:
        return None
    files = [data / str(r["input"]) for r in records]
    here = [(r, f) for r, f in zip(records, files) if not Path(str(r["input"])).is_absolute() and f.is_file()]
    if here and len(here) >= len(records) / 2:  # files (some may have been moved since: corrected)
        for i, (r, f) in enumerate(here):
            target = folder / class_name(r["truth"]) / f"{i:05d}-{f.name}"  # a class as training named it
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(f, target)  # the same file, not a copy
            except OSError:
                shutil.copyfile(f, target)
        return folder, {}
    columns = model.columns_ or {}
    target = columns.get("target")
    if not target:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "test.csv"
    rows = [ROW.fullmatch(str(r["input"])) for r in records]
    if model.modality.rows and all(rows) and source.is_file():
        table = read_table(source)
        picked = table.iloc[[int(m[1]) - 1 for m in rows]]
        picked.to_csv(path, index=False)
        return path, {"target": target}
    text = columns.get("text")
    if not text:
        return None
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow([text, target])
        writer.writerows([[r["input"], r["truth"]] for r in records])
    return path, {"target": target, "text": text}
