"""Sequence classification: arrays and tables of numbers, a 1-D CNN beside classical
models, saved and loaded; and the bad inputs."""

import json

import numpy as np
import pandas as pd
import pytest

from deepstart import Predictor
from deepstart.errors import DataError
from test_bad_input import assert_refused

from conftest import run_cli


def traces(n: int = 240, length: int = 48, seed: int = 0):
    """Noisy waves whose period (8, 16 or 24 steps) is the class."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    t = np.arange(length)
    x = np.stack(
        [np.sin(2 * np.pi * t / (8 + 8 * k) + rng.uniform(0, 6)) + rng.normal(0, 0.3, length) for k in y]
    )
    return x, y


def test_array_of_sequences_end_to_end(tmp_path):
    x, y = traces()
    p = Predictor(epochs=30).fit(x, y)
    assert p.encoder_.kind == "sequence" and p.recipe_["name"] == "sequence-cnn"
    deep = next(r for r in p.leaderboard_ if r["name"] == "deep")
    assert deep["test_accuracy"] > 0.9  # the CNN itself tells the periods apart
    p.save(tmp_path / "m")
    loaded = Predictor.load(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict_proba(x[:20]), p.predict_proba(x[:20]), atol=1e-6)
    assert loaded.predict(x[:3]) == [int(v) for v in p.predict(x[:3])]


def test_table_of_sequences_through_the_cli(tmp_path):
    x, y = traces(150)
    table = pd.DataFrame(x, columns=[f"t{i}" for i in range(x.shape[1])]).assign(
        label=np.array(["a", "b", "c"])[y]
    )
    table.to_csv(tmp_path / "s.csv", index=False)
    args = ["train", str(tmp_path / "s.csv"), "--task", "sequence", "--target", "label", "--epochs", "5"]
    code, out, err = run_cli(*args, "--out", str(tmp_path / "m"))
    assert code == 0, err
    assert "1-D CNN (deep)" in out and "gradient boosting" in out
    table.drop(columns="label").head(4).to_csv(tmp_path / "new.csv", index=False)
    code, out, err = run_cli("predict", str(tmp_path / "m"), str(tmp_path / "new.csv"), "--json")
    assert code == 0, err
    assert [r["input"] for r in json.loads(out)] == ["row 1", "row 2", "row 3", "row 4"]


def test_one_column_of_numbers_is_a_sequence(tmp_path):
    x, y = traces(90)
    cells = [" ".join(f"{v:.3f}" for v in row) for row in x]
    pd.DataFrame({"trace": cells, "label": y}).to_csv(tmp_path / "s.csv", index=False)
    p = Predictor(epochs=3).fit(tmp_path / "s.csv", target="label", task="sequence")
    assert p.encoder_.length == x.shape[1]
    assert len(p.predict(pd.DataFrame({"trace": cells[:5]}))) == 5


def test_missing_steps_are_interpolated():
    from deepstart.modalities.sequences.read import sequence_array

    out = sequence_array(np.array([[1.0, np.nan, 3.0, 4.0, np.nan]]))
    np.testing.assert_allclose(out[0, 0], [1, 2, 3, 4, 4])


def test_sequences_of_different_lengths_are_refused(tmp_path):
    pd.DataFrame({"trace": ["1 2 3 4 5", "1 2 3 4"] * 10, "label": [0, 1] * 10}).to_csv(
        tmp_path / "s.csv", index=False
    )
    args = ["train", str(tmp_path / "s.csv"), "--task", "sequence", "--target", "label"]
    args += ["--out", str(tmp_path / "m")]
    assert_refused(args, "different lengths", tmp_path / "m")


def test_text_among_the_steps_is_refused(tmp_path):
    x, y = traces(30)
    table = pd.DataFrame(x).assign(note="hi", label=y)
    table.to_csv(tmp_path / "s.csv", index=False)
    args = ["train", str(tmp_path / "s.csv"), "--task", "sequence", "--target", "label"]
    args += ["--out", str(tmp_path / "m")]
    assert_refused(args, "'hi' in column 'note'", tmp_path / "m")


def test_sequence_of_another_length_at_prediction(tmp_path):
    x, y = traces(60)
    p = Predictor(epochs=2).fit(x, y)
    with pytest.raises(DataError, match="48 steps"):
        p.predict(x[:, :40])


def test_missing_markers_in_a_sequence_table_are_filled(tmp_path):
    x, y = traces(60)
    table = pd.DataFrame(x, columns=[f"t{i}" for i in range(x.shape[1])]).astype(object)
    table.iloc[3, 5] = "NA"
    table.assign(label=y).to_csv(tmp_path / "s.csv", index=False)
    p = Predictor(epochs=1).fit(tmp_path / "s.csv", target="label", task="sequence")
    assert p.encoder_.length == x.shape[1]
