"""What `predict` prints and writes. A model's records are of two shapes: one per input
({"input", "label", "probabilities"} or {"input", "prediction"}, or {"input", "error"}
when it was skipped), or rows of a table with no input of their own (a forecaster's:
series, time, step, value; a detector's: file, label, score and corners, one per box).
--out is written by its suffix: .json (the records as they are), .parquet, anything else
CSV; in CSV a text a spreadsheet would run gets a leading '."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ..files import write_atomic
from ..log import printable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def lines(records: list[dict]) -> list[str]:
    """One line per record, for a terminal: names and labels from data cannot break a line
    or drive the terminal."""
    if records and "input" not in records[0]:  # rows of a table: a header, then the rows
        keys = columns(records)
        rows = ["\t".join(printable(_shown(r.get(k)), lines=False) for k in keys) for r in records]
        return ["\t".join(printable(k, lines=False) for k in keys), *rows]
    return [_line(r) for r in records]


def columns(records: list[dict]) -> list[str]:
    """Every key of the rows, in the order they first appear (a detector's row of a photo
    it could not read has "error" where the others have a box)."""
    return list(dict.fromkeys(k for r in records for k in r))


def _shown(value):
    """A cell for a terminal: nothing for None, a number to 6 significant digits."""
    if value is None:
        return ""
    return f"{value:.6g}" if isinstance(value, float) else value


def _line(r: dict) -> str:
    name = printable(r["input"], lines=False)
    if "error" in r:
        return f"{name}\t(skipped: {printable(r['error'], lines=False)})"
    if "prediction" in r:
        return f"{name}\t{r['prediction']:.6g}"
    probs = ", ".join(f"{printable(c, False)} {p:.3f}" for c, p in r["probabilities"].items())
    return f"{name}\t{printable(r['label'], lines=False)}\t({probs})"


def table(records: list[dict], classes: list[str]) -> tuple[list[str], list[list]]:
    """(header, rows): records as a table, probabilities as one column per class."""
    if records and "input" not in records[0]:
        keys = columns(records)
        return keys, [[r.get(k) for k in keys] for r in records]
    if not classes:  # numbers: one predicted number per input
        return ["input", "prediction", "error"], [
            [r["input"], r.get("prediction"), r.get("error", "")] for r in records
        ]
    header = ["input", "label", *[f"p_{c}" for c in classes], "error"]
    rows = []
    for r in records:
        probs = [round(r["probabilities"][c], 6) if "probabilities" in r else None for c in classes]
        rows.append([r["input"], r.get("label", ""), *probs, r.get("error", "")])
    return header, rows


def write(path: Path, records: list[dict], classes: list[str]) -> None:
    """--out, in the format its suffix names, written atomically."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        write_atomic(path, json.dumps(records, indent=1))
        return
    header, rows = table(records, classes)
    if suffix == ".parquet":
        import pandas as pd

        buffer = io.BytesIO()
        pd.DataFrame(rows, columns=header).to_parquet(buffer, index=False)
        write_atomic(path, buffer.getvalue())
        return
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    write_atomic(path, text.getvalue())


def _cell(value):
    if value is None or (isinstance(value, float) and value != value):  # nothing, or NaN
        return ""
    return spreadsheet_safe(value)


def spreadsheet_safe(value):
    """A text cell that a spreadsheet would run as a formula gets a leading ' (OWASP's
    advice against CSV injection); numbers and other texts are written as they are."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value
