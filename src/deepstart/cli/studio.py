"""`deepstart studio`: the no-code web page, on this machine."""

from __future__ import annotations

from pathlib import Path

import click

from ..studio.workspace import Limits
from .options import limit_option


@click.command()
@click.option(
    "--workspace",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("deepstart-studio"),
    show_default=True,
    help="Folder for projects, runs and models (created).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (default: this machine only).",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8700, show_default=True)
@click.option(
    "--token",
    envvar="DEEPSTART_TOKEN",
    default=None,
    help="The studio's secret (default: a new random one at each start, in the link it prints). "
    "Prefer setting DEEPSTART_TOKEN: a command line is visible to every user of this machine (ps).",
)
@limit_option("--max-upload", Limits.max_upload, "Bytes per upload.")
@click.option(
    "--jobs", type=click.IntRange(1, 8), default=1, show_default=True, help="Runs that train at once."
)
def studio(workspace, host, port, token, max_upload, jobs):
    """Train, understand, try and ship models in a web page, without writing code:
    drop a folder of images, a table or texts, or take photos with the webcam."""
    from ..studio.app import run_studio

    run_studio(workspace, host, port, token, Limits(max_upload=max_upload), jobs)
