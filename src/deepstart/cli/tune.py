"""`deepstart tune`: the settings of `train` searched for you (Optuna), within a time
budget or a number of trials, the best trial's model saved as train saves one, and why
those settings, in words, in the summary and in tuning.html."""

from __future__ import annotations

import re
from pathlib import Path

import click

from ..errors import ConfigError
from ..settings import TASKS
from .options import csv_options, held_out_options, out_option, setting_options, show

UNITS = {"s": 1, "m": 60, "h": 3600}


class Duration(click.ParamType):
    name = "DURATION"

    def convert(self, value, param, ctx):
        found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", str(value))
        if not found or float(found[1]) <= 0:
            self.fail(f"Give a time such as 90s, 10m or 2h; got {value!r}.", param, ctx)
        return float(found[1]) * UNITS[found[2] or "s"]


@click.command()
@click.argument("data", type=click.Path(path_type=Path))
@out_option("the best trial's model")
@click.option("--budget", type=Duration(), default=None, help="Wall time for the search: 90s, 10m, 2h.")
@click.option(
    "--trials", type=click.IntRange(min=1), default=None, help="Most trials (with or without --budget)."
)
@click.option(
    "--storage",
    default=None,
    help="Keep the search in a database (sqlite:///study.db, postgresql://...); "
    "several machines given the same one share the search.",
)
@click.option("--resume", is_flag=True, help="Continue the search kept in --storage.")
@held_out_options
@csv_options
@click.option(
    "--task",
    type=click.Choice(["auto", *TASKS]),
    default="auto",
    show_default=True,
    help="What the data is, as for train.",
)
@setting_options
def tune(data, out, budget, trials, storage, resume, test, val, target, images, text, task, **settings):
    """Search the settings of `train` for DATA (any data train accepts, but time series),
    then save the best trial's model to --out, with tuning.html saying why."""
    from .. import artifact
    from ..loading import trainer
    from ..pipeline.plan import Plan
    from ..tune import page
    from ..tune.search import search

    if budget is None and trials is None:
        raise ConfigError("Give --budget (e.g. 10m) or --trials (e.g. 30), or both.")
    if resume and storage is None:
        raise ConfigError("--resume continues a search kept in --storage; give --storage too.")
    artifact.check_out_dir(out)
    fit_args = {"target": target, "test": test, "val": val, "images": images, "text": text, "task": task}
    modality = Plan(data, **fit_args).modality()
    if trainer(modality).forecasts or modality.trainer != "predictor":
        how = (
            "forecast" if trainer(modality).forecasts else f"learned by {modality.trainer.rpartition(':')[2]}"
        )
        raise ConfigError(
            f"tune searches the settings of models that label each input; {modality.noun} are {how}: "
            "train them with deepstart train."
        )
    found = search(data, fit_args, settings, budget, trials, storage, resume)
    best = found.best
    if best is None:  # the best trial ran in another process: its settings, trained again here
        from ..predictor import Predictor

        show("The best trial ran elsewhere; training its settings here.")
        best = Predictor(**(settings | found.study.best_trial.params)).fit(data, **fit_args)
    best.tuning_ = page.record(found, best.metrics_.get("validation", {}).get("n"))
    best.save(out, {artifact.TUNING: page.tuning_html(best.tuning_).encode()})
    show(best.summary(best.manifest(), str(out)))
    show("\n".join(page.summary_lines(best.tuning_)))
    show(f"Why these settings: {out}/tuning.html")
