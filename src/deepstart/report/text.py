"""Plain-language texts for people: what was trained, how good it is, where it is."""

from __future__ import annotations

from ..budget import budget_text
from ..modalities import REGISTRY
from ..settings import named


def percent(x: float) -> str:
    return f"{100 * x:.1f} %"


def metrics_text(m: dict, what: str = "images") -> list[str]:
    if "rmse" in m:
        return [f"RMSE {m['rmse']:.4g}, MAE {m['mae']:.4g}, R² {m['r2']:.3f} (on {m['n']:,} {what})"]
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


def diagnostics_text(diagnostics: list[dict], deep_kept: bool = True) -> list[str]:
    """The checks of the deep network's training (named so when another model was kept)."""
    found = [d for d in diagnostics if d["found"]]
    title = "Diagnostics" if deep_kept else "Diagnostics of the deep model's training"
    if not found:
        checked = ", ".join(d["check"] for d in diagnostics)
        return [f"{title}: no problems found (checked: {checked})."] if diagnostics else []
    lines = [f"{title}:"]
    for d in found:
        lines += [f"  ! {d['check'][0].upper()}{d['check'][1:]}: {d['message']}", f"    Fix: {d['fix']}"]
    return lines


def about_kept(manifest: dict) -> bool:
    """Whether the diagnostics are of the kept model: always, but in models saved before
    a kept classical model was checked itself (their checks are the network's)."""
    checks = {d["check"] for d in manifest.get("diagnostics", [])}
    return manifest.get("choice", "deep") != "classical" or "divergence" not in checks


def cluster_text(cluster: dict | None) -> list[str]:
    """Where a network trained on a Ray cluster was trained, in a line (none otherwise)."""
    if not cluster:
        return []
    where = "GPUs" if cluster.get("gpus") else "CPUs"
    if cluster.get("engine") == "ray-tune":  # tune --cluster: each trial trained on one worker
        return [
            f"Tuned on the Ray cluster {cluster['address']}: {cluster.get('trials')} trials, "
            f"{cluster['workers']} at a time on {where} (Ray Tune); each trial trained on one worker."
        ]
    again = cluster.get("restarts", 0)
    resumed = f"; resumed from a checkpoint {again} time{'s' * (again != 1)} after a worker failed"
    resumed = resumed if again else ""
    return [
        f"Trained on the Ray cluster {cluster['address']}: {cluster['workers']} workers on {where} "
        f"(DistributedDataParallel{resumed})."
    ]


def train_summary(manifest: dict, out: str | None = None) -> str:
    """What was trained and how, which model was kept, its test figures and where it is."""
    modality = REGISTRY[manifest["modality"]]
    lines = _trained_text(manifest, modality) + _training_text(manifest, modality)
    lines += diagnostics_text(manifest.get("diagnostics", []), about_kept(manifest))
    lines += leaderboard_text(manifest.get("leaderboard") or [], manifest.get("selection"))
    if manifest.get("choice", "deep") != "deep":
        kept = manifest["leaderboard"][0]["model"]
        best = chosen_by(manifest.get("selection"))[2]
        lines.append(f"The saved model is {kept}, {best}; the test figures below are its.")
    lines += _test_text(manifest, modality.noun)
    if out:
        seconds = manifest["training"].get("seconds")
        took = f" in {seconds:.0f} s" if seconds else ""
        lines.append(
            f"Model saved to {out}{took} (training curve: {out}/training_curve.png; "
            f"the whole story, for a browser: {out}/report.html)."
        )
        lines.append(f"Try: deepstart predict {out} {modality.predict_example}")
    return "\n".join(lines)


def _trained_text(manifest: dict, modality) -> list[str]:
    """What was trained on how many examples, the model and why, and its epochs."""
    data, model, kind = manifest["data"], manifest["model"], manifest["modality"]
    history, classes = manifest["training"]["history"], manifest["classes"]
    n_total, n_epochs = data["n_train"] + data["n_validation"], len(history["epochs"])
    what = (
        f"a regression model for '{(manifest.get('columns') or {}).get('target')}'"
        if manifest.get("task") == "regression"
        else f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} classifier for {len(classes)} classes "
        f"({', '.join(classes[:8])}{', ...' if len(classes) > 8 else ''})"
    )
    chooses = " and model" if manifest.get("leaderboard") and not manifest.get("selection") else ""
    return [
        f"Trained {what} on {n_total:,} {modality.noun} "
        f"({data['n_train']:,} to learn from, {data['n_validation']:,} to pick the best epoch{chooses}).",
        f"Model: {modality.model_name(model['name'])}, because {model['reason']}.",
        f"Training: best epoch {history['best_epoch']} of {n_epochs} ({history['stopped']})."
        if history["best_epoch"]
        else f"Training: {n_epochs} epoch{'s' * (n_epochs != 1)}; none beat the starting weights (the "
        "pretrained network with a classifier on its features), which were kept.",
    ]


