"""Bad tables: one plain line and exit code 2 with nothing written, or, where the
data can still be used, a notice saying what was done."""

import json
import pickle

import numpy as np
import pytest
import torch

from deepstart import Predictor
from deepstart.data.tables import as_text_table
from deepstart.errors import ModelFileError
from test_bad_input import assert_refused

from conftest import customers, run_cli


@pytest.fixture
def table(tmp_path):
    data = customers(80).drop(columns=["spend_next"])
    data.to_csv(tmp_path / "t.csv", index=False)
    return data


def train_args(tmp_path, name="t.csv", *more):
    return ["train", str(tmp_path / name), "--out", str(tmp_path / "m"), "--epochs", "2", *more]


def test_target_column_that_does_not_exist(table, tmp_path):
    assert_refused(
        train_args(tmp_path, "t.csv", "--target", "left"), "Column 'left' is not in", tmp_path / "m"
    )


def test_rows_without_a_target_are_named(table, tmp_path):
    table.loc[[3, 7], "churned"] = ["", "NA"]
    table.to_csv(tmp_path / "t.csv", index=False)
    line = assert_refused(
        train_args(tmp_path, "t.csv", "--target", "churned"), "have no value", tmp_path / "m"
    )
    assert "row 4, 8" in line


def test_constant_target(table, tmp_path):
    table.assign(churned="no").to_csv(tmp_path / "t.csv", index=False)
    assert_refused(train_args(tmp_path, "t.csv", "--target", "churned"), "only one class", tmp_path / "m")


def test_constant_number_target_for_regression(table, tmp_path):
    table.assign(churned=3.5).to_csv(tmp_path / "t.csv", index=False)
    args = train_args(tmp_path, "t.csv", "--target", "churned", "--task", "regression")
    assert_refused(args, "nothing to predict", tmp_path / "m")


def test_regression_target_given_as_text(table, tmp_path):
    table.assign(price=[f"${v},000" for v in range(len(table))]).to_csv(tmp_path / "t.csv", index=False)
    args = train_args(tmp_path, "t.csv", "--target", "price", "--task", "regression")
    assert_refused(args, "must hold numbers for regression", tmp_path / "m")


def test_column_of_mixed_types(table, tmp_path):
    table["age"] = table["age"].astype(object)
    table.loc[[2, 9], "age"] = ["unknown", "thirty"]
    table.to_csv(tmp_path / "t.csv", index=False)
    line = assert_refused(
        train_args(tmp_path, "t.csv", "--target", "churned"), "Column 'age'", tmp_path / "m"
    )
    assert "'unknown'" in line


def test_no_column_to_learn_from(tmp_path):
    data = customers(60)[["customer_id", "churned"]].assign(empty="")
    data.to_csv(tmp_path / "t.csv", index=False)
    assert_refused(
        train_args(tmp_path, "t.csv", "--target", "churned"), "can be learned from", tmp_path / "m"
    )


def test_empty_columns_and_infinities_are_handled_with_a_notice(table, tmp_path):
    table["empty"] = np.nan
    table.loc[[1, 4], "visits"] = [np.inf, -np.inf]
    table.to_csv(tmp_path / "t.csv", index=False)
    code, out, err = run_cli(*train_args(tmp_path, "t.csv", "--target", "churned"))
    assert code == 0, err
    assert "'empty' (empty)" in err and "2 infinite values" in err
    assert np.isfinite(Predictor.load(tmp_path / "m").predict_proba(table)).all()


def test_column_missing_at_prediction(table, tmp_path):
    assert run_cli(*train_args(tmp_path, "t.csv", "--target", "churned"))[0] == 0
    table.drop(columns=["age", "plan"]).to_csv(tmp_path / "new.csv", index=False)
    line = assert_refused(["predict", str(tmp_path / "m"), str(tmp_path / "new.csv")], "lacks the columns")
    assert "'age', 'plan'" in line


