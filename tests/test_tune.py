"""deepstart tune: the reasons follow the trials' numbers, pruning stops a hopeless trial,
a resumed search continues the same study, two processes share one SQLite study, and
the command saves the best trial's model with tuning.html."""

import json
import math
import subprocess
import sys

import numpy as np
import optuna
import pytest

from deepstart.tune import page, reasons
from deepstart.tune.search import Search, _pruner

from conftest import customers, run_cli

optuna.logging.set_verbosity(optuna.logging.WARNING)


def only_the_learning_rate_matters(n: int = 40, seed: int = 0):
    """A study where validation accuracy peaks at lr 3e-3 and dropout does nothing."""
    rng = np.random.default_rng(seed)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=seed))

    def objective(trial):
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        trial.suggest_float("dropout", 0.0, 0.5)
        trial.set_user_attr("found", ["underfitting"] if lr < 1e-4 else [])
        return 0.95 - 0.05 * abs(math.log10(lr / 3e-3)) + rng.normal(0, 0.002)

    study.optimize(objective, n_trials=n)
    return study


def test_the_reasons_rank_the_setting_that_matters_first_and_call_the_other_noise():
    study = only_the_learning_rate_matters()
    ranked = reasons.importances(study)
    assert list(ranked)[0] == "lr" and ranked["lr"] > 0.8
    said = reasons.sentences(study, "accuracy", n_validation=2000)
    assert said[0].startswith("The learning rate mattered")
    assert "underfitting in" in said[0]  # the diagnostics of the trials with the lowest rates
    best = study.best_trial.params["lr"]
    assert f"{best:.0e}" in said[0]
    dropout = next(s for s in said if s.startswith("Dropout"))
    assert "no difference beyond noise" in dropout


def test_the_numbers_in_a_reason_are_the_trials_own():
    study = only_the_learning_rate_matters()
    sentence = reasons.sentences(study, "accuracy", 2000)[0]
    bands = reasons._bands("lr", reasons.completed(study))
    means = sorted(100 * np.mean([t.value for t in group]) for group in bands.values())
    assert f"{means[-1]:.1f} %" in sentence and f"{means[0]:.1f} %" in sentence


def test_pruning_stops_a_trial_that_falls_behind():
    study = optuna.create_study(
        direction="maximize", pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2)
    )
    for _ in range(3):  # trials that learn
        trial = study.ask()
        for epoch in range(1, 6):
            trial.report(0.5 + 0.1 * epoch, epoch)
        study.tell(trial, 0.95)
    hopeless, heard = study.ask(), []
    listener = _pruner(hopeless, "accuracy")
    with pytest.raises(optuna.TrialPruned):
        for epoch in range(1, 6):
            heard.append(epoch)
            listener({"event": "epoch", "epoch": epoch, "val_accuracy": 0.1})
    assert heard == [1, 2]  # stopped once past the warm-up, not trained to the end


def test_tune_saves_the_best_trial_with_its_reasons_and_resumes_its_study(tmp_path):
    customers(160).drop(columns=["spend_next"]).to_csv(tmp_path / "c.csv", index=False)
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    args = ["tune", str(tmp_path / "c.csv"), "--target", "churned", "--task", "tabular", "--epochs", "3"]
    code, out, err = run_cli(*args, "--trials", "3", "--storage", storage, "--out", str(tmp_path / "m"))
    assert code == 0, err
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    tuning = manifest["tuning"]
    assert tuning["n_trials"] == 3 and tuning["trials"][0]["params"] == tuning["defaults"]
    assert "tuning.html" in (tmp_path / "m" / "report.html").read_text()
    assert "Why these settings" in (tmp_path / "m" / "tuning.html").read_text()
    assert "Tuning: " in out
    code, _, err = run_cli(*args, "--trials", "2", "--storage", storage, "--out", str(tmp_path / "m2"))
    assert code == 2 and "--resume" in err  # a study is there: not overwritten by accident
    code, _, err = run_cli(
        *args, "--trials", "2", "--storage", storage, "--resume", "--out", str(tmp_path / "m2")
    )
    assert code == 0, err
    study = optuna.load_study(study_name="deepstart", storage=storage)
    assert len(study.trials) == 5  # the same study, two trials more
    assert json.loads((tmp_path / "m2" / "manifest.json").read_text())["tuning"]["n_trials"] == 5


def test_two_processes_share_one_sqlite_study_without_losing_trials(tmp_path):
    customers(120).drop(columns=["spend_next"]).to_csv(tmp_path / "c.csv", index=False)
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    optuna.create_study(study_name="deepstart", storage=storage, direction="maximize")
    command = [
        sys.executable, "-m", "deepstart", "tune", str(tmp_path / "c.csv"), "--target", "churned",
        "--task", "tabular", "--epochs", "2", "--trials", "3", "--storage", storage, "--resume",
    ]  # fmt: skip
    runs = [
        subprocess.Popen([*command, "--out", str(tmp_path / f"m{i}")], stderr=subprocess.PIPE) for i in (1, 2)
    ]
    for run in runs:
        assert run.wait(timeout=600) == 0, run.stderr.read().decode()[-2000:]
    study = optuna.load_study(study_name="deepstart", storage=storage)
    assert len(study.trials) == 6 and all(t.state.name in ("COMPLETE", "PRUNED") for t in study.trials)


def test_a_summary_without_a_finished_default_says_so():
    study = only_the_learning_rate_matters(n=5)
    found = Search(study, None, {"lr": 1e-3, "dropout": 0.2}, "maximize", "accuracy", 1.0)
    record = page.record(found, 100)
    assert record["n_trials"] == 5 and len(record["trials"]) == 5
    assert "Why these settings" in page.tuning_html(record)


def test_a_gain_within_the_noise_is_called_noise():
    tuning = {"metric": "accuracy", "noise": 0.013, "default_validation": 0.820, "best_validation": 0.828}
    assert "within the noise" in page.verdict(tuning)
    assert "beyond the noise" in page.verdict(tuning | {"best_validation": 0.90})
    assert "nothing better" in page.verdict(tuning | {"best_validation": 0.820})


@pytest.mark.parametrize(
    "more, words",
    [
        ([], "--budget"),
        (["--trials", "2", "--resume"], "give --storage too"),
        (["--trials", "2", "--storage", "nosuch://x"], "cannot be used"),
        (["--budget", "0s"], "90s, 10m or 2h"),
    ],
)
def test_tune_refuses_in_one_line(tmp_path, more, words):
    customers(40).to_csv(tmp_path / "c.csv", index=False)
    code, _, err = run_cli(
        "tune", str(tmp_path / "c.csv"), "--target", "churned", *more, "--out", str(tmp_path / "m")
    )
    assert code == 2 and words in err and "Traceback" not in err and not (tmp_path / "m").exists(), err
