"""Tables: column types, task detection, the encoder learned from training rows only,
the classical models stored as arrays (and matching scikit-learn), and training,
saving, loading, evaluating and predicting end to end."""

import json

import numpy as np
import pandas as pd
import pytest

from deepstart import Predictor
from deepstart.classical import LinearModel, TreeEnsemble
from deepstart.data.columns import column_types, detect_task
from deepstart.data.tables import as_text_table
from deepstart.errors import DataError

from conftest import customers, run_cli


@pytest.fixture(scope="module")
def table_model(tmp_path_factory):
    """A churn classifier trained once through the CLI on a generated CSV."""
    root = tmp_path_factory.mktemp("tables")
    customers(400).drop(columns=["spend_next"]).to_csv(root / "customers.csv", index=False)
    code, out, err = run_cli(
        "train",
        str(root / "customers.csv"),
        "--target",
        "churned",
        "--out",
        str(root / "m"),
        "--epochs",
        "30",
    )
    assert code == 0, err
    return root, out, err


def test_column_types_and_the_columns_left_out():
    table = customers(60).drop(columns=["churned", "spend_next"])
    table["empty"], table["same"] = "", "x"
    types, left_out = column_types(as_text_table(table), "t")
    assert types == {
        "age": "numeric",
        "plan": "categorical",
        "active": "boolean",
        "signup": "datetime",
        "visits": "numeric",
    }
    assert {item.split(" ")[0] for item in left_out} == {"'customer_id'", "'notes'", "'empty'", "'same'"}


def test_an_id_is_told_by_its_values_not_by_how_its_name_ends():
    rng = np.random.default_rng(0)
    n = 300
    table = pd.DataFrame(
        {
            "humid": rng.integers(30, 90, n),  # 60 values: a measurement that ends in "id"
            "PID": rng.integers(0, 7, n),  # party identification, 7 values
            "paid": rng.integers(0, 2, n) * 100,
            "row_id": rng.permutation(n) + 5000,  # different in every row: an ID
            "PassengerId": np.arange(1, n + 1),
        }
    )
    types, left_out = column_types(as_text_table(table), "t")
    assert set(types) == {"humid", "PID", "paid"}
    assert {item.split(" ")[0] for item in left_out} == {"'row_id'", "'PassengerId'"}


@pytest.mark.parametrize(
    "values, task",
    [
        (["yes", "no"] * 20, "classification"),
        (["0", "1", "2"] * 20, "classification"),
        ([f"{v / 7:.3f}" for v in range(60)], "regression"),
        ([str(v) for v in range(60)], "regression"),  # many whole numbers: a quantity
    ],
)
def test_task_is_detected_from_the_target(values, task):
    assert detect_task(pd.Series(values), "y", "t") == task


def test_text_target_with_a_value_per_row_is_refused():
    with pytest.raises(DataError, match="too many to be classes"):
        detect_task(pd.Series([f"name {i}" for i in range(60)]), "y", "t")


def test_encoder_learns_from_the_training_rows_only():
    table = customers(300).drop(columns=["spend_next"])
    train, val, test = table[:200], table[200:250], table[250:].assign(age=1000.0)
    p = Predictor(epochs=2).fit(train, target="churned", val=val, test=test)
    age = next(f for f in p.encoder_.numeric if f["column"] == "age")
    assert age["mean"] == pytest.approx(train["age"].mean())  # the test rows' 1000s are not in it
    assert age["std"] == pytest.approx(train["age"].std(ddof=0))


def _fit(kind: str, task: str):
    from sklearn.datasets import load_diabetes, load_wine
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
    )
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.tree import DecisionTreeRegressor

    x, y = (load_diabetes if task == "regression" else load_wine)(return_X_y=True)
    if task == "binary":
        y = (y == 0).astype(int)
    x = x.astype(np.float32)
    estimators = {
        ("gbm", "regression"): HistGradientBoostingRegressor(max_iter=30),
        ("tree", "regression"): DecisionTreeRegressor(max_depth=5),
        ("linear", "regression"): Ridge(),
        ("linear", "binary"): LogisticRegression(max_iter=5000),
        ("linear", "multiclass"): LogisticRegression(max_iter=5000),
        ("gbm", "binary"): HistGradientBoostingClassifier(max_iter=30),
        ("gbm", "multiclass"): HistGradientBoostingClassifier(max_iter=30),
        ("forest", "regression"): RandomForestRegressor(20, min_samples_leaf=3, random_state=0),
        ("forest", "binary"): RandomForestClassifier(20, random_state=0),
        ("forest", "multiclass"): RandomForestClassifier(20, min_samples_leaf=2, random_state=0),
    }
    return estimators[(kind, task)].fit(x, y), x


