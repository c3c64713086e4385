"""The `explain` and `compare` commands: why a model predicts what it does, and whether
deep learning is worth it on the data. Part of the `deepstart` command (cli.py)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .cli import cli
from .errors import ConfigError, DeepstartError


@cli.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("inputs", nargs=-1)
@click.option(
    "--out", type=click.Path(path_type=Path), default=None, help="Folder to write the explanations to."
)
@click.option(
    "--global", "overall", is_flag=True, help="Which columns matter overall, and rules (needs --data)."
)
@click.option("--data", type=click.Path(path_type=Path), default=None, help="Labelled rows for --global.")
@click.option(
    "--target", metavar="COLUMN", default=None, help="The target column of --data (the model's by default)."
)
@click.option(
    "--class", "class_name", default=None, help="Images: the class to explain (default: the predicted one)."
)
def explain(model, inputs, out, overall, data, target, class_name):
    """Why MODEL predicts what it does. Images: where the network looked (Grad-CAM
    heatmaps, written to --out, default why/). Texts: which words each prediction rests
    on. Tables: for the rows of INPUTS, how much each column moved each prediction; with
    --global --data rows.csv, how much each column matters overall and a few if/then
    rules that mimic the model."""
    from .api import load_model
    from .data.sources import read_unlabeled
    from .explain import explain_table, row_attributions

    predictor = load_model(model)
    kind = getattr(getattr(predictor, "encoder_", None), "kind", None)
    if class_name is not None and kind != "image":
        raise ConfigError("--class is for image models (their heatmaps); leave it out.")
    if overall and kind != "table":
        raise ConfigError("--global is for table models; explain images or texts one by one.")
    if kind == "image":
        _explain_images(predictor, inputs, out or Path("why"), class_name)
        return
    if kind == "text":
        _explain_texts(predictor, inputs, out)
        return
    if kind != "table":
        raise DeepstartError("deepstart explain works on image, text and table models so far.")
    if not inputs and not overall:
        raise ConfigError("Give tables of rows to explain, or --global --data with labelled rows.")
    if overall and data is None:
        raise ConfigError("--global needs --data: labelled rows to measure the columns against.")
    found = {}
    if inputs:
        rows = read_unlabeled(list(inputs), "table").items
        found["rows"] = row_attributions(
            predictor, rows.drop(columns=[predictor.columns_["target"]], errors="ignore")
        )
        regression = predictor.task_ == "regression"
        click.echo(
            "How much hiding each column's value lowers the prediction"
            + (":" if regression else "'s probability (+0.20: by 20 points):")
        )
        for r in found["rows"][:20]:
            effects = list(r["contributions"].items())[:3]
            top = ", ".join(f"{c} {v:+.3g}" for c, v in effects)
            if not effects or abs(effects[0][1]) < 0.005:
                top = "no single value moves it: the model is sure"
            said = r["label"] if "label" in r else f"{r['prediction']:.4g}"
            click.echo(f"row {r['row']}\t{said}\t(moved most by: {top})")
        if len(found["rows"]) > 20:
            click.echo(f"... {len(found['rows']) - 20} more rows" + (f" in {out}" if out else "; use --out"))
    if overall:
        table = read_unlabeled([data], "table").items
        found["global"] = explain_table(predictor, table, target)
        click.echo("Columns by importance (drop in the score when a column's values are shuffled):")
        for r in found["global"]["importance"]:
            click.echo(f"  {r['column']:<24} {r['importance']:+.4f}  (± {r['spread']:.4f})")
        surrogate = found["global"]["surrogate"]
        fidelity = ", ".join(f"{k} {v:.1%}" for k, v in surrogate["fidelity"].items())
        checked = surrogate["n_checked"]
        click.echo(f"Rules that mimic the model ({fidelity} on {checked} rows they were not fitted on):")
        for rule in surrogate["rules"]:
            click.echo(f"  {rule}")
    if out is not None:
        _write_json(out, "explanations.json", found)


@cli.command()
@click.argument("data", type=click.Path(path_type=Path))
@click.option(
    "--target", metavar="COLUMN", default=None, help="The column to predict (detected if not given)."
)
@click.option(
    "--task",
    type=click.Choice(["auto", "image", "text", "tabular", "regression", "classification"]),
    default="auto",
    show_default=True,
    help="What the data is; auto detects it.",
)
@click.option(
    "--model",
    type=click.Choice(["auto", "transfer", "cnn", "fine-tune"]),
    default="auto",
    show_default=True,
    help="Images: the deep model (auto: small images a CNN, photos transfer learning).",
)
@click.option("--out", type=click.Path(path_type=Path), default=Path("compare"), show_default=True)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Random seed of the split and the shares."
)
def compare(data, target, task, model, out, seed):
    """Is deep learning worth it on DATA (a folder of class subfolders of images, or a
    table of rows or texts)? Trains the deep and the classical models on 2, 5, 10, 25,
    50 and 100 % of the training examples, scores them on the same test examples, and
    writes learning_curve.png and compare.json to --out."""
    from .compare import curve_png, learning_curves

    result = learning_curves(data, target, task, seed, model=model)
    _write_json(out, "compare.json", result)
    (out / "learning_curve.png").write_bytes(curve_png(result))
    click.echo(result["recommendation"])
    click.echo(f"Learning curves: {out / 'learning_curve.png'}; numbers: {out / 'compare.json'}")


def _explain_images(predictor, inputs, out: Path, class_name: str | None) -> None:
    """Grad-CAM heatmaps: <name>.heatmap.png (over the image) and <name>.heatmap.npy."""
    import numpy as np

    from .data.sources import read_unlabeled
    from .explain.images import grad_cam, overlay_png

    if not inputs:
        raise ConfigError("Give image files (or folders of them) to explain.")
    if class_name is not None and class_name not in predictor.classes_:
        raise ConfigError(
            f"--class {class_name} is not a class of this model ({', '.join(predictor.classes_)})."
        )
    files = read_unlabeled(list(inputs), "image").items
    index = None if class_name is None else predictor.classes_.index(class_name)
    found = grad_cam(predictor, files, index)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"--out {out} cannot be created ({e.strerror}); give another folder.") from None
    names = _unique_names(files)
    for path, (heat, k), name in zip(files, found, names):
        tmp = out / f".{name}.heatmap.npy.tmp"
        with open(tmp, "wb") as f:
            np.save(f, heat, allow_pickle=False)
        tmp.replace(out / f"{name}.heatmap.npy")
        overlay_png(Path(path), heat).save(out / f"{name}.heatmap.png")
        said = predictor.classes_[k] if class_name is None else f"explained {class_name}"
        click.echo(f"{path}\t{said}\t{out / f'{name}.heatmap.png'}")


def _unique_names(files) -> list[str]:
    """Each file's name for its heatmap: its stem, with its folder's name where two share one."""
    stems = [Path(f).stem for f in files]
    names = [f"{Path(f).parent.name}-{s}" if stems.count(s) > 1 else s for f, s in zip(files, stems)]
    return [f"{n}-{i + 1}" if names.count(n) > 1 else n for i, n in enumerate(names)]


def _explain_texts(predictor, inputs, out: Path | None) -> None:
    """Word effects by occlusion: printed, and as explanations.json and .html in --out."""
    from .data.sources import read_unlabeled
    from .explain.texts import attributions_html, word_attributions

    if not inputs:
        raise ConfigError("Give texts (or tables of texts) to explain.")
    texts = [t for t in read_unlabeled(list(inputs), "text", (predictor.columns_ or {}).get("text")).items]
    if not any(t.strip() for t in texts):
        raise ConfigError("The texts to explain are empty; give some words.")
    records = word_attributions(predictor, [t for t in texts if t.strip()], max_words=MAX_WORDS)
    for r in records:
        top = sorted(r["words"], key=lambda w: -w["effect"])[:3]
        said = ", ".join(f"{w['word']} {w['effect']:+.2f}" for w in top)
        click.echo(f"{r['text'][:60]}\t{r['label']}\t(rests most on: {said})")
    if out is not None:
        _write_json(out, "explanations.json", {"texts": records})
        (out / "explanations.html").write_text(attributions_html(records), encoding="utf-8")


MAX_WORDS = 200  # each word is one more prediction: longer texts are explained for their start


def _write_json(folder: Path, name: str, data: dict) -> None:
    """data as JSON in folder/name, written whole or not at all."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"--out {folder} cannot be created ({e.strerror}); give another folder.") from None
    tmp = folder / f".{name}.tmp"
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(folder / name)
