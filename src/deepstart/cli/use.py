"""Using a trained model: `evaluate` (on labelled data), `predict` (labels and
probabilities, or numbers) and `info` (what the model is)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import ConfigError, DeepstartError
from ..files import is_regular_or_absent
from ..log import redacted
from . import records as written
from .options import csv_options, show


@click.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("data", type=click.Path(path_type=Path))
@csv_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (accuracy, macro_f1, n, ...).")
@click.option(
    "--group",
    metavar="COLUMN",
    default=None,
    help="Score each group (a column of the table, e.g. gender or region), with the gap between them.",
)
def evaluate(model, data, target, text, images, as_json, group):
    """Measure MODEL on labelled DATA (a class-folder tree or a table)."""
    from ..loading import load_model

    loaded = load_model(model)
    metrics = loaded.evaluate(data, target=target, images=images, text=text, group=group)
    (click.echo if as_json else show)(
        json.dumps(metrics) if as_json else "\n".join(loaded.metrics_lines(metrics))
    )


@click.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write the predictions to this CSV file.",
)
@click.option(
    "--text", metavar="COLUMN", default=None, help="Column of the texts, for tables (detected if not given)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the predictions as one JSON list.")
@click.option(
    "--draw",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write each input with what was found drawn on it, as PNG files in this folder (detectors: "
    "photos with their boxes).",
)
@click.option(
    "--cluster",
    metavar="ADDRESS",
    default=None,
    help="Predict on a Ray cluster (auto, ray://HOST:PORT, HOST:PORT or local:N) into one Parquet file, "
    "--out preds.parquet; the model and the inputs must be where every node sees them (images and "
    "sounds may be storage URIs: s3://bucket/images/, gs://, hdfs://, abfs://, file://).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="With --cluster: Ray workers (default: all CPUs).",
)
def predict(model, inputs, out, text, as_json, draw, cluster, workers):
    """Predict the class (or number) of each input: image files or folders of them; for a
    text model, texts or tables of texts; for a table model, tables of rows."""
    from ..loading import load_model

    if cluster is not None or workers is not None:
        if draw is not None:
            raise ConfigError("--draw is not used with --cluster; drop one of them.")
        _predict_on_cluster(load_model, model, inputs, out, text, as_json, cluster, workers)
        return
    if out is not None and (not is_regular_or_absent(out) or not out.absolute().parent.is_dir()):
        raise ConfigError(f"--out {out} must be a new or plain file name in an existing folder.")
    predictor = load_model(model)
    if any("://" in v for v in inputs):  # storage's URIs are read on a cluster only
        from ..cluster.remote import without_cluster

        without_cluster(inputs, predictor.modality)
    if draw is not None and not callable(getattr(predictor, "draw", None)):
        raise ConfigError(
            f"--draw is for models that find things in photos; this one reads {predictor.modality.noun}."
        )
    if draw is not None and (draw.exists() and not draw.is_dir()):
        raise ConfigError(f"--draw {draw} is a file; give a folder for the drawn photos.")
    records = predictor.predict_records(inputs, text=text)
    if out is not None:
        try:
            written.write(out, records, predictor.classes_)
        except OSError as e:
            raise ConfigError(f"--out {out} cannot be written ({e.strerror}); give another path.") from None
    for line in [json.dumps(records)] if as_json else written.lines(records):
        click.echo(line)
    if draw is not None:
        drawn = predictor.draw(inputs, draw, records)
        show(f"Drew {len(drawn)} input{'s' * (len(drawn) != 1)} with what was found, in {draw}.", err=True)
    if all("error" in r for r in records):
        raise DeepstartError(predictor.modality.none_read)


def _predict_on_cluster(load_model, model, inputs, out, text, as_json, cluster, workers) -> None:
    """predict --cluster: every input through the model on the cluster, into one Parquet file."""
    from ..settings import is_cluster_address

    if cluster is None:
        raise ConfigError(
            "--workers is for --cluster; add --cluster (e.g. --cluster local:2) or drop --workers."
        )
    if not is_cluster_address(cluster):
        raise ConfigError(
            "Invalid value for --cluster. Expected auto, ray://HOST:PORT, HOST:PORT or local:N. "
            f"Received: {redacted(cluster)!r}"
        )
    if as_json or out is None or out.suffix != ".parquet":
        raise ConfigError(
            "predict --cluster writes one Parquet file: give --out preds.parquet (and no --json)."
        )
    if not is_regular_or_absent(out) or not out.absolute().parent.is_dir():
        raise ConfigError(f"--out {out} must be a new or plain file name in an existing folder.")
    from ..cluster.predict import predict_to_parquet

    predict_to_parquet(load_model, model, inputs, out, cluster, workers or 1_000_000, text)


@click.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the whole manifest as JSON.")
def info(model, as_json):
    """Describe MODEL: what it is, its classes, its test metrics, its data."""
    from .. import artifact
    from ..loading import load_model

    manifest, tensors = artifact.load(model)
    loaded = load_model(model, manifest, tensors)  # checked as a whole: sizes against weights, and the rest
    if as_json:
        click.echo(json.dumps(manifest, indent=2))
        return
    show(artifact.restore(model, lambda: loaded.summary(manifest)))
    if manifest.get("runtime") and manifest["runtime"].get("check"):  # an exported model
        runtime, check = manifest["runtime"], manifest["runtime"]["check"]
        precision = f"int8 ({runtime['quantization']})" if runtime["int8"] else "fp32"
        show(
            f"Exported from {runtime['exported_from']} for ONNX Runtime, {precision}; checked on "
            f"{check['data']}: largest difference from PyTorch "
            f"{check.get('int8', check)['max_abs_difference']:.2e}."
        )
        key = check["metric"]
        score = check.get("int8", check)[f"{key}_exported"]
        show(f"  {key} there: PyTorch {check[f'{key}_pytorch']:.4g}, exported {score:.4g}.")
        for note in runtime.get("notes", []):
            show(f"  Note: {note}.")
    show(
        f"Data fingerprint: {manifest['data']['fingerprint'][:16]}  "
        f"deepstart {manifest['versions']['deepstart']}, format {manifest['format_version']}"
    )
    signed = artifact.signed_here(manifest)
    show(
        "Signed with this user's key: written by deepstart here, unchanged since."
        if signed
        else "Not signed with this user's key: made elsewhere or edited since (paths it names are not read)."
    )
