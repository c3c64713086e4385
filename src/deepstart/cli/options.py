"""Options several commands share: one per training setting (from settings.py, with
its help and default), and the columns of data given as a table."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import ConfigError
from ..log import printable
from ..settings import describe


def limit_option(name: str, default, help: str, low=1):
    """A service's limit: a whole number (or seconds) of at least low, its default shown."""
    kind = click.FloatRange(min=low) if isinstance(default, float) else click.IntRange(min=low)
    return click.option(name, type=kind, default=default, show_default=True, help=help)


def show(text, err: bool = False) -> None:
    """Print text for people: control characters from data written out (JSON goes
    through click.echo as it is)."""
    click.echo(printable(text), err=err)


class FractionOrCount(click.ParamType):
    name = "FRACTION|COUNT"

    def convert(self, value, param, ctx):
        if isinstance(value, (int, float)):
            return value
        try:
            return float(value) if any(ch in value for ch in ".eE") else int(value)
        except ValueError:
            self.fail(f"Expected a fraction like 0.2 or a count like 500. Received: {value!r}", param, ctx)


class Parsed(click.ParamType):
    """A value read by the setting's own parser ("10m" -> 600.0); its one-line refusal kept."""

    name = "TEXT"

    def __init__(self, parse):
        self.parse = parse

    def convert(self, value, param, ctx):
        try:
            return self.parse(value)
        except ConfigError as e:
            self.fail(str(e), param, ctx)


def setting_options(command):
    """One --option per setting, with the help text and default stored beside it."""
    for info in reversed(describe()):
        flag = "--" + info.name.replace("_", "-")
        if info.type in ("bool", "bool | None"):
            decl, kind = f"{flag}/--no-{flag[2:]}", None
        elif info.choices:
            decl, kind = flag, click.Choice(info.choices)
        elif info.parse is not None:
            decl, kind = flag, Parsed(info.parse)
        elif "int" in info.type and "float" in info.type:
            decl, kind = flag, FractionOrCount()
        else:
            decl, kind = (
                flag,
                str if info.type.startswith("str") else float if info.type.startswith("float") else int,
            )
        option = click.option(
            decl,
            info.name,
            type=kind,
            default=info.default,
            show_default=info.default is not None,
            help=info.help,
        )
        command = option(command)
    return command


def out_option(what: str):
    """--out: the model folder a command writes (created; an older model there is replaced)."""
    return click.option(
        "--out",
        type=click.Path(path_type=Path),
        default=Path("model"),
        show_default=True,
        help=f"Folder to write {what} to (created; an older model there is replaced).",
    )


def held_out_options(command):
    """--test and --val: separate labelled data instead of parts held out of DATA."""
    command = click.option(
        "--val",
        type=click.Path(path_type=Path),
        default=None,
        help="Separate labelled data to pick the best epoch and model (instead of --val-size).",
    )(command)
    return click.option(
        "--test",
        type=click.Path(path_type=Path),
        default=None,
        help="Separate labelled data for the final test (instead of --test-size).",
    )(command)


def csv_options(command):
    """--target, --text and --images, for data given as a table."""
    command = click.option(
        "--text",
        metavar="COLUMN",
        default=None,
        help="Table column that holds the texts (detected if not given).",
    )(command)
    command = click.option(
        "--images",
        type=click.Path(path_type=Path),
        default=None,
        help="Folder the CSV's file names are relative to (detected if not given).",
    )(command)
    return click.option(
        "--target",
        metavar="COLUMN",
        default=None,
        help="Table column that holds the labels (detected if not given).",
    )(command)