def test_tampered_classical_model_is_refused(table, tmp_path):
    """The model file is safetensors + JSON; a pickle put in its place is never run."""
    assert run_cli(*train_args(tmp_path, "t.csv", "--target", "churned"))[0] == 0
    model = tmp_path / "m"
    manifest = json.loads((model / "manifest.json").read_text())
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (model / "model.safetensors").write_bytes(pickle.dumps(Payload()))
    with pytest.raises(ModelFileError, match="does not match the manifest"):
        Predictor.load(model)
    import hashlib

    manifest["weights_sha256"] = hashlib.sha256((model / "model.safetensors").read_bytes()).hexdigest()
    (model / "manifest.json").write_text(json.dumps(manifest))  # a tamperer who also fixes the hash
    with pytest.raises(ModelFileError, match="cannot be read"):
        Predictor.load(model)
    assert not marker.exists()


def test_tampered_tree_arrays_are_refused(table, tmp_path):
    from safetensors.torch import load_file, save_file

    p = Predictor(epochs=2).fit(table, target="churned")
    from sklearn.tree import DecisionTreeClassifier

    from deepstart.classical import TreeEnsemble

    rows = p.encoder_.design(p.encoder_.encode(as_text_table(table.drop(columns="churned"))).features)
    p.classical_ = TreeEnsemble.from_decision_tree(DecisionTreeClassifier().fit(rows, table["churned"]), "t")
    p.choice_ = "classical"
    p.save(tmp_path / "m")
    weights = tmp_path / "m" / "model.safetensors"
    tensors = load_file(weights)
    tensors["classical.feature"][0] = 10_000  # a feature the rows do not have
    save_file(tensors, weights)
    import hashlib

    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    manifest["weights_sha256"] = hashlib.sha256(weights.read_bytes()).hexdigest()
    (tmp_path / "m" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match="invalid manifest or weights"):
        Predictor.load(tmp_path / "m")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda m, t: t.__setitem__("classical.left", t["classical.left"].double()),  # indices as floats
        lambda m, t: t.__setitem__("classical.value", torch.cat([t["classical.value"]] * 2, 1)),  # 4 classes
        lambda m, t: m["net"].__setitem__("cardinalities", [10**9]),  # a huge embedding
        lambda m, t: m["encoder"]["numeric"][0].__setitem__("part", "year"),  # a date part of a number
        lambda m, t: m["encoder"]["numeric"][0].__setitem__("std", float("nan")),
    ],
)
def test_tampered_model_parts_are_refused(tamper, table, tmp_path):
    import hashlib

    from safetensors.torch import load_file, save_file
    from sklearn.ensemble import HistGradientBoostingClassifier

    from deepstart.classical import TreeEnsemble

    p = Predictor(epochs=1).fit(table, target="churned")
    rows = p.encoder_.design(p.encoder_.encode(as_text_table(table.drop(columns="churned"))).features)
    gbm = HistGradientBoostingClassifier(max_iter=5).fit(rows, table["churned"])
    p.classical_, p.choice_ = TreeEnsemble.from_hist_gradient_boosting(gbm, "gbm"), "classical"
    model = p.save(tmp_path / "m")
    manifest = json.loads((model / "manifest.json").read_text())
    tensors = load_file(model / "model.safetensors")
    tamper(manifest, tensors)
    save_file(tensors, model / "model.safetensors")
    manifest["weights_sha256"] = hashlib.sha256((model / "model.safetensors").read_bytes()).hexdigest()
    (model / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match="invalid manifest or weights"):
        Predictor.load(model)


def test_a_very_wide_table_is_refused_at_once(tmp_path):
    header = ",".join(f"c{i}" for i in range(20_000)) + ",y"
    (tmp_path / "wide.csv").write_text(header + "\n" + ",".join(["1"] * 20_001) + "\n")
    assert_refused(["train", str(tmp_path / "wide.csv"), "--target", "y"], "20,001 columns")
