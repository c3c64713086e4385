"""Forecaster: the facade for time series, beside Predictor. One series or many (long
format), a horizon H: the last H x k steps of every series are the test window, the H x kv
before them validate, the rest trains. A network of the N-HiTS kind over sliding windows
(each window scaled by its series' spread and centred on its own mean) is trained by the
shared loop beside the naive forecasts, a linear autoregressive model and the statistical
models with their combination; which is kept is board.py's choice (by validation MASE)."""

from __future__ import annotations

import copy
import importlib
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from . import artifact
from .budget import current, within
from .classical import statistical
from .classical.series import LinearAR, seasonal_naive
from .errors import ConfigError, DataError, check_is_fitted
from .log import say
from .modalities import REGISTRY, Modality
from .modalities.series import board, fits
from .modalities.series import windows as cut
from .modalities.series.read import Series, describe_step, read_series_from
from .models import build_net, load_network
from .onnx.graph import one_thread
from .pipeline.plan import Plan
from .report.forecast import forecast_report_html, last_window
from .report.plots import training_curve_png
from .report.text import forecast_metrics_text, forecast_summary
from .settings import Settings, whole_number
from .train import Plan as LoopPlan
from .train import fit as train_loop
from .train import predict_logits
from .train.diagnostics import diagnose

K_MAX = 4  # forecast origins in the test (and validation) window
TRAIN_STEPS = 800  # optimisation steps for the network; epochs follow from the number of windows
NETWORK = "mlp-forecaster"  # N-HiTS-like: as good as the GRU here, in a fraction of its time
HIDDEN = 128  # units in each of its layers (256: no better on bench/series.py, twice the time)


