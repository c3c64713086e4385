"""What people read of a detector: the training summary, evaluate's figures in words, a
plain sentence on what it misses, and report.html (per-class AP as bars, the training
curve, the test photos it did worst on with their true and predicted boxes)."""

from __future__ import annotations

import base64
import io
from html import escape

from ...budget import budget_text
from .draw import COLOURS, data_url, drawn

MODEL = "EfficientNet-Lite0 pretrained on ImageNet (frozen) + an anchor-free detection head (as FCOS)"
STYLE = """
body{font-family:system-ui,sans-serif;max-width:62em;margin:2em auto;padding:0 1em;color:#222;line-height:1.5}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
td.num{text-align:right}th{background:#f4f4f4}.bar{height:1em;background:#4363d8;display:inline-block}
.muted{color:#666}img{max-width:100%}figure{display:inline-block;margin:.5em;max-width:30em;vertical-align:top}
"""


def percent(value) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def misses_sentence(metrics: dict) -> str:
    """What it misses, in a plain sentence or two: small objects, crowded photos, its weakest class."""
    m = metrics.get("misses") or {}
    said = []
    small, larger, crowded, sparse = (m.get(k) or {} for k in ("small", "larger", "crowded", "sparse"))
    if small.get("n", 0) >= 3 and larger.get("n") and small["found"] < larger["found"] - 0.1:
        said.append(
            f"It misses small objects most: it finds {percent(small['found'])} of the {small['n']} boxes "
            "smaller "
            f"than 32x32 pixels as it reads the photos, against {percent(larger['found'])} of larger ones."
        )
    if crowded.get("n", 0) >= 3 and sparse.get("n") and crowded["found"] < sparse["found"] - 0.1:
        said.append(
            f"In crowded photos (more than 20 boxes) it finds {percent(crowded['found'])} of the boxes, "
            "against "
            f"{percent(sparse['found'])} in the others: objects that touch or overlap are found as one, or "
            "not at all."
        )
    if not said and m.get("found") is not None:
        said.append(
            f"It finds {percent(m['found'])} of the boxes, small and large, in crowded and sparse photos "
            "alike."
        )
    per_class = metrics.get("per_class") or {}
    if len(per_class) > 1:
        weakest = min(per_class, key=lambda c: per_class[c]["ap50"])
        said.append(f"Its weakest class is {weakest} (AP at IoU 0.5: {percent(per_class[weakest]['ap50'])}).")
    return " ".join(said)


def metrics_text(metrics: dict) -> list[str]:
    """evaluate's figures in words."""
    lines = [
        f"mAP at IoU 0.5: {percent(metrics['map50'])}; at IoU 0.5 to 0.95 (COCO's mAP): "
        f"{percent(metrics['map'])} "
        f"on {metrics['n']:,} photos ({metrics.get('n_boxes', 0):,} boxes)."
    ]
    for name, c in sorted((metrics.get("per_class") or {}).items()):
        lines.append(
            f"  {name}: AP@0.5 {percent(c['ap50'])}, AP {percent(c['ap'])}; {c['support']:,} boxes, "
            f"{c['found']:,} found above the threshold (precision {percent(c['precision'])}, recall "
            f"{percent(c['recall'])})"
        )
    sentence = misses_sentence(metrics)
    lines += [sentence] if sentence else []
    skipped = metrics.get("skipped") or []
    if skipped:
        lines.append(
            f"Skipped {len(skipped)} photos that cannot be read (e.g. {skipped[0]['file']}: "
            f"{skipped[0]['reason']})."
        )
    return lines


def summary_text(manifest: dict, out: str | None = None) -> str:
    """What a manifest's detector is, how it was trained and how good it is, in words."""
    data, history, classes = manifest["data"], manifest["training"]["history"], manifest["classes"]
    lines = [
        f"Trained a detector of {len(classes)} class{'es' * (len(classes) != 1)} ({', '.join(classes[:8])}"
        f"{', ...' if len(classes) > 8 else ''}) on {data['n_train']:,} photos with "
        f"{data.get('n_train_boxes', 0):,} "
        f"boxes ({data.get('layout', 'boxes')}; {data['n_validation']:,} more photos to pick the best epoch, "
        f"{data.get('n_test', 0):,} to test on; {data.get('split', 'at random')} split).",
        f"Model: {MODEL}, because {manifest['model']['reason']}.",
        f"Training: best epoch {history.get('best_epoch')} of {len(history['epochs'])} "
        f"({history.get('stopped')}).",
    ]
    lines += budget_text(manifest["training"].get("budget"))  # as every summary says it
    lines.append(
        f"Boxes are kept from a score of {manifest['threshold']:.2f}: the threshold that found most boxes "
        "rightly on "
        "the validation photos."
    )
    lines.append("Test:")
    lines += ["  " + line for line in metrics_text(manifest["metrics"]["test"])]
    if out:
        seconds = manifest["training"].get("seconds")
        lines.append(
            f"Model saved to {out}{f' in {seconds:.0f} s' if seconds else ''} (the whole story, with the "
            "test photos "
            f"it did worst on, for a browser: {out}/report.html)."
        )
        lines.append(f"Try: deepstart predict {out} <photo> --draw boxes/")
    return "\n".join(lines)