@pytest.mark.parametrize(
    "kind, task",
    [
        ("gbm", "regression"),
        ("gbm", "binary"),
        ("gbm", "multiclass"),
        ("tree", "regression"),
        ("linear", "regression"),
        ("linear", "binary"),
        ("linear", "multiclass"),
        ("forest", "regression"),
        ("forest", "binary"),
        ("forest", "multiclass"),
    ],
)
def test_stored_classical_models_predict_as_scikit_learn(kind, task):
    model, x = _fit(kind, task)
    convert = {
        "gbm": TreeEnsemble.from_hist_gradient_boosting,
        "tree": TreeEnsemble.from_decision_tree,
        "linear": LinearModel.from_sklearn,
        "forest": TreeEnsemble.from_forest,
    }[kind]
    ours = convert(model, "m")
    again = type(ours).from_saved(ours.spec(), ours.tensors())  # through the stored arrays
    expected = model.predict(x) if task == "regression" else model.predict_proba(x)
    np.testing.assert_allclose(again.predict(x), expected, rtol=1e-5, atol=1e-6)


def test_decision_tree_probabilities_are_smoothed_but_rank_as_scikit_learn():
    from sklearn.datasets import load_wine
    from sklearn.tree import DecisionTreeClassifier

    x, y = load_wine(return_X_y=True)
    model = DecisionTreeClassifier(max_depth=3).fit(x.astype(np.float32), y)
    ours = TreeEnsemble.from_decision_tree(model, "tree").predict(x.astype(np.float32))
    assert (ours.argmax(1) == model.predict(x.astype(np.float32))).all()
    assert ours.max() < 1.0  # a pure leaf says 'likely', not 'certain'
    np.testing.assert_allclose(ours.sum(1), 1.0, rtol=1e-6)


def test_arrays_that_are_not_trees_are_refused():
    model, _ = _fit("gbm", "binary")
    trees = TreeEnsemble.from_hist_gradient_boosting(model, "m")
    tensors = trees.tensors()
    inner = int(np.flatnonzero(tensors["left"].numpy() >= 0)[1])
    tensors["left"][inner] = 0  # a child before its parent: a loop
    with pytest.raises(ValueError, match="do not form trees"):
        TreeEnsemble.from_saved(trees.spec(), tensors)


def test_table_classifier_end_to_end(table_model):
    root, out, err = table_model
    assert "Models scored by 5-fold cross-validation over the 320 training and validation rows" in out
    for name in ("MLP (deep)", "logistic regression", "decision tree", "gradient boosting", "random forest"):
        assert name in out
    assert "'customer_id' (an ID" in err and "'notes' (free text" in err
    code, info, _ = run_cli("info", str(root / "m"), "--json")
    manifest = json.loads(info)
    assert manifest["modality"] == "table" and manifest["task"] == "classification"
    board = manifest["leaderboard"]
    assert [r["chosen"] for r in board] == [True] + [False] * (len(board) - 1)
    assert board[0]["validation_accuracy"] == max(r["validation_accuracy"] for r in board)
    assert {r["name"] for r in board} - {"ensemble", "blend"} == {"deep", "linear", "tree", "gbm", "forest"}
    assert manifest["selection"] == {"method": "cross-validation", "folds": 5, "rows": 320}
    assert manifest["metrics"]["test"]["accuracy"] == pytest.approx(board[0]["test_accuracy"])
    # the kept model's validation figures are its out-of-fold ones, over all 320 rows
    assert manifest["metrics"]["validation"]["n"] == 320
    assert manifest["metrics"]["validation"]["accuracy"] == pytest.approx(board[0]["validation_accuracy"])
    assert manifest["metrics"]["test"]["accuracy"] > 0.75  # the rule behind the labels is learnable


def test_table_predictions_handle_unseen_categories_and_extra_columns(table_model, tmp_path):
    root, _, _ = table_model
    new = customers(5, seed=3).drop(columns=["churned", "spend_next"])
    new.loc[0, "plan"] = "platinum"  # never seen in training
    new["colour"] = "red"  # a column the model does not know
    new.to_csv(tmp_path / "new.csv", index=False)
    code, out, err = run_cli("predict", str(root / "m"), str(tmp_path / "new.csv"), "--json")
    assert code == 0, err
    records = json.loads(out)
    assert [r["input"] for r in records] == [f"row {i}" for i in range(1, 6)]
    assert all(r["label"] in ("yes", "no") for r in records)
    assert "'plan' were not seen in training" in err and "'colour'" in err
    loaded = Predictor.load(root / "m")
    assert loaded.predict(new) == [r["label"] for r in records]