def _training_text(manifest: dict, modality) -> list[str]:
    """Where it trained (a Ray cluster), a refit on all the data, the examples skipped."""
    data, noun = manifest["data"], modality.noun
    lines = cluster_text(manifest["training"].get("cluster")) + budget_text(
        manifest["training"].get("budget")
    )
    if manifest["training"].get("refit"):
        refit = manifest["training"]["refit"]
        lines.append(
            f"Then trained again on all {refit['examples']:,} {noun} (learning and validation together), "
            f"for those {refit['epochs']} epochs; the test figures below are of that network."
        )
    if data["skipped"]:
        what = modality.skipped_noun
        lines.append(f"Skipped {len(data['skipped'])} unusable {what} (all listed in manifest.json):")
        lines += [f"  {s['file']}: {s['reason']}" for s in data["skipped"][:5]]
    return lines


def _test_text(manifest: dict, noun: str) -> list[str]:
    """The groups compared, then the test figures and on what they were measured."""
    data, test = manifest["data"], manifest["metrics"]["test"]
    held = f"held-out {noun}" if not data.get("test_source") else f"{noun} of {data['test_source']}"
    unseen = (
        "never seen in training"
        if not data.get("test_overlap")
        else (
            f"of which {data['test_overlap']} were also in the training data, so these figures "
            "flatter the model"
        )
    )
    lines = groups_text(data.get("groups"))
    lines.append(f"Test on {test['n']:,} {held}, {unseen}:")
    lines += [
        "  " + line
        for line in metrics_text(test, noun)
        + group_text(test.get("groups"), noun)
        + balance_text(test.get("balance"), noun)
    ]
    return lines


def chosen_by(selection: dict | None) -> tuple[str, str, str]:
    """How the models were scored: (the scores' name, how they were compared, why the
    kept one was kept)."""
    if not selection:
        return "validation", "trained on the same split", "the best on validation"
    how = (
        f"scored by {selection['folds']}-fold cross-validation over the {selection['rows']:,} training "
        "and validation rows"
    )
    return "cross-validated", how, "the best by cross-validation"


def leaderboard_text(rows: list[dict], selection: dict | None = None) -> list[str]:
    """The models trained on the same split, best first, and which was kept and why."""
    if not rows:
        return []
    regression = "validation_rmse" in rows[0]
    width = max(len(r["model"]) for r in rows)
    measure = "RMSE, lower is better" if regression else "accuracy"
    scored, how, best = chosen_by(selection)
    lines = [f"Models {how} ({measure}; {best} is kept):"]
    for r in rows:
        mark = "->" if r["chosen"] else "  "
        if regression:
            scores = f"{scored} {r['validation_rmse']:>9.4g}  test {r['test_rmse']:>9.4g}"
        else:
            scores = f"{scored} {percent(r['validation_accuracy']):>7}  test {percent(r['test_accuracy']):>7}"
        lines.append(f"  {mark} {r['model']:<{width}}  {scores}  ({r['seconds']:.0f} s)")
    tied = 0 if regression else sum(r["validation_accuracy"] == rows[0]["validation_accuracy"] for r in rows)
    if tied > 1:
        lines.append(
            f"  The top {tied} tie on {scored} accuracy; the lowest {scored} log loss (surer when right, "
            "less sure when wrong) decided."
        )
    deep = next(r for r in rows if r["name"] == "deep")
    classical = next((r for r in rows if r["name"] not in ("deep", "ensemble", "blend")), None)  # the best
    if classical:
        lines.append(f"  {_verdict(deep, classical, regression, scored)}; kept: {rows[0]['model']}.")
    if selection and rows[0]["name"] not in ("deep", "ensemble"):
        lines.append(
            "  The deep model adds nothing here: the kept model does not use it (on tables this small, "
            "trees and linear models often do as well)."
        )
    return lines


def _verdict(deep: dict, classical: dict, regression: bool, scored: str) -> str:
    on = "on validation" if scored == "validation" else "by cross-validation"
    if regression:
        a, b = deep["validation_rmse"], classical["validation_rmse"]
        gap = 100 * (b - a) / max(b, 1e-12)  # % lower error of the deep model
        if abs(gap) < 0.5:
            return f"The deep model and the best classical one tie {on}"
        if gap > 0:
            return f"The deep model's error is {gap:.0f} % lower than the best classical one's {on}"
        lower = 100 * (a - b) / a
        return f"The best classical model's error is {lower:.0f} % lower than the deep one's {on}"
    gap = 100 * (deep["validation_accuracy"] - classical["validation_accuracy"])
    if abs(gap) < 0.05:
        return f"The deep model and the best classical one tie {on}"
    if gap > 0:
        return f"The deep model beats the best classical one by {gap:.1f} points {on}"
    return f"The best classical model beats the deep one by {-gap:.1f} points {on}"


def forecast_metrics_text(m: dict) -> list[str]:
    relative = m.get("mae_relative_to_seasonal_naive")
    versus = f", {relative:.2f}x seasonal naive's error" if relative is not None else ""
    return [
        f"MASE {m['mase']:.3f}, sMAPE {m['smape']:.2f} %, MAE {m['mae']:.4g}{versus} "
        f"({m['n']:,} forecast values)"
    ]


