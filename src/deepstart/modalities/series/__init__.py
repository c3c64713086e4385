"""Time series: forecasts of the next H steps of one series or many (deepstart.Forecaster),
by a network over windows (N-HiTS multilayer perceptrons; a GRU in older model folders)
beside the naive forecasts, a linear autoregressive model and the statistical models.
Recognised where a series is described (--time, --horizon, --id, --season), or asked
for (--task timeseries): a table of numbers over time is a table too."""

from __future__ import annotations

from ..base import Modality, Role
from .read import read_series_from


class Series(Modality):
    name = "series"
    noun = "series"
    predict_example = "<table of recent history>"
    models = {
        "mlp-forecaster": ("N-HiTS multilayer perceptrons over windows", "N-HiTS over windows (deep)"),
        "gru-forecaster": ("a GRU network over windows", "GRU over windows (deep)"),
    }
    service = Role("serve", "SeriesService")
    explainer = None  # no explanations yet
    exporter = Role("export", "SeriesExporter")
    trainer = "forecaster"  # deepstart.Forecaster: the next steps of each series, not a label per input

    def recognizes(self, given) -> bool:
        described = any(v is not None for v in given.series.values())
        return given.tabular and (given.kind == self.name or described)

    def summarize(self, given, root, max_pixels: int) -> dict:
        """The series found: how many, how many steps, which columns."""
        options = given.series
        series = read_series_from(given.source, given.target, options.get("time"), options.get("id"))
        target, steps = series.columns["target"], int(sum(len(v) for v in series.values))
        count = f"{len(series.ids)} series" if len(series.ids) > 1 else "one series"
        return {
            "kind": self.name,
            "noun": self.noun,
            "task": "forecasting",
            "target": target,
            "n_series": len(series.ids),
            "n": steps,
            "time_column": series.columns["time"],
            "count": f"{count} of {steps:,} steps in all",  # not "526 series": the page says this
            "what": f"'{target}' to forecast",
            "choices": {"fine_tune": False, "compare": False, "capture": False},
            "controls": [  # how the series is read and forecast, chosen in the page
                {"name": "time", "label": "Time column", "kind": "column", "value": series.columns["time"]},
                {
                    "name": "horizon",
                    "label": "Steps ahead",
                    "kind": "number",
                    "value": options.get("horizon") or 7,
                },
                {"name": "id", "label": "Series id column", "kind": "column", "none": "(one series)"},
            ],
        }


MODALITY = Series()
