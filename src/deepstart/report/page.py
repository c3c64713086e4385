"""report.html: one self-contained page per trained model (no external files or
links): what was trained and why, the test metrics, the confusion matrix, the
training curves, the diagnostics with their fixes, the leaderboard, and the worst
mistakes on the test data with why the model made them (mistakes.py). The page's
skeleton and tables serve the forecaster's page too (forecast.py)."""

from __future__ import annotations

import base64
import re
from html import escape

from ..evaluate.groups import MIN_ROWS
from ..modalities import REGISTRY
from .mistakes import mistake_rows
from .text import about_kept, chosen_by, diagnostics_text, percent

NUMBER = re.compile(r"→? ?[-+]?[\d.,]+ ?(%|s|×)?")  # cells aligned right
STYLE = """
body{font-family:system-ui,sans-serif;max-width:62em;margin:2em auto;padding:0 1em;color:#222;line-height:1.5}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
td{vertical-align:top}td.num,.confusion td{text-align:right;white-space:nowrap}th{background:#f4f4f4}
.kept{font-weight:bold;background:#eef7ee}
.warn{color:#a40000}.muted{color:#666}img{max-width:100%}td .words{line-height:1.9}
ul.effects{margin:.3em 0 0;padding-left:1.2em;text-align:left}td ul.effects li{margin:.1em 0}
"""


def report_html(manifest: dict, curve: bytes | None = None, explained: dict | None = None) -> str:
    """The page for a trained model (a Predictor's manifest); explained: HTML per worst
    mistake's input saying why the model got it wrong (from the modality)."""
    modality, test = REGISTRY[manifest["modality"]], manifest["metrics"]["test"]
    noun = modality.noun
    model, rows = manifest["model"], manifest.get("leaderboard") or []
    deep = modality.model_name(model["name"])
    kept = rows[0]["model"] if rows and manifest.get("choice", "deep") != "deep" else None
    parts = [
        f"<h1>deepstart model: {escape(kept or deep)}</h1>",
        f"<p>{escape(model['reason'][0].upper() + model['reason'][1:])}.</p>",
        "<p>Its settings were searched: <a href='tuning.html'>why these settings</a>.</p>"
        if manifest.get("tuning")
        else "",
        _kept(kept, deep, manifest.get("selection")),
        _data(manifest, noun),
        "<h2>How good is it on data it never saw?</h2>",
        _metrics(test, noun),
        _confusion(test),
        *groups_html(test.get("groups")),
        *balance_html(test.get("balance")),
    ]
    parts += training_html(curve)
    parts += ["<h2>Diagnostics</h2>", diagnostics_html(manifest)]
    if manifest.get("leaderboard"):
        parts += [
            "<h2>Deep and classical models on the same split</h2>",
            _leaderboard(manifest["leaderboard"], manifest.get("selection")),
        ]
    if not manifest.get("worst_mistakes") and test.get("accuracy") == 1:
        parts += [
            f"<h2>Mistakes</h2><p>None: every one of the {test.get('n', 0):,} test {noun} was right.</p>"
        ]
    if manifest.get("worst_mistakes"):
        note, rows = mistake_rows(manifest, explained or {})
        parts += ["<h2>The worst mistakes on the test data</h2>", note]
        parts.append(table_html(["input", "truth", "predicted"], rows, escaped=True))
    return page(parts)


def page(parts: list[str]) -> str:
    """A whole self-contained page around the given HTML parts."""
    body = "\n".join(parts)
    return (
        "<!doctype html><html lang='en'><meta charset='utf-8'><title>deepstart report</title>"
        f"<style>{STYLE}</style><body>\n{body}\n</body></html>\n"
    )


def png_html(png: bytes, alt: str) -> str:
    """A PNG inside the page itself."""
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def training_html(curve: bytes | None) -> list[str]:
    if not curve:
        return []
    return [
        "<h2>Training</h2>",
        "<p>Loss and score per pass over the training data; the dashed line marks the epoch kept.</p>",
        png_html(curve, "training curve"),
    ]


def _kept(kept: str | None, deep: str, selection: dict | None) -> str:
    """When another model than the deep one was kept: which, and what the page shows of each."""
    if kept is None:
        return ""
    return (
        f"<p>Kept: <b>{escape(kept)}</b>, {chosen_by(selection)[2]}; the test figures below are its. "
        "The training curve is that of the deep model trained beside it, "
        f"{escape(deep)}.</p>"
    )


def _data(manifest: dict, noun: str) -> str:
    d, chooses = manifest["data"], "" if manifest.get("selection") else " and model"
    return (
        f"<p>{d['n_train']:,} {noun} to learn from, {d['n_validation']:,} to pick the best epoch{chooses}, "
        f"{d['n_test']:,} to test. Source: <code>{escape(str(d.get('source')))}</code>.</p>"
    )


def _metrics(m: dict, noun: str) -> str:
    if "rmse" in m:
        rows = [("RMSE", f"{m['rmse']:.4g}"), ("MAE", f"{m['mae']:.4g}"), ("R²", f"{m['r2']:.3f}")]
        return table_html(["measure", "value"], rows) + f"<p class='muted'>On {m['n']:,} {noun}.</p>"
    head = (
        f"<p>Accuracy <b>{percent(m['accuracy'])}</b> on {m['n']:,} {noun}, macro-F1 {m['macro_f1']:.3f}.</p>"
    )
    rows = [
        (name, f"{c['precision']:.3f}", f"{c['recall']:.3f}", f"{c['support']:,}")
        for name, c in m["per_class"].items()
    ]
    return head + table_html(["class", "precision", "recall", noun], rows)