def test_table_evaluate_json(table_model):
    root, _, _ = table_model
    customers(300, seed=5).to_csv(root / "holdout.csv", index=False)  # spend_next: an extra column
    code, out, err = run_cli("evaluate", str(root / "m"), str(root / "holdout.csv"), "--json")
    assert code == 0, err
    metrics = json.loads(out)
    assert metrics["n"] == 300 and metrics["accuracy"] > 0.75


def test_regression_end_to_end(tmp_path):
    table = customers(300).drop(columns=["churned"])
    p = Predictor(epochs=40).fit(table, target="spend_next")
    assert p.task_ == "regression" and p.classes_ == []
    test = p.metrics_["test"]
    assert set(test) >= {"mae", "rmse", "r2", "n"} and test["r2"] > 0.8
    rows = {r["name"]: r for r in p.leaderboard_}
    assert set(rows) - {"ensemble", "blend"} == {"deep", "linear", "tree", "gbm", "forest"}
    assert p.leaderboard_[0]["validation_rmse"] == min(r["validation_rmse"] for r in rows.values())
    assert rows["deep"]["test_rmse"] < table["spend_next"].std()  # the MLP itself learned
    p.save(tmp_path / "m")
    loaded = Predictor.load(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict(table.head(20)), p.predict(table.head(20)), rtol=1e-6)
    metrics = loaded.evaluate(table, target="spend_next")
    assert metrics["n"] == 300 and metrics["rmse"] > 0


@pytest.mark.parametrize("choice", ["deep", "classical", "ensemble"])
def test_every_kept_model_predicts_the_same_after_loading(choice, tmp_path):
    from sklearn.ensemble import HistGradientBoostingClassifier

    table = customers(200).drop(columns=["spend_next"])
    p = Predictor(epochs=5).fit(table, target="churned")
    rows = p.encoder_.encode(as_text_table(table.drop(columns="churned"))).features
    gbm = HistGradientBoostingClassifier(max_iter=20).fit(p.encoder_.design(rows), table["churned"] == "yes")
    p.classical_, p.choice_ = TreeEnsemble.from_hist_gradient_boosting(gbm, "gbm"), choice
    expected = p.predict_proba(table)
    p.save(tmp_path / "m")
    loaded = Predictor.load(tmp_path / "m")
    assert loaded.choice_ == choice
    np.testing.assert_allclose(loaded.predict_proba(table), expected, atol=1e-6)


def test_a_table_with_prose_is_a_text_task_unless_told(tmp_path):
    table = customers(60).drop(columns=["spend_next"])
    table["notes"] = [f"the customer called about the bill {i} times this year" for i in range(60)]
    table.to_csv(tmp_path / "c.csv", index=False)
    code, out, err = run_cli(
        "train", str(tmp_path / "c.csv"), "--target", "churned", "--out", str(tmp_path / "m")
    )
    assert code == 0, err
    assert "text classifier" in out and "--task tabular" in err
    args = ["train", str(tmp_path / "c.csv"), "--target", "churned", "--task", "tabular", "--epochs", "2"]
    code, out, err = run_cli(*args, "--out", str(tmp_path / "m2"))
    assert code == 0, err
    assert "table classifier" in out and "'notes' (free text" in err


def test_a_table_with_prose_and_a_quantity_to_predict_is_a_regression():
    table = customers(80).drop(columns=["churned"])
    table["notes"] = [f"the customer called about the bill {i} times this year" for i in range(80)]
    p = Predictor(epochs=2).fit(table, target="spend_next")
    assert p.encoder_.kind == "table" and p.task_ == "regression"


def test_a_blend_predicts_its_members_weighted_average_and_refuses_what_does_not_fit():
    from deepstart.classical import Blend, classical_from_saved

    (forest, x), (gbm, _) = _fit("forest", "multiclass"), _fit("gbm", "multiclass")
    members = [TreeEnsemble.from_forest(forest, "f"), TreeEnsemble.from_hist_gradient_boosting(gbm, "g")]
    blend = Blend(members, [0.25, 0.75], "blend")
    expected = 0.25 * forest.predict_proba(x) + 0.75 * gbm.predict_proba(x)
    again = classical_from_saved(blend.spec(), blend.tensors())  # through the stored arrays
    np.testing.assert_allclose(again.predict(x), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="weights"):
        classical_from_saved(blend.spec() | {"weights": [1.0]}, blend.tensors())
    with pytest.raises(ValueError, match="weights"):
        classical_from_saved(blend.spec() | {"weights": [-1.0, 2.0]}, blend.tensors())
    numbers, _ = _fit("forest", "regression")
    mixed = Blend([members[0], TreeEnsemble.from_forest(numbers, "n")], [1, 1], "mixed")
    with pytest.raises(ValueError, match="different things"):
        classical_from_saved(mixed.spec(), mixed.tensors())


