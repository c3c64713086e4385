"""Explanations of table models are checked, not just produced: on a generated table
where only two columns decide the label, those two rank first, the rules that mimic
the model agree with it on rows they were not fitted on, and hiding a column that
matters moves a prediction more than hiding one that does not."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from deepstart import Predictor
from deepstart.data.tables import as_text_table
from deepstart.modalities.tables.explain import explain_table, row_attributions

from conftest import customers, run_cli


def two_columns_matter(n: int = 500, seed: int = 0) -> pd.DataFrame:
    """Six noise columns; the label depends on x1 and on colour alone."""
    rng = np.random.default_rng(seed)
    table = pd.DataFrame({f"x{i}": rng.normal(size=n).round(3) for i in range(6)})
    table["colour"] = rng.choice(["red", "green", "blue"], n)
    score = 2 * table["x1"] + 2.5 * (table["colour"] == "red") + rng.normal(0, 0.3, n)
    return table.assign(label=np.where(score > 1, "yes", "no"))


@pytest.fixture(scope="module")
def model():
    return Predictor(epochs=30).fit(two_columns_matter(), target="label")


def test_the_two_columns_that_matter_rank_first(model):
    found = explain_table(model, as_text_table(two_columns_matter(300, seed=1)))
    ranked = [r["column"] for r in found["importance"]]
    assert set(ranked[:2]) == {"x1", "colour"}, ranked
    assert found["importance"][1]["importance"] > 5 * max(r["importance"] for r in found["importance"][2:])


def test_surrogate_rules_mimic_the_model(model):
    surrogate = explain_table(model, as_text_table(two_columns_matter(300, seed=1)))["surrogate"]
    assert surrogate["fidelity"]["agreement"] >= 0.85
    text = "\n".join(surrogate["rules"])
    assert "x1" in text and "colour is red" in text and text.count("if ") == len(surrogate["rules"])


def test_hiding_the_column_that_decides_moves_the_prediction_most(model):
    rows = as_text_table(two_columns_matter(40, seed=2).drop(columns="label"))
    records = row_attributions(model, rows)
    top = [next(iter(r["contributions"])) for r in records]
    assert sum(c in ("x1", "colour") for c in top) >= 0.9 * len(top)


def test_explain_through_the_cli(tmp_path):
    two_columns_matter(300).to_csv(tmp_path / "t.csv", index=False)
    assert (
        run_cli("train", str(tmp_path / "t.csv"), "--target", "label", "--out", str(tmp_path / "m"))[0] == 0
    )
    two_columns_matter(5, seed=3).drop(columns="label").to_csv(tmp_path / "rows.csv", index=False)
    code, out, err = run_cli(
        "explain",
        str(tmp_path / "m"),
        str(tmp_path / "rows.csv"),
        "--global",
        "--data",
        str(tmp_path / "t.csv"),
    )
    assert code == 0, err
    assert "moved most by" in out and "Columns by importance" in out and "Rules that mimic the model" in out
    code, _, err = run_cli(
        "explain", str(tmp_path / "m"), str(tmp_path / "rows.csv"), "--out", str(tmp_path / "why")
    )
    assert code == 0, err
    saved = json.loads((tmp_path / "why" / "explanations.json").read_text())
    assert len(saved["rows"]) == 5


def test_explain_refuses_what_it_cannot_do_yet(tmp_path):
    from test_series import sales

    sales(120, stores=("north",)).to_csv(tmp_path / "s.csv", index=False)
    args = ["train", str(tmp_path / "s.csv"), "--task", "timeseries", "--target", "units", "--horizon", "7"]
    assert run_cli(*args, "--epochs", "1", "--out", str(tmp_path / "f"))[0] == 0
    code, _, err = run_cli("explain", str(tmp_path / "f"), str(tmp_path / "s.csv"))
    assert code == 2 and "image, text and table models" in err


def test_explain_bad_requests(tmp_path):
    from test_bad_input import assert_refused

    two_columns_matter(120).to_csv(tmp_path / "t.csv", index=False)
    assert (
        run_cli(
            "train",
            str(tmp_path / "t.csv"),
            "--target",
            "label",
            "--epochs",
            "2",
            "--out",
            str(tmp_path / "m"),
        )[0]
        == 0
    )
    model = str(tmp_path / "m")
    assert_refused(["explain", model], "Give tables of rows")
    assert_refused(["explain", model, "--global"], "--global needs --data")
    two_columns_matter(60).drop(columns="label").to_csv(tmp_path / "unlabelled.csv", index=False)
    assert_refused(
        ["explain", model, "--global", "--data", str(tmp_path / "unlabelled.csv")], "lacks the target"
    )


def test_a_group_served_much_worse_is_flagged(tmp_path):
    table = two_columns_matter(400)
    rng = np.random.default_rng(4)
    table["region"] = np.where(np.arange(400) % 3 == 0, "south", "north")
    south = table["region"] == "south"
    table.loc[south, "label"] = rng.choice(["yes", "no"], int(south.sum()))  # no pattern in the south
    table.to_csv(tmp_path / "t.csv", index=False)
    assert (
        run_cli("train", str(tmp_path / "t.csv"), "--target", "label", "--out", str(tmp_path / "m"))[0] == 0
    )
    code, out, err = run_cli(
        "evaluate", str(tmp_path / "m"), str(tmp_path / "t.csv"), "--group", "region", "--json"
    )
    assert code == 0, err
    groups = json.loads(out)["groups"]
    assert groups["flag"] and "'south'" in groups["message"]
    assert groups["by_group"]["north"]["accuracy"] > groups["by_group"]["south"]["accuracy"] + 0.1
    code, out, err = run_cli(  # a column of many numbers: its quarters, not one group per value
        "evaluate", str(tmp_path / "m"), str(tmp_path / "t.csv"), "--group", "x0", "--json"
    )
    quarters = json.loads(out)["groups"]["by_group"]
    assert (
        code == 0
        and len(quarters) == 4
        and all(" to " in k and 95 <= m["n"] <= 105 for k, m in quarters.items())
    )


def test_report_names_the_values_behind_each_worst_mistake(model, tmp_path):
    table = as_text_table(two_columns_matter())
    assert model.worst_
    for mistake in model.worst_:  # the row's own values are kept with the mistake
        row = table.iloc[int(mistake["input"].removeprefix("row ")) - 1]
        assert mistake["row"] == row.drop("label").to_dict()
    model.save(tmp_path / "m")
    page = (tmp_path / "m" / "report.html").read_text()
    lists = re.findall(r"<ul class='effects'>(.*?)</ul>", page)
    assert len(lists) == len(model.worst_)
    said = [
        re.findall(
            r"<li>(\w+) = [^<]+ pushed (?:towards|away from) &#x27;(?:yes|no)&#x27; by [\d.]+</li>", items
        )
        for items in lists
    ]
    assert all(said), lists
    assert sum(found[0] in ("x1", "colour") for found in said) >= len(said) - 1  # the deciding columns lead


def test_worst_mistakes_are_explained_when_a_column_holds_times_of_day(tmp_path, caplog):
    """ISO timestamps give the model an hour to learn from; hiding the column (as row
    explanations do) leaves no hour in the cells, and the model must still read them."""
    table = customers(200).drop(columns=["spend_next"])
    start = pd.Timestamp("2012-01-01T06:16:41Z")
    table["time"] = (start + pd.to_timedelta(np.arange(200) * 3671, unit="s")).strftime("%Y-%m-%dT%H:%M:%SZ")
    model = Predictor(epochs=3).fit(table, target="churned")
    assert any(f["part"] == "hour" for f in model.encoder_.numeric) and model.worst_
    model.save(tmp_path / "m")
    assert "without explanations" not in caplog.text  # was: (KeyError: 'hour')
    page = (tmp_path / "m" / "report.html").read_text()
    assert len(re.findall(r"<ul class='effects'>", page)) == len(model.worst_)
    midnight = as_text_table(table.drop(columns="churned")[:1].assign(time="2012-01-01T00:00:00Z"))
    assert model.predict(midnight)  # a single row at midnight holds no hour other than 0