def _confusion(m: dict) -> str:
    if "confusion_matrix" not in m:
        return ""
    classes, matrix = m["classes"], m["confusion_matrix"]
    top = max((v for row in matrix for v in row), default=1) or 1
    cells = []
    for i, (name, row) in enumerate(zip(classes, matrix)):
        tds = "".join(  # a mistake is shaded visibly even beside a large diagonal
            f"<td style='background:rgba({'40,140,40' if i == j else '200,40,40'},"
            f"{max(v / top, 0.2) if v else 0:.2f})'>{v}</td>"
            for j, v in enumerate(row)
        )
        cells.append(f"<tr><th>{escape(name)}</th>{tds}</tr>")
    header = "".join(f"<th>{escape(c)}</th>" for c in classes)
    return (
        "<p class='muted'>Confusion matrix: rows are the true classes, columns the predicted ones.</p>"
        f"<table class='confusion'><tr><th></th>{header}</tr>{''.join(cells)}</table>"
    )


def balance_html(balance: dict | None) -> list[str]:
    """Each group's test score trained without --balance and with it, on the same test examples."""
    if not balance:
        return []
    parts = [
        f"<h2>Balanced by {escape(balance['column'])}</h2>",
        "<p class='muted'>Each group counted equally in training (the smaller groups' examples repeated). "
        "The same test examples, scored by the model trained without balancing, then with it:</p>",
    ]
    for when, title in (("before", "Without --balance"), ("after", "With --balance (the saved model)")):
        section = groups_html(balance[when])
        parts += [f"<h3>{title}</h3>", *section[2:]]
    return parts


def groups_html(groups: dict | None) -> list[str]:
    """The test metrics per group ("Per group: COL"): each group's size, score and gap to
    the best-served group, the worst-served one marked when the gap is too wide. Group
    names come from the data, so each is escaped."""
    if not groups:
        return []
    by_group, best = groups["by_group"], groups["best"]
    regression = any("rmse" in m for m in by_group.values())
    rows = []
    for value, m in by_group.items():
        score = f"{m['rmse']:.4g}" if regression else percent(m["accuracy"])
        if m["n"] < MIN_ROWS:
            gap, mark = "", f"fewer than {MIN_ROWS} rows: not compared"
        else:
            gap = _gap(m, by_group[best], regression) if best is not None else ""
            mark = (
                "<span class='warn'>! served much worse</span>"
                if groups["flag"] and value == groups["worst"]
                else ""
            )
        rows.append((escape(value), f"{m['n']:,}", score, gap, mark))
    measure, below = ("RMSE", "RMSE above the best") if regression else ("accuracy", "points below the best")
    note = "warn" if groups["flag"] else "muted"
    return [
        f"<h2>Per group: {escape(groups['column'])}</h2>",
        "<p class='muted'>The test examples grouped by their value in this column, each scored on its "
        "own.</p>",
        table_html(["group", "n", measure, below, "check"], rows, escaped=True),
        f"<p class='{note}'>{escape(groups['message'])}</p>",
    ]


def _gap(m: dict, best: dict, regression: bool) -> str:
    """How much worse a group is served than the best-served one: RMSE above it, or
    accuracy points below it."""
    if regression:
        return f"{m['rmse'] - best['rmse']:.4g}"
    return f"{100 * (best['accuracy'] - m['accuracy']):.1f}"


def diagnostics_html(manifest: dict) -> str:
    lines = diagnostics_text(manifest.get("diagnostics", []), about_kept(manifest))
    found = [escape(line.strip()) for line in lines[1:]] if len(lines) > 1 else []
    if not found:
        said = lines[0].split(": ", 1)[-1] if lines else "no checks recorded."
        return f"<p>{escape(said[0].upper() + said[1:])}</p>"
    return (
        "<ul>"
        + "".join(f"<li class='{'warn' if not t.startswith('Fix') else ''}'>{t}</li>" for t in found)
        + "</ul>"
    )


def _leaderboard(rows: list[dict], selection: dict | None) -> str:
    regression = "validation_rmse" in rows[0]
    keys = ("validation_rmse", "test_rmse") if regression else ("validation_accuracy", "test_accuracy")
    shown = []
    for r in rows:
        scores = [f"{r[k]:.4g}" if regression else percent(r[k]) for k in keys]
        shown.append((("→ " if r["chosen"] else "") + r["model"], *scores, f"{r['seconds']:.1f} s"))
    scored, how, best = chosen_by(selection)
    names = ["model", f"{scored} RMSE", "test RMSE"] if regression else ["model", scored, "test"]
    note = f"<p class='muted'>Models {escape(how)}; {best} is kept.</p>"
    return table_html([*names, "time"], shown, kept=0) + note


def table_html(header: list[str], rows: list[tuple], kept: int | None = None, escaped: bool = False) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = " class='kept'" if i == kept else ""
        cells = "".join(_cell(cell, escaped) for cell in row)
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _cell(cell, escaped: bool) -> str:
    text = str(cell)
    number = " class='num'" if NUMBER.fullmatch(text) else ""
    return f"<td{number}>{text if escaped else escape(text)}</td>"
