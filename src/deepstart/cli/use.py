"""Using a trained model: `evaluate` (on labelled data), `predict` (labels and
probabilities, or numbers) and `info` (what the model is)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import click

from ..errors import ConfigError, DeepstartError
from ..files import is_regular_or_absent, write_atomic
from ..log import printable, redacted
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
    from ..report.text import forecast_metrics_text, group_text, metrics_text

    predictor = load_model(model)
    if predictor.task == "forecasting":
        metrics = predictor.evaluate(data)
        lines = forecast_metrics_text(metrics)
    else:
        metrics = predictor.evaluate(data, target=target, images=images, text=text, group=group)
        lines = metrics_text(metrics, predictor.modality.noun) + group_text(
            metrics.get("groups"), predictor.modality.noun
        )
    (click.echo if as_json else show)(json.dumps(metrics) if as_json else "\n".join(lines))


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
def predict(model, inputs, out, text, as_json, cluster, workers):
    """Predict the class (or number) of each input: image files or folders of them; for a
    text model, texts or tables of texts; for a table model, tables of rows."""
    from ..loading import load_model

    if cluster is not None or workers is not None:
        _predict_on_cluster(load_model, model, inputs, out, text, as_json, cluster, workers)
        return
    if out is not None and (not is_regular_or_absent(out) or not out.absolute().parent.is_dir()):
        raise ConfigError(f"--out {out} must be a new or plain file name in an existing folder.")
    predictor = load_model(model)
    if any("://" in v for v in inputs):  # storage's URIs are read on a cluster only
        from ..cluster.remote import without_cluster

        without_cluster(inputs, predictor.modality)
    records = predictor.predict_records(inputs, text=text)
    if out is not None:
        try:
            _write_csv(out, records, predictor.classes_)
        except OSError as e:
            raise ConfigError(f"--out {out} cannot be written ({e.strerror}); give another path.") from None
    if as_json:
        click.echo(json.dumps(records))
    elif predictor.task == "forecasting":
        for r in records:
            click.echo("\t".join(printable(v, lines=False) for k, v in r.items() if k != "step"))
    else:  # one line per input: names and labels from data cannot break a line or drive the terminal
        for r in records:
            name = printable(r["input"], lines=False)
            if "error" in r:
                click.echo(f"{name}\t(skipped: {printable(r['error'], lines=False)})")
            elif "prediction" in r:
                click.echo(f"{name}\t{r['prediction']:.6g}")
            else:
                probs = ", ".join(f"{printable(c, False)} {p:.3f}" for c, p in r["probabilities"].items())
                click.echo(f"{name}\t{printable(r['label'], lines=False)}\t({probs})")
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
    from ..report.text import forecast_summary, train_summary

    manifest, tensors = artifact.load(model)
    load_model(
        model, manifest, tensors
    )  # checked as a whole: the network's sizes against its weights, and the rest
    if as_json:
        click.echo(json.dumps(manifest, indent=2))
        return
    forecasting = manifest.get("task") == "forecasting"
    summary = forecast_summary if forecasting else train_summary
    show(artifact.restore(model, lambda: summary(manifest)))
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


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A text cell that a spreadsheet would run as a formula gets a leading ' (OWASP's
    advice against CSV injection); numbers and other texts are written as they are."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


class _SafeWriter:
    """csv.writer whose text cells are spreadsheet_safe."""

    def __init__(self, buffer):
        self.writer = csv.writer(buffer)

    def writerow(self, row) -> None:
        self.writer.writerow([spreadsheet_safe(v) for v in row])

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


def _write_csv(path: Path, records: list[dict], classes: list[str]) -> None:
    buffer = io.StringIO()
    writer = _SafeWriter(buffer)
    if records and "forecast" in records[0]:  # a forecaster: one row per series and step
        keys = list(records[0])
        writer.writerow(keys)
        writer.writerows([r[k] for k in keys] for r in records)
    elif not classes:  # regression: one predicted number per row
        writer.writerow(["input", "prediction", "error"])
        for r in records:
            writer.writerow([r["input"], r.get("prediction", ""), r.get("error", "")])
    else:
        writer.writerow(["input", "label", *[f"p_{c}" for c in classes], "error"])
    for r in records if classes and not (records and "forecast" in records[0]) else []:
        probs = (
            [f"{r['probabilities'][c]:.6f}" for c in classes] if "probabilities" in r else [""] * len(classes)
        )
        writer.writerow([r["input"], r.get("label", ""), *probs, r.get("error", "")])
    write_atomic(path, buffer.getvalue())