def test_folds_use_every_row_once_and_keep_each_class_in_every_fold():
    from deepstart.classical.tables import folds_of

    y = np.array([0] * 40 + [1] * 12 + [2] * 3)
    folds = folds_of(y, regression=False, seed=0)
    assert len(folds) == 3  # the smallest class has 3 rows
    held = np.concatenate([h for _, h in folds])
    assert sorted(held) == list(range(len(y)))
    for fit, h in folds:
        assert not set(fit) & set(h) and set(y[fit]) == {0, 1, 2}
    assert folds_of(np.array([0, 0, 0, 1]), regression=False, seed=0) is None  # one row of a class
    assert len(folds_of(np.arange(50.0), regression=True, seed=0)) == 5


def test_ensemble_selection_weights_the_models_that_help():
    from deepstart.pipeline.crossval import greedy_weights

    rng = np.random.default_rng(0)
    y = rng.normal(size=400) * 10
    a, b = y + rng.normal(size=400), y + rng.normal(size=400)  # independent errors: averaging halves them
    wrong = -y + rng.normal(size=400)
    weights = greedy_weights([a, b, wrong], y, regression=True)
    assert weights.sum() == pytest.approx(1.0) and weights[2] == 0
    assert 0.3 <= weights[0] <= 0.7 and 0.3 <= weights[1] <= 0.7
    labels = rng.integers(0, 2, 400)
    right = np.eye(2, dtype=np.float32)[labels] * 0.8 + 0.1
    assert greedy_weights([np.full((400, 2), 0.5, np.float32), right], labels, False).tolist() == [0.0, 1.0]


def test_boosting_rounds_are_chosen_on_the_held_out_folds():
    from threadpoolctl import threadpool_limits

    from deepstart.classical.tables import _Boosting, folds_of

    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 3)).astype(np.float32)
    noise, signal = rng.integers(0, 2, 400), (np.sin(2 * x[:, 0]) + x[:, 1] ** 2 > 1).astype(int)
    rounds = {}
    with threadpool_limits(1):  # as cross_validated fits them: OpenMP's passive waits cost 10x
        for name, y in (("noise", noise), ("signal", signal)):
            _, (_, rounds[name]) = _Boosting(False, 0).choose(x, y, folds_of(y, False, 0), 2)
    assert rounds["noise"] < 20 < rounds["signal"]  # labels without pattern stop early


def test_an_ensemble_weighs_the_network_as_chosen_and_keeps_it_after_loading(tmp_path):
    table = customers(200).drop(columns=["spend_next"])
    p = Predictor(epochs=5).fit(table, target="churned")
    rows = p.encoder_.encode(as_text_table(table.drop(columns="churned"))).features
    p.choice_, p.deep_weight_ = "ensemble", 0.2
    p.classical_ = p.classical_ or TreeEnsemble.from_decision_tree(_fit("tree", "regression")[0], "t")
    expected = 0.2 * p.network_outputs(rows) + 0.8 * p.classical_.predict(p.encoder_.design(rows))
    np.testing.assert_allclose(p.predict_proba(table), expected, atol=1e-6)
    p.save(tmp_path / "m")
    loaded = Predictor.load(tmp_path / "m")
    assert loaded.deep_weight_ == 0.2
    np.testing.assert_allclose(loaded.predict_proba(table), expected, atol=1e-6)


def test_the_summary_says_when_the_network_adds_nothing():
    from deepstart.report.text import leaderboard_text

    rows = [
        {
            "name": n,
            "model": t,
            "validation_accuracy": a,
            "test_accuracy": a,
            "seconds": 1.0,
            "chosen": i == 0,
        }
        for i, (n, t, a) in enumerate([("gbm", "gradient boosting", 0.9), ("deep", "MLP (deep)", 0.85)])
    ]
    lines = "\n".join(leaderboard_text(rows, {"method": "cross-validation", "folds": 5, "rows": 700}))
    assert "5-fold cross-validation over the 700 training and validation rows" in lines
    assert "cross-validated  90.0 %" in lines and "The deep model adds nothing here" in lines
    assert "adds nothing" not in "\n".join(leaderboard_text(rows[::-1], None))


def test_given_validation_rows_choose_the_model_instead_of_folds():
    table = customers(240).drop(columns=["spend_next"])
    p = Predictor(epochs=3).fit(table.iloc[:200], target="churned", val=table.iloc[200:])
    assert p.selection_ is None and p.manifest()["selection"] is None
    assert p.metrics_["validation"]["n"] == 40  # the given rows, not out-of-fold ones
    assert {r["name"] for r in p.leaderboard_} >= {"deep", "linear", "tree", "gbm", "forest", "ensemble"}
