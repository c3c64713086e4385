"""report.html: one self-contained page per trained model (no external files or
links): what was trained and why, the test metrics, the confusion matrix, the
training curves, the diagnostics with their fixes, the leaderboard, and the worst
mistakes on the test data (with heatmaps, for images)."""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

from .errors import DeepstartError
from .summary import MODEL_NAMES, NOUNS, diagnostics_text, percent

STYLE = """
body{font-family:system-ui,sans-serif;max-width:62em;margin:2em auto;padding:0 1em;color:#222;line-height:1.5}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}.kept{font-weight:bold;background:#eef7ee}
.warn{color:#a40000}.muted{color:#666}img{max-width:100%}
"""


def report_html(manifest: dict, curve: bytes | None = None, worst_images: dict | None = None) -> str:
    """The page for a trained model (a Predictor's manifest)."""
    kind, test = manifest["modality"], manifest["metrics"]["test"]
    noun = NOUNS.get(kind, "examples")
    model = manifest["model"]
    parts = [
        f"<h1>deepstart model: {escape(MODEL_NAMES.get((kind, model['name']), model['name']))}</h1>",
        f"<p>{escape(model['reason'][0].upper() + model['reason'][1:])}.</p>",
        _data(manifest, noun),
        "<h2>How good is it on data it never saw?</h2>",
        _metrics(test, noun),
        _confusion(test),
    ]
    if curve:
        encoded = base64.b64encode(curve).decode()
        parts += [
            "<h2>Training</h2>",
            "<p>Loss and score per pass over the training data; the dashed line marks the epoch kept.</p>",
            f'<img alt="training curve" src="data:image/png;base64,{encoded}">',
        ]
    parts += ["<h2>Diagnostics</h2>", _diagnostics(manifest)]
    if manifest.get("leaderboard"):
        parts += [
            "<h2>Deep and classical models on the same split</h2>",
            _leaderboard(manifest["leaderboard"]),
        ]
    if manifest.get("worst_mistakes"):
        parts += ["<h2>The worst mistakes on the test data</h2>", _mistakes(manifest, worst_images or {})]
    body = "\n".join(parts)
    return (
        "<!doctype html><html lang='en'><meta charset='utf-8'><title>deepstart report</title>"
        f"<style>{STYLE}</style><body>\n{body}\n</body></html>\n"
    )


def _data(manifest: dict, noun: str) -> str:
    d = manifest["data"]
    return (
        f"<p>{d['n_train']:,} {noun} to learn from, {d['n_validation']:,} to pick the best epoch and model, "
        f"{d['n_test']:,} to test. Source: <code>{escape(str(d.get('source')))}</code>.</p>"
    )


def _metrics(m: dict, noun: str) -> str:
    if "rmse" in m:
        rows = [("RMSE", f"{m['rmse']:.4g}"), ("MAE", f"{m['mae']:.4g}"), ("R²", f"{m['r2']:.3f}")]
        return _table(["measure", "value"], rows) + f"<p class='muted'>On {m['n']:,} {noun}.</p>"
    head = (
        f"<p>Accuracy <b>{percent(m['accuracy'])}</b> on {m['n']:,} {noun}, macro-F1 {m['macro_f1']:.3f}.</p>"
    )
    rows = [
        (name, f"{c['precision']:.3f}", f"{c['recall']:.3f}", f"{c['support']:,}")
        for name, c in m["per_class"].items()
    ]
    return head + _table(["class", "precision", "recall", noun], rows)


def _confusion(m: dict) -> str:
    if "confusion_matrix" not in m:
        return ""
    classes, matrix = m["classes"], m["confusion_matrix"]
    top = max((v for row in matrix for v in row), default=1) or 1
    cells = []
    for name, row in zip(classes, matrix):
        tds = "".join(
            f"<td style='background:rgba({'40,140,40' if i == j else '200,40,40'},{v / top:.2f})'>{v}</td>"
            for j, v in enumerate(row)
            for i in [classes.index(name)]
        )
        cells.append(f"<tr><th>{escape(name)}</th>{tds}</tr>")
    header = "".join(f"<th>{escape(c)}</th>" for c in classes)
    return (
        "<p class='muted'>Confusion matrix: rows are the true classes, columns the predicted ones.</p>"
        f"<table><tr><th></th>{header}</tr>{''.join(cells)}</table>"
    )


