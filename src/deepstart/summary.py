"""Plain-language texts for people: what was trained, how good it is, where it is."""

from __future__ import annotations

BACKBONES = {"efficientnet_lite0": "EfficientNet-Lite0 pretrained on ImageNet (frozen)"}


def percent(x: float) -> str:
    return f"{100 * x:.1f} %"


def metrics_text(m: dict, what: str = "images") -> list[str]:
    correct = round(m["accuracy"] * m["n"])
    lines = [
        f"Accuracy: {percent(m['accuracy'])} ({correct:,} of {m['n']:,} {what} right), "
        f"macro-F1 {m['macro_f1']:.3f}"
    ]
    width = max(len(c) for c in m["per_class"])
    for name, c in m["per_class"].items():
        lines.append(
            f"  {name:<{width}}  precision {c['precision']:.3f}  recall {c['recall']:.3f}  "
            f"({c['support']} {what})"
        )
    lines.append("Confusion matrix (rows: true class, columns: predicted):")
    for name, row in zip(m["classes"], m["confusion_matrix"]):
        lines.append(f"  {name:<{width}}  " + "  ".join(f"{v:>5}" for v in row))
    return lines


def train_summary(manifest: dict, out: str | None = None) -> str:
    data, test = manifest["data"], manifest["metrics"]["test"]
    history = manifest["training"]["history"]
    classes = manifest["classes"]
    backbone = BACKBONES.get(manifest["encoder"]["name"], manifest["encoder"]["name"])
    n_total = data["n_train"] + data["n_validation"]
    lines = [
        f"Trained an {manifest['modality']} classifier for {len(classes)} classes "
        f"({', '.join(classes[:8])}{', ...' if len(classes) > 8 else ''}) on {n_total:,} images "
        f"({data['n_train']:,} to learn from, {data['n_validation']:,} to pick the best epoch).",
        f"Model: {backbone} + a linear classifier; best epoch {history['best_epoch']} of "
        f"{len(history['epochs'])} ({history['stopped']}).",
    ]
    if data["skipped"]:
        lines.append(f"Skipped {len(data['skipped'])} unusable files (all listed in manifest.json):")
        lines += [f"  {s['file']}: {s['reason']}" for s in data["skipped"][:5]]
    held = "held-out images" if not data.get("test_source") else f"images of {data['test_source']}"
    lines.append(f"Test on {test['n']:,} {held}, never seen in training:")
    lines += ["  " + line for line in metrics_text(test)]
    if out:
        seconds = manifest["training"].get("seconds")
        took = f" in {seconds:.0f} s" if seconds else ""
        lines.append(f"Model saved to {out}{took}. Try: deepstart predict {out} <image file>")
    return "\n".join(lines)
