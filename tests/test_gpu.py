"""The networks added for tables, series and sequences train on a CUDA GPU when there is
one: batches reach the model's device, and the trained model comes back to a CPU."""

import numpy as np
import pytest
import torch

from deepstart import Forecaster, Predictor
from test_sequences import traces
from test_series import sales

from conftest import customers

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]


@pytest.fixture
def seen_devices(monkeypatch):
    """The device of every batch the shared loop feeds a network."""
    from deepstart.train import loop

    seen, inputs = set(), loop.inputs

    def spy(x_all, idx, model, layout):
        x = inputs(x_all, idx, model, layout)
        seen.add((x if isinstance(x, torch.Tensor) else next(iter(x.values()))).device.type)
        return x

    monkeypatch.setattr(loop, "inputs", spy)
    return seen


def test_table_mlp_on_the_gpu(seen_devices, tmp_path):
    table = customers(400).drop(columns=["spend_next"])
    p = Predictor(epochs=20).fit(table, target="churned", task="tabular")
    assert "cuda" in seen_devices
    deep = next(r for r in p.leaderboard_ if r["name"] == "deep")
    assert deep["test_accuracy"] >= 0.8
    loaded = Predictor.load(p.save(tmp_path / "m"))
    np.testing.assert_allclose(loaded.predict_proba(table[:20]), p.predict_proba(table[:20]), atol=1e-4)


def test_regression_mlp_on_the_gpu(seen_devices):
    table = customers(400).drop(columns=["churned"])
    p = Predictor(epochs=30).fit(table, target="spend_next", task="tabular")
    assert "cuda" in seen_devices and p.task_ == "regression"
    deep = next(r for r in p.leaderboard_ if r["name"] == "deep")
    assert deep["test_rmse"] < table["spend_next"].std() / 2


def test_sequence_cnn_on_the_gpu(seen_devices):
    x, y = traces()
    p = Predictor(epochs=30).fit(x, y)
    assert "cuda" in seen_devices
    deep = next(r for r in p.leaderboard_ if r["name"] == "deep")
    assert deep["test_accuracy"] > 0.9


def test_gru_forecaster_on_the_gpu(seen_devices, tmp_path):
    f = Forecaster().fit(sales(), target="units", time_column="date", id_column="store", horizon=7)
    assert "cuda" in seen_devices
    deep = next(r for r in f.leaderboard_ if r["name"] == "deep")
    assert deep["test_mase"] < 1.5
