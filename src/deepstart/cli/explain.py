"""The `explain` and `compare` commands: why a model predicts what it does, and whether
deep learning is worth it on the data."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import ConfigError, DeepstartError
from ..files import write_atomic
from ..settings import MODELS
from .options import show

NO_EXPLAINER = "deepstart explain works on image, text and table models so far."  # its modality has none
# explain's options that apply to some models only: what to say when one does not
ONLY_FOR = {
    "class": "--class is for image models and sound models (their heatmaps); leave it out.",
    "global": "--global is for table models; explain images or texts one by one.",
}


@click.command()
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
    "--class",
    "class_name",
    default=None,
    help="Images, sounds: the class to explain (default: the predicted one).",
)
def explain(model, inputs, out, overall, data, target, class_name):
    """Why MODEL predicts what it does. Images: where the network looked (LayerCAM
    heatmaps, written to --out, default why/). Sounds: which moments and frequencies
    decided (each patch of the spectrogram removed from the sound in turn). Texts: which
    words each prediction rests on. Tables: for the rows of INPUTS, how much each column
    moved each prediction; with --global --data rows.csv, how much each column matters
    overall and a few if/then rules that mimic the model."""
    from ..loading import load_model

    predictor = load_model(model)
    options = {"class": class_name, "global": overall, "data": data, "target": target}
    explainer = predictor.modality.explainer
    for option, message in ONLY_FOR.items():
        if options[option] and (explainer is None or option not in explainer.options):
            raise ConfigError(message)
    if explainer is None:
        raise DeepstartError(NO_EXPLAINER)
    for line in explainer.explain(predictor, list(inputs), out, options):
        show(line)


@click.command()
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
    type=click.Choice(MODELS),
    default="auto",
    show_default=True,
    help="Images: the deep model (auto: small images a CNN, photos transfer learning).",
)
@click.option("--out", type=click.Path(path_type=Path), default=Path("compare"), show_default=True)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Random seed of the split and the shares."
)
@click.option(
    "--time-limit",
    default=None,
    metavar="DURATION",
    help="The whole comparison's time: 90s, 10m, 2h (a bare number is seconds); the shares "
    "that do not fit are left out, and said.",
)
def compare(data, target, task, model, out, seed, time_limit):
    """Is deep learning worth it on DATA (a folder of class subfolders of images, or a
    table of rows or texts)? Trains the deep and the classical models on 2, 5, 10, 25,
    50 and 100 % of the training examples, scores them on the same test examples, and
    writes learning_curve.png and compare.json to --out."""
    from ..budget import duration, limited
    from ..compare import curve_png, learning_curves

    with limited(None if time_limit is None else duration(time_limit)):
        result = learning_curves(data, target, task, seed, model=model)
    _write_json(out, "compare.json", result)
    (out / "learning_curve.png").write_bytes(curve_png(result))
    show(result["recommendation"])
    show(f"Learning curves: {out / 'learning_curve.png'}; numbers: {out / 'compare.json'}")


def _write_json(folder: Path, name: str, data: dict) -> None:
    """data as JSON in folder/name, written whole or not at all."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"--out {folder} cannot be created ({e.strerror}); give another folder.") from None
    write_atomic(folder / name, json.dumps(data, indent=2) + "\n")
