"""`deepstart train`: a model from data, saved as a folder, with a summary of what was
trained, how, and how good it is."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import ConfigError
from ..settings import TASKS
from .options import csv_options, held_out_options, out_option, setting_options, show


@click.command()
@click.argument("data", type=click.Path(path_type=Path))
@out_option("the model")
@held_out_options
@csv_options
@click.option(
    "--task",
    type=click.Choice(["auto", *TASKS]),
    default="auto",
    show_default=True,
    help="What the data is; auto detects it. tabular: a table's rows are the examples; regression "
    "or classification: the same, with the target read as numbers or as classes; sequence: each row is a "
    "sequence of numbers; timeseries: forecast --target from --time, --horizon steps ahead; detection: "
    "photos with boxes (Pascal VOC, COCO, YOLO or a CSV of boxes), found without asking where it is clear.",
)
@click.option(
    "--time",
    "time_column",
    metavar="COLUMN",
    default=None,
    help="Time series: the column of times (detected).",
)
@click.option(
    "--horizon",
    type=click.IntRange(min=1),
    default=None,
    help="Time series: steps to forecast (makes DATA a series).",
)
@click.option(
    "--id", "id_column", metavar="COLUMN", default=None, help="Time series: the column naming each series."
)
@click.option(
    "--season", type=click.IntRange(min=1), default=None, help="Time series: steps per season (detected)."
)
@click.option("--resume", is_flag=True, help="Continue an interrupted run of the same command.")
@click.option(
    "--group",
    metavar="COLUMN",
    default=None,
    help="Score the test examples of each group (a column of the table, e.g. gender or region) on "
    "their own, with the gap between them, in the summary and report.html.",
)
@click.option(
    "--bins",
    metavar="GROUPS",
    default=None,
    help='Numbers (ages, prices) as named groups, which become the classes: "Young<30,Middle<50,Old".',
)
@click.option(
    "--balance",
    metavar="COLUMN",
    default=None,
    help="Make each group of this column count equally in training (smaller groups' examples "
    "repeated); trains twice and reports each group's test score before and after.",
)
@click.option(
    "--group-split",
    metavar="GROUPS",
    default=None,
    help="Test (and validate) on whole groups never seen in training, e.g. speakers. GROUPS is a column "
    "of the table that lists the data, or says how the files' names name their group: a word alone "
    "reads them as {label}_{word}_{n} (--group-split speaker: yes_george_3.wav is george's, the part "
    "between the first and the last '_'); a pattern has one {field} for the group and * for any other "
    "text ('{speaker}_*': 0a7c2a8d_nohash_0.wav is 0a7c2a8d's).",
)
@setting_options
def train(
    data,
    out,
    test,
    val,
    target,
    text,
    images,
    task,
    time_column,
    horizon,
    id_column,
    season,
    resume,
    group,
    bins,
    balance,
    group_split,
    **settings,
):
    """Train a model on DATA: a folder with one subfolder per class, a CSV that lists
    image or sound files and their labels, a table of texts and labels, a table whose
    rows are examples and whose --target column is to be predicted (classes or numbers),
    or a table of one series or many over time whose next --horizon steps of --target
    are forecast. Tables may be CSV, TSV, Parquet or JSON Lines."""
    from .. import artifact
    from ..budget import limited
    from ..loading import train as train_model
    from ..pipeline.plan import Plan

    artifact.check_out_dir(out)  # fail before the expensive work, not after
    _check_held_out(test, val)
    plan = Plan(
        data, target=target, task=task, test=test, val=val, images=images, text=text,
        checkpoint=out.parent / f".{out.name}.checkpoint", resume=resume, group=group, bins=bins,
        balance=balance, group_split=group_split, time=time_column, id=id_column, horizon=horizon,
        season=season, settings=settings,
    )  # fmt: skip
    with limited(settings.get("time_limit")):  # the whole run, saving too, within --time-limit
        model = train_model(plan)
        model.save(out)
    show(model.summary(model.manifest(), str(out)))


def _check_held_out(test, val) -> None:
    context = click.get_current_context()
    for option, size in ((test, "test"), (val, "val")):
        given = context.get_parameter_source(f"{size}_size") == click.core.ParameterSource.COMMANDLINE
        if option is not None and given:
            raise ConfigError(
                f"--{size}-size and --{size} exclude each other: with --{size}, none of DATA is held out "
                "for it."
            )
