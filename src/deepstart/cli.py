"""The `deepstart` command: a thin layer over deepstart.api.Predictor."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path

import click

from . import __version__, log
from .config import TASKS, describe
from .errors import ConfigError, DeepstartError, TrainingInterrupted


class FractionOrCount(click.ParamType):
    name = "FRACTION|COUNT"

    def convert(self, value, param, ctx):
        if isinstance(value, (int, float)):
            return value
        try:
            return float(value) if any(ch in value for ch in ".eE") else int(value)
        except ValueError:
            self.fail(f"Expected a fraction like 0.2 or a count like 500. Received: {value!r}", param, ctx)


def setting_options(command):
    """One --option per setting, with the help text and default stored beside it."""
    for info in reversed(describe()):
        flag = "--" + info.name.replace("_", "-")
        if info.type == "bool":
            decl, kind = f"{flag}/--no-{flag[2:]}", None
        elif info.choices:
            decl, kind = flag, click.Choice(info.choices)
        elif "int" in info.type and "float" in info.type:
            decl, kind = flag, FractionOrCount()
        else:
            decl, kind = flag, float if info.type.startswith("float") else int
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


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="deepstart")
@click.option("-q", "--quiet", is_flag=True, help="Print only results and errors.")
def cli(quiet: bool) -> None:
    """deepstart: from your images, texts or tables to a trained, evaluated deep-learning model, on a CPU.

    \b
    deepstart train photos/ --out model/        # photos/cats/*.jpg, photos/dogs/*.jpg
    deepstart train reviews.csv --target sentiment --out model/   # a column of texts
    deepstart train houses.csv --target price --out model/        # columns of numbers, categories
    deepstart train sales.csv --task timeseries --target units --time date --horizon 14 --out model/
    deepstart evaluate model/ photos_test/ --json
    deepstart predict model/ new.jpg
    deepstart predict model/ "what a wonderful film"
    deepstart info model/
    """
    log.setup(verbose=not quiet)


@cli.command()
@click.argument("data", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("model"),
    show_default=True,
    help="Folder to write the model to (created; an older model there is replaced).",
)
@click.option(
    "--test",
    "test",
    type=click.Path(path_type=Path),
    default=None,
    help="Separate labelled data for the final test (instead of --test-size).",
)
@click.option(
    "--val",
    "val",
    type=click.Path(path_type=Path),
    default=None,
    help="Separate labelled data to pick the best epoch and model (instead of --val-size).",
)
@csv_options
@click.option(
    "--task",
    type=click.Choice(["auto", *TASKS]),
    default="auto",
    show_default=True,
    help="What the data is; auto detects it. tabular: a table's rows are the examples; regression "
    "or classification: the same, with the target read as numbers or as classes; sequence: each row is a "
    "sequence of numbers; timeseries: forecast --target from --time, --horizon steps ahead.",
)
@click.option(
    "--time", "time_column", metavar="COLUMN", default=None, help="Time series: the column of times."
)
@click.option("--horizon", type=click.IntRange(min=1), default=None, help="Time series: steps to forecast.")
@click.option(
    "--id", "id_column", metavar="COLUMN", default=None, help="Time series: the column naming each series."
)
@click.option(
    "--season", type=click.IntRange(min=1), default=None, help="Time series: steps per season (detected)."
)
@click.option("--resume", is_flag=True, help="Continue an interrupted run of the same command.")
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
    **settings,
):
    """Train a model on DATA: a folder with one subfolder per class, a CSV that lists
    image files and their labels, a table of texts and labels, or a table whose rows are
    examples and whose --target column is to be predicted (classes or numbers). Tables
    may be CSV, TSV, Parquet or JSON Lines."""
    from . import artifact
    from .api import Predictor
    from .summary import train_summary

    artifact.check_out_dir(out)  # fail before the expensive work, not after
    context = click.get_current_context()
    for option, size in ((test, "test"), (val, "val")):
        given = context.get_parameter_source(f"{size}_size") == click.core.ParameterSource.COMMANDLINE
        if option is not None and given:
            raise ConfigError(
                f"--{size}-size and --{size} exclude each other: with --{size}, none of DATA is held out "
                "for it."
            )
    series = (time_column, horizon, id_column, season)
    if task == "timeseries" or any(v is not None for v in series):
        from .forecast import Forecaster
        from .summary import forecast_summary

        if task != "timeseries":
            raise ConfigError(
                "--time, --horizon, --id and --season are for time series: add --task timeseries."
            )
        if settings["model"] != "auto" or settings["fine_tune"]:
            raise ConfigError("--model and --fine-tune are for images and texts; drop them for time series.")
        if test is not None or val is not None or resume:
            raise ConfigError(
                "A forecaster tests on the last steps of each series; drop --test, --val and --resume."
            )
        forecaster = Forecaster(**settings).fit(
            data, target=target, time_column=time_column, id_column=id_column, horizon=horizon, season=season
        )
        forecaster.save(out)
        click.echo(forecast_summary(forecaster.manifest(), str(out)))
        return
    checkpoint = out.parent / f".{out.name}.checkpoint"
    predictor = Predictor(**settings).fit(
        data,
        target=target,
        test=test,
        val=val,
        images=images,
        text=text,
        task=task,
        checkpoint=checkpoint,
        resume=resume,
    )
    predictor.save(out)
    click.echo(train_summary(predictor.manifest(), str(out)))


@cli.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("data", type=click.Path(path_type=Path))
@csv_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (accuracy, macro_f1, n, ...).")
@click.option(
    "--group", metavar="COLUMN", default=None, help="Table models: score each group of rows (e.g. region)."
)
def evaluate(model, data, target, text, images, as_json, group):
    """Measure MODEL on labelled DATA (a class-folder tree or a table)."""
    from .api import load_model
    from .summary import NOUNS, forecast_metrics_text, group_text, metrics_text

    predictor = load_model(model)
    if predictor.manifest_task == "forecasting":
        metrics = predictor.evaluate(data)
        lines = forecast_metrics_text(metrics)
    else:
        metrics = predictor.evaluate(data, target=target, images=images, text=text, group=group)
        lines = metrics_text(metrics, NOUNS[predictor.encoder_.kind]) + group_text(metrics.get("groups"))
    click.echo(json.dumps(metrics) if as_json else "\n".join(lines))


@cli.command()
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
def predict(model, inputs, out, text, as_json):
    """Predict the class (or number) of each input: image files or folders of them; for a
    text model, texts or tables of texts; for a table model, tables of rows."""
    from .api import load_model

    if out is not None and (out.is_dir() or not out.absolute().parent.is_dir()):
        raise ConfigError(f"--out {out} must be a file name in an existing folder.")
    predictor = load_model(model)
    records = predictor.predict_records(inputs, text=text)
    if out is not None:
        _write_csv(out, records, getattr(predictor, "classes_", []))
    if as_json:
        click.echo(json.dumps(records))
    elif predictor.manifest_task == "forecasting":
        for r in records:
            click.echo("\t".join(str(r[k]) for k in ("series", "time", "forecast") if k in r))
    else:
        for r in records:
            if "error" in r:
                click.echo(f"{r['input']}\t(skipped: {r['error']})")
            elif "prediction" in r:
                click.echo(f"{r['input']}\t{r['prediction']:.6g}")
            else:
                probs = ", ".join(f"{c} {p:.3f}" for c, p in r["probabilities"].items())
                click.echo(f"{r['input']}\t{r['label']}\t({probs})")
    if all("error" in r for r in records):
        if predictor.encoder_.kind == "text":
            raise DeepstartError("No input holds any text; give texts, or a table with a column of texts.")
        raise DeepstartError("No input could be read as an image; give image files (JPEG, PNG, ...).")


@cli.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the whole manifest as JSON.")
def info(model, as_json):
    """Describe MODEL: what it is, its classes, its test metrics, its data."""
    from . import artifact
    from .summary import forecast_summary, train_summary

    manifest, _ = artifact.load(model)
    if as_json:
        click.echo(json.dumps(manifest, indent=2))
        return
    forecasting = manifest.get("task") == "forecasting"
    click.echo(forecast_summary(manifest) if forecasting else train_summary(manifest))
    if manifest.get("runtime"):  # an exported model
        runtime, check = manifest["runtime"], manifest["runtime"]["check"]
        precision = f"int8 ({runtime['quantization']})" if runtime["int8"] else "fp32"
        click.echo(
            f"Exported from {runtime['exported_from']} for ONNX Runtime, {precision}; checked on "
            f"{check['data']}: largest difference from PyTorch "
            f"{check.get('int8', check)['max_abs_difference']:.2e}."
        )
        key = check["metric"]
        score = check.get("int8", check)[f"{key}_exported"]
        click.echo(f"  {key} there: PyTorch {check[f'{key}_pytorch']:.4g}, exported {score:.4g}.")
        for note in runtime.get("notes", []):
            click.echo(f"  Note: {note}.")
    click.echo(
        f"Data fingerprint: {manifest['data']['fingerprint'][:16]}  "
        f"deepstart {manifest['versions']['deepstart']}, format {manifest['format_version']}"
    )


from . import cli_deploy, cli_explain  # noqa: E402,F401 (add export, serve, explain, compare)


def _write_csv(path: Path, records: list[dict], classes: list[str]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
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
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(buffer.getvalue(), encoding="utf-8")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; bad input ends with one line on stderr and exit code 2."""
    log.setup()
    args = sys.argv[1:] if argv is None else argv
    try:
        # make_context + invoke rather than cli.main: click would turn Ctrl-C into a bare Abort.
        with cli.make_context("deepstart", list(args)) as ctx:
            result = cli.invoke(ctx)
    except click.exceptions.Exit as e:  # --help, --version
        return e.exit_code
    except click.exceptions.NoArgsIsHelpError as e:  # `deepstart` alone: show the help
        click.echo(e.ctx.get_help())
        return 0
    except click.UsageError as e:
        where = f" (see: {e.ctx.command_path} --help)" if e.ctx else ""
        click.echo(f"deepstart: {e.format_message()}{where}", err=True)
        return 2
    except DeepstartError as e:
        click.echo(f"deepstart: {e}", err=True)
        return 2
    except TrainingInterrupted as stop:
        click.echo(
            f"deepstart: stopped after epoch {stop.epochs_done}; no model was written. To continue, "
            "run the same command with --resume.",
            err=True,
        )
        return 130
    except BrokenPipeError:  # `deepstart predict ... | head`: the reader has what it wanted
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (Python flushes stdout at exit)
        return 0
    except (click.Abort, KeyboardInterrupt):
        click.echo("deepstart: interrupted; nothing was written.", err=True)
        return 130
    except click.ClickException as e:  # e.g. a file click could not open
        click.echo(f"deepstart: {e.format_message()}", err=True)
        return 2
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
