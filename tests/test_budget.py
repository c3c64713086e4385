"""--time-limit bounds the whole run (issues 28 and 29): a table, a text set and a series
given a few seconds end within the limit + 10 %, keep the best model found so far, and
say what was cut, in the log, the manifest and the summary. The forms 90s, 10m, 2h."""

import json
import time

import pytest

from deepstart.budget import Budget, describe, duration, limited
from deepstart.errors import ConfigError
from test_series import sales

from conftest import customers, reviews, run_cli

LIMIT = 10.0  # seconds: each of these runs takes several times longer without a limit


def timed_train(args: list[str], out) -> tuple[float, str, dict]:
    start = time.perf_counter()
    code, said, err = run_cli("train", *args, "--time-limit", f"{LIMIT:g}s", "--out", str(out))
    took = time.perf_counter() - start
    assert code == 0, err
    return took, said + err, json.loads((out / "manifest.json").read_text())


@pytest.mark.parametrize("kind", ["table", "text", "series"])
def test_a_run_ends_within_its_time_limit_and_says_what_it_cut(kind, tmp_path):
    if kind == "table":
        customers(400).drop(columns=["spend_next"]).to_csv(tmp_path / "d.csv", index=False)
        args = [str(tmp_path / "d.csv"), "--target", "churned"]
    elif kind == "text":
        reviews(80).to_csv(tmp_path / "d.csv", index=False)  # its embeddings may be cached: many epochs
        args = [str(tmp_path / "d.csv"), "--target", "sentiment", "--epochs", "5000", "--patience", "5000"]
    else:
        sales(300).to_csv(tmp_path / "d.csv", index=False)
        args = [
            str(tmp_path / "d.csv"),
            "--target",
            "units",
            "--time",
            "date",
            "--id",
            "store",
            "--horizon",
            "7",
        ]
    took, said, manifest = timed_train(args, tmp_path / "m")
    budget = manifest["training"]["budget"]
    assert took <= 1.1 * LIMIT, f"{kind}: {took:.1f} s for a limit of {LIMIT} s"
    # the limit + 10 %, as the whole run: a cold model load before training cannot be shortened
    assert budget["limit"] == LIMIT and budget["spent"] <= 1.1 * LIMIT and budget["cuts"], budget
    assert "To keep to the time limit (10 s)" in said and f"Time limit {describe(LIMIT)}:" in said
    assert manifest["metrics"]["test"]  # the best model found so far, measured and saved


def test_durations_read_as_people_write_them():
    assert [duration(v) for v in ("90s", "10m", "2h", "1.5h", "45", 30)] == [90, 600, 7200, 5400, 45, 30]
    for bad in ("ten minutes", "-5m", "0", "5x", float("inf")):
        with pytest.raises(ConfigError, match="such as 90s, 10m or 2h"):
            duration(bad)
    assert describe(90) == "1 min 30 s" and describe(600) == "10 min" and describe(45) == "45 s"


def test_a_budget_keeps_a_reserve_for_saving_and_records_its_cuts():
    with limited(100) as budget:
        assert 90 < budget.left() <= 92  # 8 s of 100 kept for saving the model
        budget.cut("the forest was not tried")
        budget.cut("the forest was not tried")  # said once
        assert budget.record()["cuts"] == ["the forest was not tried"]
    assert Budget().left() == float("inf") and not Budget().over() and Budget().record() is None
    with limited(10, started=time.perf_counter() - 20) as late:
        assert late.over() and late.share(0.5) == 0


def test_compare_keeps_to_its_time_limit_and_says_which_shares_it_left_out(tmp_path):
    customers(400).drop(columns=["spend_next"]).to_csv(tmp_path / "c.csv", index=False)
    start = time.perf_counter()  # without a limit this comparison takes about 30 s here
    code, said, err = run_cli(
        "compare", str(tmp_path / "c.csv"), "--target", "churned", "--time-limit", "8s",
        "--out", str(tmp_path / "cmp"),
    )  # fmt: skip
    took = time.perf_counter() - start
    assert code == 0, err
    assert took <= 1.1 * 8, f"{took:.1f} s for a limit of 8 s"
    points = json.loads((tmp_path / "cmp" / "compare.json").read_text())["points"]
    assert 1 <= len(points) < 6 and "the larger shares were not trained" in said + err
    assert run_cli("compare", str(tmp_path / "c.csv"), "--time-limit", "soon")[0] == 2