def _diagnostics(manifest: dict) -> str:
    lines = diagnostics_text(manifest.get("diagnostics", []), manifest.get("choice", "deep") != "classical")
    found = [escape(line.strip()) for line in lines[1:]] if len(lines) > 1 else []
    if not found:
        return f"<p>{escape(lines[0]) if lines else 'No checks recorded.'}</p>"
    return (
        "<ul>"
        + "".join(f"<li class='{'warn' if not t.startswith('Fix') else ''}'>{t}</li>" for t in found)
        + "</ul>"
    )


def _leaderboard(rows: list[dict]) -> str:
    regression = "validation_rmse" in rows[0]
    keys = ("validation_rmse", "test_rmse") if regression else ("validation_accuracy", "test_accuracy")
    shown = []
    for r in rows:
        scores = [f"{r[k]:.4g}" if regression else percent(r[k]) for k in keys]
        shown.append((("→ " if r["chosen"] else "") + r["model"], *scores, f"{r['seconds']:.1f} s"))
    names = ["model", "validation RMSE", "test RMSE"] if regression else ["model", "validation", "test"]
    return _table([*names, "time"], shown, kept=0) + "<p class='muted'>The best on validation is kept.</p>"


def _mistakes(manifest: dict, images: dict) -> str:
    rows = []
    for m in manifest["worst_mistakes"]:
        picture = images.get(m["input"])
        shown = f'<img alt="" src="data:image/png;base64,{picture}" width="120"><br>' if picture else ""
        rows.append(
            (shown + escape(str(m["input"])[:200]), escape(str(m["truth"])), escape(str(m["predicted"])))
        )
    return _table(["input", "truth", "predicted"], rows, escaped=True)


def _table(header: list[str], rows: list[tuple], kept: int | None = None, escaped: bool = False) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = " class='kept'" if i == kept else ""
        cells = "".join(f"<td>{cell if escaped else escape(str(cell))}</td>" for cell in row)
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def worst_mistakes(y, out, inputs: list, classes: list[str], kind: str, n: int = 5) -> list[dict]:
    """The n test examples the model got most wrong: the lowest probability of the true
    class among the misclassified ones, or the largest errors for numbers."""
    import numpy as np

    if len(y) == 0:
        return []
    if not classes:  # regression
        order = np.argsort(-np.abs(out - y))[:n]
        found = [(i, f"{y[i]:.4g}", f"{out[i]:.4g}") for i in order]
    else:
        wrong = np.flatnonzero(out.argmax(1) != y)
        order = wrong[np.argsort(out[wrong, y[wrong]])][:n]
        found = [(i, classes[y[i]], f"{classes[out[i].argmax()]} ({out[i].max():.0%})") for i in order]
    names = [_name(inputs[i], i, kind) for i, _, _ in found]
    return [{"input": name, "truth": t, "predicted": p} for name, (_, t, p) in zip(names, found)]


def _name(item, position: int, kind: str) -> str:
    """A test example's name: its file or text, its row, or its place among the test images."""
    if kind in ("table", "sequence"):
        return f"row {item + 1}"
    if isinstance(item, (str, bytes)) or hasattr(item, "is_file"):
        return str(item)
    return f"test image {position + 1}"  # an image given as an array


def mistake_images(predictor) -> dict:
    """Heatmaps over the worst-predicted test images, for the report (none if they cannot be made)."""
    if predictor.encoder_.kind != "image" or not getattr(predictor, "worst_", None):
        return {}
    import io

    from .explain.images import grad_cam, overlay_png

    try:
        files = [Path(m["input"]) for m in predictor.worst_ if Path(m["input"]).is_file()]
        heats = grad_cam(predictor, files)
    except (DeepstartError, OSError, RuntimeError):
        return {}
    found = {}
    for path, (heat, _) in zip(files, heats):
        buffer = io.BytesIO()
        overlay_png(path, heat).resize((120, 120 * heat.shape[0] // max(heat.shape[1], 1))).save(
            buffer, "PNG"
        )
        found[str(path)] = base64.b64encode(buffer.getvalue()).decode()
    return found
