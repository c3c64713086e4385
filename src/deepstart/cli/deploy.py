"""The `export` and `serve` commands: a trained model as a portable ONNX folder, and as
a web service with a page to try it."""

from __future__ import annotations

from pathlib import Path

import click

from ..log import say
from ..serve.batcher import Limits
from .options import limit_option, show


@click.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["onnx"]), default=None, hidden=True)  # deprecated
@click.option("--int8", is_flag=True, help="Quantise to 8-bit integers: smaller and faster on a CPU.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Folder for the exported model.")
@click.option(
    "--data",
    type=click.Path(path_type=Path),
    default=None,
    help="Labelled data to check the export on (default: the model's validation split).",
)
@click.option("--target", metavar="COLUMN", default=None, help="--data: the column of labels.")
@click.option("--images", metavar="COLUMN", default=None, help="--data: the column of image files.")
@click.option("--text", metavar="COLUMN", default=None, help="--data: the column of texts.")
def export(model, fmt, int8, out, data, target, images, text):
    """Export MODEL for ONNX Runtime: one file with the whole network, from pixels, token
    ids or encoded rows to probabilities, in a model folder that `predict`, `evaluate`
    and `serve` use like any other, without PyTorch running. The export is checked on
    real labelled inputs: the largest difference from the PyTorch model's outputs, and
    with --int8 the change in accuracy."""
    from ..export import export_model

    if fmt:  # ONNX is the one format; the option stays so that scripts that name it still run
        say("--format is no longer needed (export always writes ONNX); drop it from the command.")
    runtime = export_model(model, out, int8, data, target=target, images=images, text=text)
    check = runtime["check"]
    key = check["metric"]
    say(f"Checked on {check['data']}:")
    show(f"  ONNX (fp32): largest difference from PyTorch {check['max_abs_difference']:.2e}")
    rows = [("PyTorch", check[f"{key}_pytorch"]), ("ONNX fp32", check[f"{key}_exported"])]
    if int8:
        small = check["int8"]
        show(f"  ONNX (int8): largest difference from PyTorch {small['max_abs_difference']:.2e}")
        rows.append(("ONNX int8", small[f"{key}_exported"]))
    for name, value in rows:
        show(f"  {key} {name}: " + (f"{100 * value:.2f} %" if key == "accuracy" else f"{value:.4g}"))
    if int8 and key == "accuracy":
        change = 100 * (check["int8"]["accuracy_exported"] - check["accuracy_pytorch"])
        show(f"  int8 changed the accuracy by {change:+.2f} points ({runtime['quantization']}).")
    for note in runtime["notes"]:
        show(f"  Note: {note}.")
    show(f"Exported model: {out}")


@click.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (the default: this machine only).",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--token",
    envvar="DEEPSTART_TOKEN",
    default=None,
    help="Require 'Authorization: Bearer TOKEN' (or set DEEPSTART_TOKEN, which ps does not show).",
)
@limit_option("--max-body", Limits.max_body, "Bytes.")
@limit_option("--max-pixels", Limits.max_pixels, "Per image.")
@limit_option("--max-request-pixels", Limits.max_request_pixels, "All the images of one request.")
@limit_option("--timeout", Limits.timeout, "Seconds.", low=0.1)
@limit_option("--max-queue", Limits.max_queue, "Inputs waiting.")
@limit_option("--read-timeout", Limits.read_timeout, "Seconds for a request's headers to arrive.", low=0.1)
def serve(
    model, host, port, token, max_body, max_pixels, max_request_pixels, timeout, max_queue, read_timeout
):
    """Serve MODEL (trained or exported) over HTTP, with a page to try it at /.

    \b
    POST /predict   images as multipart files (field 'file'), or JSON:
                    {"text": ...}, {"row": {...}}, {"sequence": [...]} (or a list: "texts", ...)
    POST /explain   the same, one input: a heatmap, word effects or column effects
    GET  /health, GET /metadata, GET /docs (the OpenAPI description)
    """
    from ..serve import serve

    limits = Limits(
        max_body,
        max_pixels,
        max_request_pixels,
        timeout=timeout,
        max_queue=max_queue,
        read_timeout=read_timeout,
    )
    serve(model, host, port, token, limits)
