"""The `deepstart` command: a thin layer over the Python API (Predictor, Forecaster and
the models load_model gives). Each family of commands is a module; this one joins them
into one group and turns bad input into one line and exit code 2."""

from __future__ import annotations

import os
import sys

# Set before PyTorch loads (the imports below load it), and inherited by the studio's
# jobs: PyTorch's OpenMP threads sleep while they wait instead of spinning. On 2 cores
# that other work shares, spinning threads took the cores from the threads with work to
# do: the classifier on cats/dogs features trained in 36-50 s at a load of 4, 82-272 s
# at 8-10; with this, 5-10 s at both. A setting of the user's own wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import click  # noqa: E402

from .. import log  # noqa: E402
from ..cache import log_warnings  # noqa: E402
from ..errors import DeepstartError, TrainingInterrupted  # noqa: E402
from ..version import __version__  # noqa: E402
from .deploy import export, serve  # noqa: E402
from .explain import compare, explain  # noqa: E402
from .studio import studio  # noqa: E402
from .train import train  # noqa: E402
from .tune import tune  # noqa: E402
from .use import evaluate, info, predict  # noqa: E402


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
    deepstart studio                            # the same in a web page, without code
    """
    log.setup(verbose=not quiet)


for command in (train, tune, evaluate, predict, info, explain, compare, export, serve, studio):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; bad input ends with one line on stderr and exit code 2 (a URL's
    password in it written as ***). Libraries' warnings go to the cache's warnings.log."""
    log.setup()
    log_warnings()
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
        click.echo(log.redacted(f"deepstart: {e.format_message()}{where}"), err=True)
        return 2
    except DeepstartError as e:  # one line, whatever names from data it quotes, no password in it
        click.echo(f"deepstart: {log.printable(log.redacted(e), lines=False)}", err=True)
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
        click.echo(log.redacted(f"deepstart: {e.format_message()}"), err=True)
        return 2
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
