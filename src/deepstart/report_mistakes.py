"""The worst mistakes on the test data, for report.html: which test examples the model
got most wrong (found in training and kept in the manifest), and, made when the model
is saved and only for that handful, why: a Grad-CAM overlay for an image, each word's
effect for a text, the values that moved a table row's prediction most."""

from __future__ import annotations

import base64
import io
from html import escape
from pathlib import Path

from .errors import DeepstartError
from .log import say

MAX_WORDS = 150  # words of a text that are weighed, one prediction each
TOP_VALUES = 3  # values named per row, the largest effects first
MAX_VALUE = 200  # characters of each of a row's values kept in the manifest
MAX_SHOWN = 12  # of a row's values listed beside it


def worst_mistakes(y, out, inputs: list, classes: list[str], kind: str, table=None, n: int = 5) -> list[dict]:
    """The n test examples the model got most wrong: the lowest probability of the true
    class among the misclassified ones, or the largest errors for numbers. For a table
    (given as the rows the test inputs number), each mistake keeps its row's values."""
    import numpy as np
    import pandas as pd

    if len(y) == 0:
        return []
    if not classes:  # regression
        order = np.argsort(-np.abs(out - y))[:n]
        found = [(i, f"{y[i]:.4g}", f"{out[i]:.4g}") for i in order]
    else:
        wrong = np.flatnonzero(out.argmax(1) != y)
        order = wrong[np.argsort(out[wrong, y[wrong]])][:n]
        found = [(i, classes[y[i]], f"{classes[out[i].argmax()]} ({out[i].max():.0%})") for i in order]
    records = [{"input": _name(inputs[i], i, kind), "truth": t, "predicted": p} for i, t, p in found]
    if kind == "table" and isinstance(table, pd.DataFrame):
        for record, (i, _, _) in zip(records, found):
            row = table.iloc[int(inputs[i])]
            record["row"] = {str(c): "" if pd.isna(v) else str(v)[:MAX_VALUE] for c, v in row.items()}
    return records


def _name(item, position: int, kind: str) -> str:
    """A test example's name: its file or text, its row, or its place among the test images."""
    if kind in ("table", "sequence"):
        return f"row {item + 1}"
    if isinstance(item, (str, bytes)) or hasattr(item, "is_file"):
        return str(item)
    return f"test image {position + 1}"  # an image given as an array


def mistake_explanations(predictor) -> dict[str, str]:
    """Per worst mistake's input, HTML that says why the model predicted what it did:
    a heatmap, coloured words or the values that mattered (none where they cannot be made)."""
    make = {"image": _heatmaps, "text": _words, "table": _values}.get(predictor.encoder_.kind)
    if make is None or not getattr(predictor, "worst_", None):
        return {}
    try:
        return make(predictor, predictor.worst_)
    except (DeepstartError, OSError, RuntimeError, ValueError, KeyError) as e:
        say(f"The report shows the worst mistakes without explanations ({type(e).__name__}: {e}).")
        return {}


def _heatmaps(predictor, worst: list[dict]) -> dict[str, str]:
    from .explain.images import grad_cam, overlay_png

    files = [Path(m["input"]) for m in worst if Path(m["input"]).is_file()]
    found = {}
    for path, (heat, _) in zip(files, grad_cam(predictor, files) if files else []):
        buffer = io.BytesIO()
        size = (160, max(1, 160 * heat.shape[0] // max(heat.shape[1], 1)))
        overlay_png(path, heat).resize(size).save(buffer, "PNG")
        encoded = base64.b64encode(buffer.getvalue()).decode()
        found[str(path)] = (
            f'<img alt="heatmap over {escape(path.name)}" src="data:image/png;base64,{encoded}" '
            f'width="160"><br><span class="muted">{escape(str(path))}</span>'
        )
    return found


def _words(predictor, worst: list[dict]) -> dict[str, str]:
    from .explain.texts import coloured_words, word_attributions

    found = {}
    for record in word_attributions(predictor, [m["input"] for m in worst], MAX_WORDS):
        more = " …" if len(record["text"].split()) > len(record["words"]) else ""
        found[record["text"]] = f"<span class='words'>{coloured_words(record['words'])}{more}</span>"
    return found


def _values(predictor, worst: list[dict]) -> dict[str, str]:
    import pandas as pd

    from .explain.tables import row_attributions

    given = [m for m in worst if isinstance(m.get("row"), dict)]
    if not given:
        return {}
    records = row_attributions(predictor, pd.DataFrame([m["row"] for m in given]).fillna(""))
    found = {}
    for mistake, record in zip(given, records):
        label = record.get("label")
        large = [
            (c, e) for c, e in record["contributions"].items() if abs(e) >= (1e-9 if label is None else 0.005)
        ]
        said = [_effect_words(c, mistake["row"].get(c, ""), e, label) for c, e in large[:TOP_VALUES]]
        items = (
            "".join(f"<li>{escape(line)}</li>" for line in said)
            or "<li>Hiding any one value changes little.</li>"
        )
        values = ", ".join(f"{c} = {v or '(missing)'}" for c, v in list(mistake["row"].items())[:MAX_SHOWN])
        more = ", …" if len(mistake["row"]) > MAX_SHOWN else ""
        found[mistake["input"]] = (
            f"<b>{escape(mistake['input'])}</b>: <span class='muted'>{escape(values[:300])}{more}</span>"
            f"<ul class='effects'>{items}</ul>"
        )
    return found


def _effect_words(column: str, value: str, effect: float, label: str | None) -> str:
    """'age = 71 pushed towards 'yes' by 0.23', or for a number to predict
    'age = 71 raised the prediction by 12.5'."""
    shown = f"{column} = {value}" if value.strip() else f"{column} missing"
    if label is None:
        return f"{shown} {'raised' if effect > 0 else 'lowered'} the prediction by {abs(effect):.3g}"
    return f"{shown} pushed {'towards' if effect > 0 else 'away from'} '{label}' by {abs(effect):.2f}"


NOTES = {
    "image": "The overlay shows where the model looked: the warmer the colour, the more that part of the "
    "image drove its (wrong) prediction.",
    "text": "Green words pushed the model towards its (wrong) prediction, red ones away from it; the "
    "stronger the colour, the more the probability of that prediction drops when the word is left out "
    "(hover over a word for the number).",
    "table": "Under each row, the values that moved the prediction most: how much the probability of the "
    "predicted class changes when the value is hidden (as if it were missing).",
    "regression": "Under each row, the values that moved the prediction most: how much the predicted number "
    "changes when the value is hidden (as if it were missing).",
}


def mistake_rows(manifest: dict, explained: dict[str, str]) -> tuple[str, list[tuple]]:
    """A note on how to read the explanations, and the worst mistakes as rows of HTML
    (input, truth, predicted), each input with its explanation where there is one."""
    kind = manifest["modality"]
    rows = []
    for m in manifest["worst_mistakes"]:
        shown = explained.get(m["input"]) or escape(str(m["input"])[:300])
        rows.append((shown, escape(str(m["truth"])), escape(str(m["predicted"]))))
    note_kind = "regression" if kind == "table" and manifest.get("task") == "regression" else kind
    note = f"<p class='muted'>{escape(NOTES[note_kind])}</p>" if explained and note_kind in NOTES else ""
    return note, rows