def validation_steps(data: dict, encoder: dict) -> int:
    """Steps of each series in the validation window (as long as the test window's before
    validation windows could be longer)."""
    return data.get("validation_origins", encoder["test_origins"]) * encoder["horizon"]


def forecast_summary(manifest: dict, out: str | None = None) -> str:
    """What a forecaster is, how it was chosen, and how well it forecasts the test window."""
    data, encoder, history = manifest["data"], manifest["encoder"], manifest["training"]["history"]
    series = f"{data['n_series']} series" if data["n_series"] > 1 else "one series"
    window = encoder["test_origins"] * encoder["horizon"]
    each = " of each series" if data["n_series"] > 1 else ""
    lines = [
        f"Trained a forecaster of '{manifest['columns']['target']}', {encoder['horizon']} steps ahead, on "
        f"{series} ({data['n_steps']:,} steps). The last {window} steps{each} test it, the "
        f"{validation_steps(data, encoder)} before them validate, the rest trains.",
        f"Deep model: a network over windows, because {manifest['model']['reason']}.",
        f"Training: best epoch {history['best_epoch']} of {len(history['epochs'])} ({history['stopped']}).",
        *budget_text(manifest["training"].get("budget")),
    ]
    deep_kept = manifest.get("choice") in ("deep", "ensemble")
    lines += diagnostics_text(manifest.get("diagnostics", []), deep_kept)
    rows = manifest.get("leaderboard") or []
    if rows:
        width = max(len(r["model"]) for r in rows)
        lines.append(
            "Models forecasting the same windows from the same origins, up to 20 in each (MASE, lower is "
            "better; below 1: smaller errors than seasonal naive makes one step ahead on the training data):"
        )
        for r in rows:
            mark = "->" if r["chosen"] else "  "
            lines.append(
                f"  {mark} {r['model']:<{width}}  validation {r['validation_mase']:.3f}  "
                f"test {r['test_mase']:.3f}"
            )
        if rows[0]["name"] == "naive":
            lines.append(
                "  No model beat the naive forecast (the last value) on validation by more than the noise in "
                "its errors, so it is kept: the series gives little to learn beyond its latest value."
            )
        else:
            lines.append(f"  Kept: {rows[0]['model']}, the best on validation.")
    lines.append(f"Test on the last {window} steps{each}, never seen in training:")
    lines += ["  " + line for line in forecast_metrics_text(manifest["metrics"]["test"])]
    if out:
        seconds = manifest["training"].get("seconds", 0)
        lines.append(
            f"Model saved to {out} in {seconds:.0f} s (the whole story, for a browser: {out}/report.html)."
        )
        lines.append(f"Try: deepstart predict {out} <table of recent history>")
    return "\n".join(lines)


def balance_text(balance: dict | None, noun: str) -> list[str]:
    """Each group's test score trained without --balance, then with it."""
    if not balance:
        return []
    lines = [f"Balanced by '{balance['column']}' (each group counted equally in training):"]
    for when in ("before", "after"):
        lines += [f"  {when}: " + group_text(balance[when], noun)[-1].strip()]
    return lines


def group_text(groups: dict | None, noun: str = "rows") -> list[str]:
    """Metrics per group of examples (rows, images, texts), and whether one is served much worse."""
    if not groups:
        return []
    lines = [f"By '{groups['column']}':"]
    for value, m in groups["by_group"].items():
        score = f"RMSE {m['rmse']:.4g}" if "rmse" in m else f"accuracy {percent(m['accuracy'])}"
        lines.append(f"  {value:<20} {score}  ({m['n']:,} {noun})")
    lines.append(f"  {'! ' if groups['flag'] else ''}{groups['message']}")
    return lines


def groups_text(groups: dict | None) -> list[str]:
    """What a split did with groups of examples (speakers): the test groups unseen in
    training, or the groups found on both sides and what the test score then means."""
    if not groups or "n_shared" not in groups:
        return []
    word, shared = groups["by"], groups["shared"]
    if shared:
        more = groups["n_shared"] > len(shared[:3])
        names = ", ".join(shared[:3]) + (", …" if more else "")
        fix = (
            f"test on data of other {word}s"
            if groups["split"] or groups.get("separate_test")
            else f"use {named('group_split', word)} to test on unseen {word}s"
        )
        return [
            f"The same {word}s ({names}) are in the training and the test data: the test score is for "
            f"{word}s the model was trained on; {fix}."
        ]
    if not groups["split"]:
        return []
    names = ", ".join(groups["test"][:3]) + (", …" if groups["n_test"] > 3 else "")
    return [
        f"Split by {word} ({groups['from']}): the test score is for {groups['n_test']} {word}"
        f"{'s' * (groups['n_test'] != 1)} ({names}) not in the training data, which had "
        f"{groups['n_train']} other {word}s."
    ]