class Forecaster:
    """Train, evaluate, save and load a forecaster of the next `horizon` steps.

    >>> f = Forecaster().fit("sales.csv", target="units", time_column="date", horizon=14, id_column="store")
    >>> f.forecast("sales.csv"); f.save("model/"); f = Forecaster.load("model/")
    """

    runtime_ = None  # for an exported model: its engine, and how the export was checked
    test_records_: list = []  # forecasts have no classes to tell apart
    kind_ = "series"  # the modality of the data it forecasts (a plan's, or a manifest's)
    forecasts = True  # the next steps of each series, from its history

    def __init__(self, **settings):
        self.settings = Settings(**settings)

    @property
    def modality(self) -> Modality:
        return REGISTRY[self.kind_]

    @property
    def task(self) -> str:
        return "forecasting"

    @property
    def classes_(self) -> list:
        return []  # numbers are forecast, not classes

    @property
    def recipe_(self) -> dict:
        return {"name": self.net_spec_["name"], "reason": self._reason()}

    # -- training -------------------------------------------------------------
    def fit(self, data, *, target=None, time_column=None, id_column=None, horizon=None, season=None):
        """Train on a table of one series or many (long format, id_column naming each):
        forecast target, horizon steps ahead, from the times in time_column."""
        series = {"time": time_column, "id": id_column, "horizon": horizon, "season": season}
        return self.train(Plan(data, target=target, settings=self.settings.to_dict(), **series))

    def train(self, plan: Plan) -> Forecaster:
        """Train as the plan says; what a forecaster does not do is refused first."""
        _check_plan(plan, self.settings)
        with within(self.settings.time_limit, plan.started), one_thread():
            return self._fit_plan(plan)

    def _fit_plan(self, plan: Plan) -> Forecaster:
        self.kind_ = plan.modality().name
        start, s, data = time.perf_counter(), self.settings, plan.data
        horizon, season = _check_horizon(plan.horizon, plan.season)
        series = read_series_from(data, plan.target, plan.time, plan.id)
        if all(np.ptp(v) == 0 for v in series.values):
            raise DataError(f"'{series.columns['target']}' never changes: there is nothing to forecast.")
        self.columns_, self.horizon_ = series.columns, horizon
        self.step_ = describe_step(series.step)
        cutting = cut.layout(series, horizon, season, K_MAX)
        self.k_, self.kv_, self.lookback_ = cutting.k, cutting.kv, cutting.lookback
        self.scales_ = cutting.scales
        self.seasons_, self.season_, self.season_source_ = (
            cutting.seasons,
            cutting.season,
            cutting.season_source,
        )
        self.scale_of_ = dict(zip(series.ids, self.scales_))  # stored: the same spread when forecasting
        train_end = cutting.train_end
        x, y = cut.windows(self, series.values, [self.lookback_] * len(train_end), train_end)
        val_end = [e + self.kv_ * horizon for e in train_end]
        x_val, y_val = cut.windows(self, series.values, train_end, val_end, first_target=True)
        say(f"Forecasting {horizon} steps from the last {self.lookback_}; {len(x):,} training windows.")
        seconds = self._fit_models(series, train_end, (x, y), (x_val, y_val))
        backtest = board.Backtest(self, series, train_end)
        self.partner_ = board.best_partner(self, backtest)
        self.leaderboard_ = board.leaderboard(self, backtest, seconds)
        self.choice_ = self.leaderboard_[0]["name"]
        self.metrics_ = {w: backtest.metrics(self.choice_, w) for w in ("validation", "test")}
        self.forms_ = fits.forms_found(self, series, train_end)
        self.data_ = self._data_record(data, series, train_end)
        self.training_ = {"settings": s.recorded(), "history": self.history_.to_dict()}
        self.training_["refit"] = self._refit(series, (x_val, y_val))
        self.training_["seconds"] = round(time.perf_counter() - start, 2)
        if current().limited:
            self.training_["budget"] = current().record()
        return self

    def _fit_models(self, series: Series, train_end: list[int], train: tuple, val: tuple) -> dict:
        """The network and the linear model on the training windows, the statistical models
        on the steps before the validation window; {model: seconds}."""
        t0 = time.perf_counter()
        plan = self._train(train, val)
        t1 = time.perf_counter()
        self.ar_ = LinearAR.fit(*train, *val)
        seconds = {"deep": t1 - t0, "linear-ar": time.perf_counter() - t1}
        (x, y), self.fits_, self.candidates_ = train, {}, None
        self.diagnostics_ = diagnose(self.net_, self.history_, (x[:4096], y[:4096]), val, [], plan)
        seconds |= fits.fit_statistical(self, series, train_end)
        self.candidates_ = [*cut.WINDOW_MODELS, *seconds]
        return seconds

    def _refit(self, series: Series, val: tuple) -> dict:
        """Once the model is chosen, what of it learns from windows learns again from the
        whole history (the validation and test steps too): the network goes on from the
        backtest's weights for a third of its epochs at a third of its learning rate, the
        ridge is fitted anew; the scores stay the backtest's. Statistical models are fitted
        on the history they forecast from anyway."""
        uses = {self.choice_} | ({"deep", self.partner_} if self.choice_ == "ensemble" else set())
        ends = [len(v) for v in series.values]
        x, y = cut.windows(self, series.values, [self.lookback_] * len(ends), ends)
        done, t0 = [], time.perf_counter()
        epochs = max(2, round((self.history_.best_epoch or len(self.history_.epochs)) / 3))
        if "deep" in uses and fits.left() < 1.2 * self.history_.seconds * epochs / len(self.history_.epochs):
            current().cut("the network was not trained again on the whole history")
        elif "deep" in uses:
            s = self.settings
            torch.manual_seed(s.seed)
            net = copy.deepcopy(self.net_)
            groups = [{"params": list(net.parameters()), "lr": (s.lr or 3e-3) / 3}]
            steps = LoopPlan(epochs, s.batch_size or 128, groups, "regression", seconds=0.8 * fits.left())
            train_loop(net, (x, y), val, s, steps, keep_start=True)
            self.net_, done = net.cpu().eval(), [*done, "deep"]
        if "linear-ar" in uses:
            self.ar_, done = LinearAR.fit(x, y, *val, alphas=(self.ar_.alpha,)), [*done, "linear-ar"]
        return {"models": done, "windows": len(x), "seconds": round(time.perf_counter() - t0, 2)}

    def _train(self, train: tuple, val: tuple) -> LoopPlan:
        s = self.settings
        self.net_spec_ = {"name": NETWORK, "lookback": self.lookback_, "n_classes": self.horizon_}
        self.net_spec_ |= {"dropout": s.dropout, "hidden": HIDDEN}
        torch.manual_seed(s.seed)
        self.net_ = build_net(self.net_spec_)
        epochs = s.epochs or min(100, max(5, round(TRAIN_STEPS / max(1, len(train[0]) // 128))))
        groups = [{"params": list(self.net_.parameters()), "lr": s.lr or 3e-3}]
        importlib.import_module("torch._dynamo")  # what an optimizer's first use imports (seconds), first
        plan = LoopPlan(
            epochs, s.batch_size or 128, groups, task="regression", seconds=max(0.0, 0.5 * fits.left())
        )
        self.history_ = train_loop(self.net_, train, val, s, plan)
        self.net_.cpu().eval()
        return plan

    def _data_record(self, data, series: Series, train_end: list[int]) -> dict:
        return {
            "source": str(data) if isinstance(data, (str, Path)) else "the DataFrame",
            "n_series": len(series.ids),
            "n_steps": int(sum(len(v) for v in series.values)),
            "n_train": int(sum(train_end)),
            "n_validation": self.kv_ * self.horizon_ * len(series.ids),
            "n_test": self.k_ * self.horizon_ * len(series.ids),
            "test_origins": self.k_,
            "validation_origins": self.kv_,
            "ids": series.ids[:1000],
            "fingerprint": series.fingerprint(),
            "skipped": [],
            "last_window": last_window(self, series, train_end),  # for the report's plot
        }

    # -- forecasting ------------------------------------------------------------
    def predict_windows(
        self, histories: np.ndarray, scales: np.ndarray, model: str, values=None, origins=None
    ):
        """(N, lookback) raw histories -> (N, H) forecasts by one model. A statistical model
        reads each series' whole history instead: values and origins (series i, window
        start, origin t) say where each forecast starts (see series.windows.rolling)."""
        if model == "naive":
            return np.repeat(histories[:, -1:], self.horizon_, axis=1)
        if model == "seasonal-naive":
            return seasonal_naive(histories, self.horizon_, self.season_)
        if model in statistical.TITLES:
            return cut.statistical_forecasts(self, model, values, origins)
        if model == "ensemble":
            deep = self.predict_windows(histories, scales, "deep")
            return (deep + self.predict_windows(histories, scales, self.partner_, values, origins)) / 2
        level = histories.mean(1, keepdims=True)
        x = ((histories - level) / scales[:, None]).astype(np.float32)
        if model == "linear-ar":
            out = self.ar_.predict(x)
        elif self.runtime_:  # the network exported, in ONNX Runtime
            out = self.net_(x)
        else:
            with one_thread():
                out = predict_logits(self.net_, torch.from_numpy(x)).numpy()
        return out.astype(np.float64) * scales[:, None] + level

    def evaluate(self, data, **options) -> dict:
        """Metrics on series like the training ones: the last H x k steps of each are
        forecast from the steps before them. The series are read as in training: no options."""
        self._fitted()
        given = [f"--{k}" for k, v in options.items() if v is not None]
        if given:
            raise ConfigError(f"A forecaster reads series as it was trained to; drop {', '.join(given)}.")
        series = self.read_like_training(data)
        window = self.k_ * self.horizon_
        starts = [len(v) - window for v in series.values]
        if min(starts) < self.lookback_:
            raise DataError(
                f"Each series needs at least {self.lookback_ + window} steps to evaluate on "
                f"({self.lookback_} of "
                f"history and {window} to forecast); the shortest has {min(len(v) for v in series.values)}."
            )
        self.fits_ = {}
        fits.fit_kept(self, series, starts)
        return cut.metrics(self, series, starts, self.choice_, self.k_, self.scales_for(series, starts))

    def forecast(self, data) -> list[dict]:
        """The next H steps after the end of each series in data: one record per step."""
        self._fitted()
        series = self.read_like_training(data)
        short = [i for i, v in zip(series.ids, series.values) if len(v) < self.lookback_]
        if short:
            name = f"series '{short[0]}'" if self.columns_.get("id") else "the series"
            raise DataError(
                f"{name.capitalize()} has fewer than the {self.lookback_} steps of history the model reads; "
                "give a longer history."
            )
        histories = np.array([v[-self.lookback_ :] for v in series.values])
        scales = np.array(self.scales_for(series, [len(v) for v in series.values]))
        self.fits_ = {}  # the statistical models fitted on the whole history, in the forms found in training
        fits.fit_kept(self, series, [len(v) for v in series.values])
        ends = [(i, len(v), len(v)) for i, v in enumerate(series.values)]
        out = self.predict_windows(histories, scales, self.choice_, series.values, ends)
        times = _times([t for k in range(len(series.ids)) for t in series.next_times(k, self.horizon_)])
        c, records = self.columns_, []
        for k, key in enumerate(series.ids):
            for h in range(self.horizon_):
                record = {c["id"]: key} if c.get("id") else {}
                when = times[k * self.horizon_ + h]
                records.append(record | {c["time"]: when, "step": h + 1, c["target"]: float(out[k, h])})
        return records

    def predict_records(self, inputs, text=None) -> list[dict]:
        """As forecast(), for the CLI's `predict MODEL TABLE`: one table of histories."""
        inputs = [inputs] if isinstance(inputs, (str, Path, pd.DataFrame)) else list(inputs)
        if len(inputs) != 1:
            raise DataError("A forecaster reads one table of histories; give one file.")
        return self.forecast(inputs[0])

    @staticmethod
    def summary(manifest: dict, out: str | None = None) -> str:
        """What a manifest's forecaster is, how it was trained and how good it is, in words."""
        return forecast_summary(manifest, out)

    def metrics_lines(self, metrics: dict) -> list[str]:
        """evaluate's figures in words."""
        return forecast_metrics_text(metrics)

    def scales_for(self, series: Series, ends: list[int]) -> list[float]:
        """Each series' spread as learned in training; for a series not seen in training,
        the spread of its history up to ends."""
        return [
            self.scale_of_.get(key) or float(np.std(v[:end])) or 1.0
            for key, v, end in zip(series.ids, series.values, ends)
        ]

    def read_like_training(self, data) -> Series:
        c = self.columns_
        return read_series_from(data, c["target"], c["time"], c.get("id"))

    def _fitted(self) -> Forecaster:
        return check_is_fitted(self)

    # -- the artifact ---------------------------------------------------------
    def manifest(self) -> dict:
        self._fitted()
        return {
            "task": "forecasting",
            "modality": self.kind_,
            "classes": [],
            "columns": self.columns_,
            "model": self.recipe_,
            "encoder": self.window_spec(),
            "net": self.net_spec_,
            "choice": self.choice_,
            "partner": self.partner_,
            "classical": self.ar_.spec(),
            "statistical": {"forms": self.forms_},
            "leaderboard": self.leaderboard_,
            "metrics": self.metrics_,
            "diagnostics": self.diagnostics_,
            "data": self.data_,
            "training": self.training_,
            "versions": artifact.versions(),
        }

    def window_spec(self) -> dict:
        """How histories become the network's input: the manifest's "encoder"."""
        return {
            "name": "windows",
            "horizon": self.horizon_,
            "lookback": self.lookback_,
            "season": self.season_,
            "seasons": self.seasons_,
            "season_source": self.season_source_,
            "step": self.step_,
            "test_origins": self.k_,
            "scales": self.scale_of_,
        }

    def _reason(self) -> str:
        seasons = " and ".join(str(m) for m in self.seasons_)
        kind = "seasons" if len(self.seasons_) > 1 else "a season"
        season = f"{kind} of {seasons} steps ({self.season_source_})" if self.seasons_ else "no season"
        others = ", ".join(cut.TITLES[n].split(" (")[0] for n in board.candidates(self)[1:])
        network = "a recurrent network" if self.net_spec_["name"] == "gru-forecaster" else "N-HiTS blocks"
        return (
            f"{network} read the last {self.lookback_} steps and forecast the next "
            f"{self.horizon_} at once; with {season}, these forecast beside it: {others}"
        )

    def save(self, out) -> Path:
        if self._fitted().runtime_:
            raise ConfigError("An exported model is written by `deepstart export`, not saved again.")
        history = self.training_["history"]
        files = {artifact.CURVE: training_curve_png(history["epochs"], history["best_epoch"])}
        tensors = {f"net.{k}": v for k, v in self.net_.state_dict().items()}
        tensors |= {f"ar.{k}": v for k, v in self.ar_.tensors().items()}
        manifest = self.manifest()
        files[artifact.REPORT] = forecast_report_html(manifest, files[artifact.CURVE]).encode()
        return artifact.save(out, manifest, tensors, files)

    @classmethod
    def load(cls, path, manifest: dict | None = None, tensors: dict | None = None) -> Forecaster:
        """Read a forecaster's folder; only tensors and JSON are read, no code runs."""
        if manifest is None:
            manifest, tensors = artifact.load(path)
        self = cls()
        artifact.restore(path, lambda: self._restore(path, manifest, tensors))
        self.leaderboard_, self.metrics_ = manifest.get("leaderboard", []), manifest.get("metrics", {})
        self.diagnostics_, self.data_ = manifest.get("diagnostics", []), manifest.get("data", {})
        self.training_ = manifest.get("training", {})
        return self

    def _restore(self, path, manifest: dict, tensors: dict) -> None:
        """What was learned, from the manifest and tensors, each part checked against the others."""
        encoder, self.kind_ = manifest["encoder"], manifest["modality"]
        self.horizon_, self.lookback_ = int(encoder["horizon"]), int(encoder["lookback"])
        self.season_, self.season_source_ = int(encoder["season"]), str(encoder["season_source"])
        self.seasons_ = [int(s) for s in encoder.get("seasons", [self.season_] if self.season_ > 1 else [])]
        self.k_, self.step_ = int(encoder["test_origins"]), encoder["step"]
        self.scale_of_ = {str(k): float(v) for k, v in encoder["scales"].items()}
        limits = (
            1 <= self.horizon_ <= 100_000,
            1 <= self.lookback_ <= 100_000,
            self.season_ >= 1,
            self.k_ >= 1,
        )
        if not all(limits) or not all(np.isfinite(v) and v > 0 for v in self.scale_of_.values()):
            raise ValueError("horizon, lookback, season, test origins or scales out of range")
        self.columns_ = {k: manifest["columns"].get(k) for k in ("target", "time", "id")}
        named = [self.columns_["target"], self.columns_["time"]] + [self.columns_["id"]] * bool(
            self.columns_["id"]
        )
        if not all(isinstance(c, str) for c in named):
            raise ValueError("the columns of the series are not all named")
        self.net_spec_ = dict(manifest["net"])
        if (
            self.net_spec_.get("n_classes") != self.horizon_
            or self.net_spec_.get("lookback") != self.lookback_
        ):
            raise ValueError("a network for another horizon or lookback")
        self.runtime_ = manifest.get("runtime")  # an exported model: its network runs in ONNX Runtime
        self.net_ = load_network(path, self.runtime_, self.net_spec_, tensors)
        ar = {k[3:]: v for k, v in tensors.items() if k.startswith("ar.")}
        self.ar_ = LinearAR.from_saved(manifest["classical"], ar, self.lookback_, self.horizon_)
        self.choice_, self.partner_ = manifest["choice"], manifest["partner"]
        forms = (manifest.get("statistical") or {}).get("forms") or {}  # older folders: none, searched again
        if not isinstance(forms, dict) or not all(isinstance(f, dict) for f in forms.values()):
            raise ValueError("the statistical models' forms are not a mapping")
        self.forms_ = forms
        rows = [r["name"] for r in manifest.get("leaderboard", []) if r["name"] in cut.TITLES]
        self.candidates_ = rows or None  # the models that were tried (all, in older folders)
        if self.choice_ not in (*cut.TITLES, "ensemble") or self.partner_ not in set(cut.TITLES) - {"deep"}:
            raise ValueError(f"an unknown model {self.choice_!r}")


def _times(stamps: list) -> list:
    """Forecast times in one format for the whole column: dates where every time is at
    midnight, else dates and times; numbers as whole numbers where they all are (2009)."""
    if stamps and hasattr(stamps[0], "isoformat"):
        dates = all(t == t.normalize() for t in stamps)
        return [t.date().isoformat() if dates else t.isoformat() for t in stamps]
    whole = all(float(t).is_integer() for t in stamps)
    return [int(t) if whole else float(t) for t in stamps]


def _check_plan(plan: Plan, s: Settings) -> None:
    """What a forecaster does not do, refused before any work."""
    if s.cluster or s.cluster_storage:  # checked before any work (the CLI's --cluster too)
        raise ConfigError(
            "A forecaster trains on one machine: --cluster and --cluster-storage are not used for time "
            "series; drop them."
        )
    if s.model != "auto" or s.fine_tune:
        raise ConfigError("--model and --fine-tune are for images and texts; drop them for time series.")
    if plan.given_options("test", "val", "resume", "group", "bins", "balance", "group_split", "y", "images"):
        raise ConfigError(
            "A forecaster tests on the last steps of each series; drop --test, --val, --resume, --group, "
            "--bins, --balance and --group-split."
        )


def _check_horizon(horizon, season) -> tuple[int, int | None]:
    if not whole_number(horizon):
        raise ConfigError(
            f"A forecast needs --horizon, a whole number of steps of at least 1; got {horizon!r}."
        )
    if season is not None and not whole_number(season):
        raise ConfigError(f"--season must be a whole number of steps of at least 1; got {season!r}.")
    return int(horizon), None if season is None else int(season)
