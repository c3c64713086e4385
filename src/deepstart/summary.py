"""Plain-language texts for people: what was trained, how good it is, where it is."""

from __future__ import annotations


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


MODEL_NAMES = {
    ("image", "transfer"): "EfficientNet-Lite0 pretrained on ImageNet (frozen) + a linear classifier",
    ("image", "fine-tune"): "EfficientNet-Lite0 pretrained on ImageNet, fine-tuned",
    ("image", "cnn"): "a compact CNN trained from scratch",
    ("text", "transfer"): "all-MiniLM-L6-v2 sentence embeddings (frozen) + a linear classifier",
    ("text", "fine-tune"): "all-MiniLM-L6-v2, fine-tuned, + a linear classifier",
}
MODEL_TITLES = {"transfer": "sentence embeddings + classifier", "fine-tune": "fine-tuned MiniLM"}
NOUNS = {"image": "images", "text": "texts"}


def diagnostics_text(diagnostics: list[dict]) -> list[str]:
    found = [d for d in diagnostics if d["found"]]
    if not found:
        checked = ", ".join(d["check"] for d in diagnostics)
        return [f"Diagnostics: no problems found (checked: {checked})."] if diagnostics else []
    lines = ["Diagnostics:"]
    for d in found:
        lines += [f"  ! {d['check'][0].upper()}{d['check'][1:]}: {d['message']}", f"    Fix: {d['fix']}"]
    return lines


def train_summary(manifest: dict, out: str | None = None) -> str:
    data, test, model = manifest["data"], manifest["metrics"]["test"], manifest["model"]
    history = manifest["training"]["history"]
    classes, n_epochs = manifest["classes"], len(history["epochs"])
    n_total = data["n_train"] + data["n_validation"]
    kind = manifest["modality"]
    noun = NOUNS.get(kind, "examples")
    lines = [
        f"Trained {'an' if kind[0] in 'aeiou' else 'a'} {kind} classifier for {len(classes)} classes "
        f"({', '.join(classes[:8])}{', ...' if len(classes) > 8 else ''}) on {n_total:,} {noun} "
        f"({data['n_train']:,} to learn from, {data['n_validation']:,} to pick the best epoch).",
        f"Model: {MODEL_NAMES.get((kind, model['name']), model['name'])}, because {model['reason']}.",
        f"Training: best epoch {history['best_epoch']} of {n_epochs} ({history['stopped']})."
        if history["best_epoch"]
        else f"Training: {n_epochs} epoch{'s' * (n_epochs != 1)}; none beat the starting weights (the "
        "pretrained network with a classifier on its features), which were kept.",
    ]
    if data["skipped"]:
        what = "files" if kind == "image" else "rows"
        lines.append(f"Skipped {len(data['skipped'])} unusable {what} (all listed in manifest.json):")
        lines += [f"  {s['file']}: {s['reason']}" for s in data["skipped"][:5]]
    lines += diagnostics_text(manifest.get("diagnostics", []))
    lines += leaderboard_text(manifest.get("leaderboard") or [])
    if manifest.get("choice", "deep") != "deep":
        kept = manifest["leaderboard"][0]["model"]
        lines.append(f"The saved model is {kept}, the best on validation; the test figures below are its.")
    held = f"held-out {noun}" if not data.get("test_source") else f"{noun} of {data['test_source']}"
    unseen = (
        "never seen in training"
        if not data.get("test_overlap")
        else (
            f"of which {data['test_overlap']} were also in the training data, so these figures "
            "flatter the model"
        )
    )
    lines.append(f"Test on {test['n']:,} {held}, {unseen}:")
    lines += ["  " + line for line in metrics_text(test, noun)]
    if out:
        seconds = manifest["training"].get("seconds")
        took = f" in {seconds:.0f} s" if seconds else ""
        lines.append(f"Model saved to {out}{took} (training curve: {out}/training_curve.png).")
        example = "<image file>" if kind == "image" else '"a text to classify"'
        lines.append(f"Try: deepstart predict {out} {example}")
    return "\n".join(lines)


def leaderboard_text(rows: list[dict]) -> list[str]:
    """The models trained on the same split, best first, and which was kept and why."""
    if not rows:
        return []
    width = max(len(r["model"]) for r in rows)
    lines = ["Models trained on the same split (accuracy; the best on validation is kept):"]
    for r in rows:
        mark = "->" if r["chosen"] else "  "
        lines.append(
            f"  {mark} {r['model']:<{width}}  validation {percent(r['validation_accuracy']):>7}  "
            f"test {percent(r['test_accuracy']):>7}  ({r['seconds']:.0f} s)"
        )
    deep = next(r for r in rows if r["name"] == "deep")
    classical = next((r for r in rows if r["name"] == "classical"), None)
    if classical:
        gap = 100 * (deep["validation_accuracy"] - classical["validation_accuracy"])
        if abs(gap) < 0.05:
            verdict = "The deep model and the classical one tie on validation"
        elif gap > 0:
            verdict = f"The deep model beats the classical one by {gap:.1f} points on validation"
        else:
            verdict = f"The classical model beats the deep one by {-gap:.1f} points on validation"
        lines.append(f"  {verdict}; kept: {rows[0]['model']}.")
    return lines