def curve_png(history: dict) -> bytes:
    """The training and validation loss per epoch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = history.get("epochs") or []
    fig, ax = plt.subplots(figsize=(6, 3.4), dpi=100)
    x = [e["epoch"] for e in epochs]
    ax.plot(x, [e["train_loss"] for e in epochs], label="training", color="#1f77b4")
    ax.plot(x, [e["val_loss"] for e in epochs], label="validation", color="#d62728")
    if history.get("best_epoch"):
        ax.axvline(history["best_epoch"], color="gray", linestyle="--", linewidth=1, label="best epoch")
    ax.set_title("Loss (lower is better)")
    ax.set_xlabel("epoch")
    ax.legend(loc="best")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def report_html(manifest: dict, curve: bytes | None) -> str:
    """The page for a trained detector, self-contained (photos and plots inside it)."""
    test, classes = manifest["metrics"]["test"], manifest["classes"]
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>deepstart detector</title>"
        f"<style>{STYLE}</style></head><body><h1>deepstart detector: {escape(', '.join(classes[:8]))}</h1>",
        f"<p>{escape(MODEL)}, because {escape(manifest['model']['reason'])}.</p>",
        "<h2>How good is it on photos it never saw?</h2>",
        f"<p>mAP at IoU 0.5: <b>{percent(test['map50'])}</b>; COCO's mAP (IoU 0.5 to 0.95): "
        f"<b>{percent(test['map'])}</b>,"
        f" on {test['n']:,} photos with {test.get('n_boxes', 0):,} boxes.</p>",
        _bars(test, classes),
        f"<p>{escape(misses_sentence(test))}</p>",
        "<h2>Training</h2>",
        f"<img alt='loss per epoch' src='data:image/png;base64,{base64.b64encode(curve).decode()}'>"
        if curve
        else "",
        "<h2>The test photos it did worst on</h2>",
        "<p class='muted'>White frames: the true boxes; coloured: what the detector found, with its "
        "score.</p>",
        _worst(test.get("worst") or [], classes),
        "</body></html>",
    ]
    return "\n".join(parts)


def _bars(test: dict, classes: list[str]) -> str:
    rows = [
        "<table><tr><th>class</th><th>AP at IoU 0.5</th><th></th><th>AP (0.5 to 0.95)</th><th>boxes</th></tr>"
    ]
    for k, name in enumerate(classes):
        c = (test.get("per_class") or {}).get(name)
        if c is None:
            continue
        hue = COLOURS[k % len(COLOURS)]
        bar = f"<span class='bar' style='width:{200 * c['ap50']:.0f}px;background:{hue}'></span>"
        rows.append(
            f"<tr><td>{escape(name)}</td><td class='num'>{percent(c['ap50'])}</td><td>{bar}</td>"
            f"<td class='num'>{percent(c['ap'])}</td><td class='num'>{c['support']:,}</td></tr>"
        )
    return "\n".join(rows) + "</table>"


def _worst(worst: list[dict], classes: list[str]) -> str:
    figures = []
    for photo in worst:
        image = drawn(photo["file"], photo["found"], classes, photo["truth"], side=480)
        caption = f"{photo['file']}: {photo['missed']} missed, {photo['false']} false"
        if image is None:
            figures.append(f"<p class='muted'>{escape(caption)} (the photo is not here to draw)</p>")
            continue
        figures.append(
            f"<figure><img alt='{escape(caption)}' "
            f"src='{data_url(image)}'><figcaption>{escape(caption)}</figcaption></figure>"
        )
    return "\n".join(figures) or "<p>It found every test box, and nothing else.</p>"
