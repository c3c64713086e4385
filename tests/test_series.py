"""Time series: reading regular series, season detection, the baselines, and training,
saving, evaluating and forecasting end to end; and the bad inputs, each one line."""

import json
import time

import numpy as np
import pandas as pd
import pytest

from deepstart import Forecaster
from deepstart.classical.series import detect_season, seasonal_naive
from test_bad_input import assert_refused

from conftest import run_cli


def sales(days: int = 200, stores=("north", "south"), seed: int = 0) -> pd.DataFrame:
    """Daily units per store: a weekly pattern, a slow trend and a little noise."""
    rng = np.random.default_rng(seed)
    frames = []
    for k, store in enumerate(stores):
        t = np.arange(days)
        weekly = np.array([0, 2, 3, 3, 4, 9, 7])[t % 7] * (k + 1)
        units = 20 + 5 * k + 0.05 * t + weekly + rng.normal(0, 0.3, days)
        dates = pd.date_range("2024-01-01", periods=days, freq="D").strftime("%Y-%m-%d")
        frames.append(pd.DataFrame({"date": dates, "store": store, "units": units.round(2)}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def forecaster(tmp_path_factory):
    root = tmp_path_factory.mktemp("series")
    sales().to_csv(root / "sales.csv", index=False)
    args = ["train", str(root / "sales.csv"), "--task", "timeseries", "--target", "units", "--time", "date"]
    code, out, err = run_cli(*args, "--id", "store", "--horizon", "7", "--out", str(root / "m"))
    assert code == 0, err
    return root, out


def test_season_is_detected():
    t = np.arange(400)
    assert detect_season([np.sin(2 * np.pi * t / 12) + 0.01 * t], 100) == 12
    walk = np.random.default_rng(0).normal(size=400).cumsum()
    assert detect_season([walk], 100) == 1


def test_seasonal_naive_repeats_the_last_season():
    history = np.array([[1.0, 2, 3, 4, 5, 6]])
    np.testing.assert_array_equal(seasonal_naive(history, 5, 3), [[4, 5, 6, 4, 5]])
    np.testing.assert_array_equal(seasonal_naive(history, 2, 1), [[6, 6]])


def test_forecaster_end_to_end(forecaster):
    root, out = forecaster
    assert "season of 7 steps (calendar)" in out and "seasonal naive" in out
    manifest = json.loads(run_cli("info", str(root / "m"), "--json")[1])
    assert manifest["task"] == "forecasting" and manifest["encoder"]["season"] == 7
    board = manifest["leaderboard"]
    statistical = {"naive", "seasonal-naive", "ets", "theta", "arima", "combination"}
    assert {r["name"] for r in board} == {"deep", "linear-ar", "ensemble", *statistical}
    assert board[0]["chosen"] and board[0]["name"] == manifest["choice"]
    others = [r["validation_mase"] for r in board[1:]]
    assert others == sorted(others)  # the others by validation MASE
    assert manifest["net"]["name"] == "mlp-forecaster" and manifest["model"]["name"] == "mlp-forecaster"
    assert manifest["metrics"]["test"]["mase"] < 1  # a clear weekly pattern beats the naive forecast
    deep = next(r for r in board if r["name"] == "deep")
    assert deep["test_mase"] < 1  # the GRU itself learned the pattern


def test_forecast_continues_each_series(forecaster, tmp_path):
    root, _ = forecaster
    history = sales(150)
    history.to_csv(tmp_path / "history.csv", index=False)
    code, out, err = run_cli("predict", str(root / "m"), str(tmp_path / "history.csv"), "--json")
    assert code == 0, err
    records = json.loads(out)
    assert len(records) == 2 * 7
    assert set(records[0]) == {"store", "date", "step", "units"}  # the user's own columns: it joins back
    north = [r for r in records if r["store"] == "north"]
    assert [r["date"] for r in north] == [
        d.strftime("%Y-%m-%d") for d in pd.date_range("2024-05-30", periods=7)
    ]
    truth = sales(157)
    expected = truth[(truth.store == "north")].units.to_numpy()[-7:]
    assert np.abs(np.array([r["units"] for r in north]) - expected).mean() < 3


def test_evaluate_and_round_trip(forecaster):
    root, _ = forecaster
    code, out, err = run_cli("evaluate", str(root / "m"), str(root / "sales.csv"), "--json")
    assert code == 0, err
    metrics = json.loads(out)
    assert set(metrics) >= {"mase", "smape", "mae", "mae_relative_to_seasonal_naive", "n"}
    loaded = Forecaster.load(root / "m")
    again = Forecaster.load(root / "m")
    assert loaded.forecast(root / "sales.csv") == again.forecast(root / "sales.csv")


def _train(tmp_path, table: pd.DataFrame, *more: str):
    table.to_csv(tmp_path / "s.csv", index=False)
    return ["train", str(tmp_path / "s.csv"), "--task", "timeseries", "--out", str(tmp_path / "m"), *more]


def test_duplicate_timestamps(tmp_path):
    table = sales(60, stores=("north",))
    table = pd.concat([table, table.iloc[[5]]])
    args = _train(tmp_path, table, "--target", "units", "--time", "date", "--horizon", "3")
    assert_refused(args, "duplicate time steps", tmp_path / "m")


def test_many_series_without_id(tmp_path):
    args = _train(tmp_path, sales(60), "--target", "units", "--time", "date", "--horizon", "3")
    assert "--id" in assert_refused(args, "duplicate time steps", tmp_path / "m")


def test_horizon_longer_than_the_history(tmp_path):
    args = _train(tmp_path, sales(40, stores=("north",)), "--target", "units", "--horizon", "30")
    assert_refused(args, "too long for the history", tmp_path / "m")


def test_target_given_as_text(tmp_path):
    table = sales(60, stores=("north",)).assign(units="many")
    args = _train(tmp_path, table, "--target", "units", "--horizon", "3")
    assert_refused(args, "must hold numbers", tmp_path / "m")


def test_time_that_is_not_a_date(tmp_path):
    table = sales(60, stores=("north",))
    table.loc[4, "date"] = "soon"
    args = _train(tmp_path, table, "--target", "units", "--horizon", "3")
    assert_refused(args, "not a date or a number", tmp_path / "m")


def test_missing_horizon(tmp_path):
    args = _train(tmp_path, sales(60, stores=("north",)), "--target", "units")
    assert_refused(args, "--horizon", tmp_path / "m")


def test_series_options_make_the_data_a_series(tmp_path):
    """--horizon (or --time, --id, --season) says the table is a series: no --task needed;
    with a --task for another kind of data, they are refused in one line."""
    sales(60, stores=("north",)).to_csv(tmp_path / "s.csv", index=False)
    args = ["train", str(tmp_path / "s.csv"), "--horizon", "3", "--out", str(tmp_path / "m")]
    assert_refused(args, "to forecast", tmp_path / "m")  # a series, whose column to forecast is asked for
    assert_refused([*args, "--task", "tabular"], "are for time series", tmp_path / "m")
    code, _, err = run_cli(*args, "--target", "units", "--epochs", "2")
    assert code == 0 and "Forecast" in err, err


def test_gaps_are_reported_and_filled(tmp_path):
    table = sales(120, stores=("north",)).drop(index=[30, 31, 50])
    args = _train(tmp_path, table, "--target", "units", "--horizon", "7", "--epochs", "2")
    code, _, err = run_cli(*args)
    assert code == 0, err
    assert "skips 3 time steps" in err


def test_day_first_dates_are_read_as_written(tmp_path):
    table = sales(120, stores=("north",))
    table["date"] = pd.to_datetime(table["date"]).dt.strftime("%d/%m/%Y")  # 13/01/2024 only reads day first
    args = _train(tmp_path, table, "--target", "units", "--time", "date", "--horizon", "7", "--epochs", "2")
    code, _, err = run_cli(*args)
    assert code == 0, err
    assert "skips" not in err  # read month first, the days would scatter over the year
    records = Forecaster.load(tmp_path / "m").forecast(tmp_path / "s.csv")
    assert records[0]["date"] == "2024-04-30"  # the day after the last of 120 days from 1 January


def test_monthly_steps_on_the_15th(tmp_path):
    months = pd.date_range("2010-01-15", periods=60, freq=pd.DateOffset(months=1)).strftime("%Y-%m-%d")
    table = pd.DataFrame({"date": months, "units": np.arange(60) % 12 + np.arange(60) * 0.1})
    args = _train(tmp_path, table, "--target", "units", "--horizon", "3", "--epochs", "2")
    code, _, err = run_cli(*args)
    assert code == 0, err
    times = [r["date"] for r in Forecaster.load(tmp_path / "m").forecast(tmp_path / "s.csv")]
    assert times == ["2015-01-15", "2015-02-15", "2015-03-15"]


def test_season_longer_than_the_history(tmp_path):
    table = sales(100, stores=("north",))
    args = _train(tmp_path, table, "--target", "units", "--horizon", "7", "--season", "60")
    assert_refused(args, "--season 60 is too long", tmp_path / "m")


def test_forecasts_do_not_depend_on_how_much_history_is_given(forecaster, tmp_path):
    root, _ = forecaster
    loaded = Forecaster.load(root / "m")
    loaded.choice_ = "deep"  # the network reads a window, scaled by the spread learned in training
    full, recent = sales(150), sales(150).groupby("store").tail(loaded.lookback_ + 5)
    recent.to_csv(tmp_path / "recent.csv", index=False)
    full.to_csv(tmp_path / "full.csv", index=False)
    a = [r["units"] for r in loaded.forecast(tmp_path / "full.csv")]
    b = [r["units"] for r in loaded.forecast(tmp_path / "recent.csv")]
    np.testing.assert_allclose(a, b, rtol=1e-6)


def test_report_shows_the_metrics_and_the_last_test_window(forecaster, tmp_path):
    import base64
    import io
    import re

    from PIL import Image

    root, _ = forecaster
    page = (root / "m" / "report.html").read_text()
    test = json.loads((root / "m" / "manifest.json").read_text())["metrics"]["test"]
    for shown in (f"{test['mase']:.3f}", f"{test['smape']:.2f} %", f"{test['mae']:.4g}"):
        assert shown in page
    assert f"{test['mae_relative_to_seasonal_naive']:.2f} ×" in page
    assert "one step = 1 day" in page and "seasonal naive" in page and "Diagnostics" in page
    plots = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,([^"]+)"', page)
    assert [alt for alt, _ in plots] == ["forecast of the last test window", "training curve"]
    window = Image.open(io.BytesIO(base64.b64decode(plots[0][1])))
    assert window.format == "PNG" and window.height > window.width / 2  # a panel per series
    assert "http:" not in page and "https:" not in page and "<script" not in page
    Forecaster.load(root / "m").save(tmp_path / "again")  # the plot survives loading and saving
    assert (tmp_path / "again" / "report.html").read_text() == page


def test_a_long_weekly_series_is_read(tmp_path):
    """50 steps a row past the first week of a 2,300-week series lies past the calendar's
    end (2262): that sanity bound must not overflow."""
    from deepstart.data.tables import as_text_table
    from deepstart.modalities.series.read import read_series

    weeks = pd.date_range("1958-03-29", periods=2300, freq="W-SAT").strftime("%Y-%m-%d")
    table = pd.DataFrame({"date": weeks, "co2": 315 + np.arange(2300) * 0.03})
    series = read_series(as_text_table(table), "t", "co2", "date", None)
    assert len(series.values[0]) == 2300


def test_a_random_walk_keeps_the_naive_forecast_and_says_so(tmp_path):
    rng = np.random.default_rng(0)
    dates = pd.date_range("2020-01-01", periods=500, freq="D").strftime("%Y-%m-%d")
    pd.DataFrame({"date": dates, "v": np.cumsum(rng.normal(size=500)) + 100}).to_csv(
        tmp_path / "w.csv", index=False
    )
    args = ["train", str(tmp_path / "w.csv"), "--task", "timeseries", "--target", "v", "--time", "date"]
    code, out, err = run_cli(*args, "--horizon", "7", "--epochs", "5", "--out", str(tmp_path / "m"))
    assert code == 0, err
    board = json.loads((tmp_path / "m" / "manifest.json").read_text())["leaderboard"]
    assert board[0]["name"] == "naive", board[:3]
    assert "No model beat the naive forecast (the last value) on validation by more than the noise" in out


@pytest.mark.parametrize("days, test_windows, validation_windows", [(200, 2, 2), (600, 4, 8)])
def test_validation_window_is_longer_where_the_history_allows(days, test_windows, validation_windows):
    from deepstart.modalities.series.read import read_series_from
    from deepstart.modalities.series.windows import layout

    series = read_series_from(sales(days), "units", "date", "store")
    cut = layout(series, 7, None, 4)
    assert (cut.k, cut.kv) == (test_windows, validation_windows)
    assert cut.train_end == [days - (test_windows + validation_windows) * 7] * 2


def test_the_kept_model_learns_again_from_the_whole_history(forecaster):
    root, _ = forecaster
    manifest = json.loads((root / "m" / "manifest.json").read_text())
    refit, encoder, choice = manifest["training"]["refit"], manifest["encoder"], manifest["choice"]
    per_series = 200 - encoder["lookback"] - encoder["horizon"] + 1  # every window of the 200 days
    assert refit["windows"] == 2 * per_series  # both stores, the validation and test days included
    uses = {"deep", "linear-ar"} & ({choice} | ({"deep"} if choice == "ensemble" else set()))
    assert uses <= set(refit["models"])


def test_forecast_times_keep_one_format_per_column():
    from deepstart.forecaster import _times

    hours = list(pd.date_range("2010-12-31 22:00", periods=4, freq="h"))  # across midnight
    assert _times(hours) == [
        "2010-12-31T22:00:00",
        "2010-12-31T23:00:00",
        "2011-01-01T00:00:00",
        "2011-01-01T01:00:00",
    ]
    assert pd.to_datetime(pd.Series(_times(hours))).tolist() == hours  # pandas reads the column back
    assert _times(list(pd.date_range("2010-12-30", periods=2, freq="D"))) == ["2010-12-30", "2010-12-31"]
    assert _times([2009.0, 2010.0]) == [2009, 2010] and _times([1.5, 2.0]) == [1.5, 2.0]


def test_statistical_forms_are_json_and_refit_without_the_search():
    """What AutoARIMA and AutoETS found is kept as JSON; fitted again in that form on a
    longer history, the forecast is finite; a form that does not read as one (a manifest
    from elsewhere) falls back to the search."""
    from deepstart.classical import statistical

    t = np.arange(96)
    y = 10 + 0.05 * t + np.array([0, 3, 1, -2])[t % 4] + np.random.default_rng(0).normal(0, 0.3, 96)
    for name in ("arima", "ets", "combination"):
        fitted = statistical.fit(name, y[:80], [4])
        form = json.loads(json.dumps(statistical.form(name, fitted)))
        assert form and (name != "combination" or set(form) == set(statistical.COMBINED)), form
        again = statistical.fit(name, y, [4], form)
        ahead = statistical.forward(again, y, 4)
        assert ahead.shape == (4,) and np.isfinite(ahead).all()
        assert np.abs(ahead - statistical.forecast(name, y, [4], 4)).max() < 3  # close to the search's
    bad = {"order": [99, "x", 1], "seasonal_order": [0, 0, 0], "season": 4, "mean": True, "drift": False}
    assert statistical.fit("arima", y, [4], bad) is not None


def test_a_long_fit_keeps_reporting_and_can_be_left():
    from deepstart.classical.statistical import watched

    beats = []
    assert watched(lambda: time.sleep(0.35) or 7, beats.append, every=0.1) == (True, 7)
    assert len(beats) >= 2  # a progress event while the work runs, not only at its end
    start = time.perf_counter()
    assert watched(lambda: time.sleep(5), lambda s: None, every=0.05, give_up=lambda: True) == (False, None)
    assert time.perf_counter() - start < 1  # left to finish on its own: the run goes on


class _Board:
    """A backtest whose gaps between models are given: {(model, other): (mean gap, noise)}."""

    def __init__(self, gaps: dict, naive_mase: float = 1.0):
        self._gaps, self.naive_mase = gaps, naive_mase

    def gaps(self, model, other):
        return self._gaps[model, other]

    def metrics(self, model, window):
        return {"mase": self.naive_mase}


def test_the_naive_forecast_is_kept_only_when_really_as_good():
    from deepstart.modalities.series.board import kept

    ranked = ["ets", "combination", "naive"]
    assert kept(_Board({("ets", "naive"): (-0.5, 0.1)}), ranked) == "ets"
    # far better than naive but noisy (one short window): no longer the naive forecast
    assert kept(_Board({("ets", "naive"): (-0.4, 0.6)}), ranked) == "ets"
    assert kept(_Board({("ets", "naive"): (-0.01, 0.02)}), ranked) == "naive"  # within the noise and 3 %
    assert kept(_Board({("ets", "naive"): (-0.01, 0.005)}), ranked) == "ets"  # small but beyond the noise


def test_each_kind_of_kept_model_forecasts_after_loading(forecaster, tmp_path):
    root, _ = forecaster
    loaded = Forecaster.load(root / "m")
    for choice in (
        "combination",
        "arima",
        "ets",
        "theta",
        "ensemble",
        "linear-ar",
        "seasonal-naive",
        "naive",
    ):
        loaded.choice_ = choice
        units = [r["units"] for r in loaded.forecast(root / "sales.csv")]
        assert len(units) == 14 and np.isfinite(units).all(), choice
