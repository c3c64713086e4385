"""Stratified splits that keep every class in every part, and settings validated in
one place with one message shape."""

import numpy as np
import pytest

from deepstart import ConfigError, DataError, Predictor
from deepstart.data.split import stratified_split


def test_split_is_stratified_disjoint_and_repeatable():
    y = np.array([0] * 80 + [1] * 20)
    kept, held = stratified_split(y, 0.25, seed=1)
    assert sorted(np.concatenate([kept, held]).tolist()) == list(range(100))
    assert np.bincount(y[held]).tolist() == [20, 5]
    again = stratified_split(y, 0.25, seed=1)
    assert (again[1] == held).all() and not (stratified_split(y, 0.25, seed=2)[1] == held).all()


def test_tiny_classes_keep_one_example_on_each_side():
    y = np.array([0, 0, 1, 1, 1, 1, 1, 1, 1, 1])
    kept, held = stratified_split(y, 0.1, seed=0)
    assert set(y[held]) == {0, 1} and set(y[kept]) == {0, 1}


@pytest.mark.parametrize("count", [40, 7, 59])
def test_a_count_is_exact(count):
    y = np.array([0] * 24 + [1] * 24 + [2] * 24 + [3] * 13)
    assert len(stratified_split(y, count, seed=0)[1]) == count


def test_holding_out_too_much_is_refused():
    y = np.array([0] * 2 + [1] * 2)
    kept, held = stratified_split(y, 0.5, seed=0)
    with pytest.raises(DataError, match="at least one example on each side"):
        stratified_split(y[kept], 0.5, seed=0, what="val")


def test_a_count_is_spread_over_classes():
    y = np.array([0] * 300 + [1] * 700)
    assert np.bincount(y[stratified_split(y, 100, seed=0)[1]]).tolist() == [30, 70]


@pytest.mark.parametrize(
    "settings,match",
    [
        ({"test_size": 1.5}, "test_size"),
        ({"test_size": 0}, "test_size"),
        ({"epochs": 0}, "epochs"),
        ({"lr": -1.0}, "lr"),
        ({"dropout": 1.0}, "dropout"),
        ({"seed": "x"}, "seed"),
    ],
)
def test_invalid_settings_name_what_was_expected(settings, match):
    with pytest.raises(ConfigError, match=f"Invalid value for {match} .*Expected .*Received"):
        Predictor(**settings)


def test_unknown_setting_is_a_type_error():
    with pytest.raises(TypeError):
        Predictor(learning_rate=0.1)


def test_unknown_task_is_refused_before_any_work(tmp_path):
    with pytest.raises(ConfigError, match="Expected one of: auto, image, text, tabular, .*Received: 'sound'"):
        Predictor().fit(tmp_path / "does-not-matter", task="sound")


def test_setting_choices_match_the_models():
    from deepstart.models.layers import ACTIVATIONS as BUILT
    from deepstart.settings import ACTIVATIONS

    assert ACTIVATIONS == tuple(BUILT)
