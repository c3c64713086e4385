"""The four commands end to end, as a user runs them, on digits that scikit-learn ships."""

import csv
import json
import re

import pytest

from deepstart import Predictor

from conftest import run_cli


def test_train_writes_a_model_and_a_readable_summary(trained):
    files = sorted(p.name for p in trained.iterdir())
    assert files == ["manifest.json", "model.safetensors", "report.html", "training_curve.png"]
    manifest = json.loads((trained / "manifest.json").read_text())
    assert manifest["classes"] == ["0", "1", "7"]
    assert manifest["encoder"]["name"] == "efficientnet_lite0"
    assert manifest["metrics"]["test"]["accuracy"] >= 0.8
    assert manifest["data"]["n_train"] + manifest["data"]["n_validation"] + manifest["data"]["n_test"] == 72
    assert len(manifest["data"]["fingerprint"]) == 64
    for key in ("format_version", "task", "versions", "weights_sha256", "training"):
        assert key in manifest


def test_evaluate_json_prints_exactly_one_object(trained, digits_root):
    code, out, _ = run_cli("evaluate", str(trained), str(digits_root), "--json")
    assert code == 0
    metrics = json.loads(out)  # fails if anything but one JSON document is on stdout
    assert metrics["n"] == 72 and metrics["accuracy"] >= 0.8
    assert set(metrics) >= {"accuracy", "macro_f1", "n", "per_class", "confusion_matrix"}
    assert sum(map(sum, metrics["confusion_matrix"])) == 72


def test_evaluate_prints_metrics_for_people(trained, digits_root):
    code, out, _ = run_cli("evaluate", str(trained), str(digits_root))
    assert code == 0 and out.startswith("Accuracy: ") and "Confusion matrix" in out


def test_predict_prints_label_and_probabilities(trained, digits_root, tmp_path):
    files = [str(sorted((digits_root / d).iterdir())[0]) for d in ("0", "1", "7")]
    code, out, _ = run_cli("predict", str(trained), *files, "--out", str(tmp_path / "p.csv"))
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 3
    assert all(re.search(r"\(0 [01]\.\d{3}, 1 [01]\.\d{3}, 7 [01]\.\d{3}\)$", line) for line in lines)
    assert [line.split("\t")[1] for line in lines] == ["0", "1", "7"]
    rows = list(csv.DictReader(open(tmp_path / "p.csv")))
    assert [r["input"] for r in rows] == files
    assert all(abs(sum(float(r[f"p_{c}"]) for c in "017") - 1) < 1e-4 for r in rows)


def test_predict_lists_unreadable_files_and_goes_on(trained, digits_root, tmp_path):
    bad = tmp_path / "notes.jpg"
    bad.write_text("not a picture")
    good = sorted((digits_root / "1").iterdir())[0]
    code, out, _ = run_cli("predict", str(trained), str(good), str(bad), "--json")
    assert code == 0
    records = json.loads(out)
    assert records[0]["label"] in {"0", "1", "7"} and records[1]["error"] == "not an image file"


def test_info_describes_the_model(trained):
    code, out, _ = run_cli("info", str(trained))
    assert code == 0 and "EfficientNet-Lite0" in out and "Accuracy" in out
    code, out, _ = run_cli("info", str(trained), "--json")
    assert json.loads(out)["classes"] == ["0", "1", "7"]


def test_python_api_matches_the_cli_model(trained, digits_root):
    predictor = Predictor.load(trained)
    files = sorted((digits_root / "7").iterdir())[:3]
    proba = predictor.predict_proba(files)
    assert proba.shape == (3, 3)
    assert predictor.predict(files) == [predictor.classes_[k] for k in proba.argmax(1)]


def test_separate_test_folder_and_same_seed_same_model(digits_root, tmp_path):
    a = Predictor(epochs=20, seed=3).fit(digits_root, test=digits_root)
    b = Predictor(epochs=20, seed=3).fit(digits_root, test=digits_root)
    assert a.metrics_["test"]["n"] == 72  # the whole test folder, none held out of it
    for (name, wa), wb in zip(a.net_.state_dict().items(), b.net_.state_dict().values()):
        assert (wa == wb).all(), name


@pytest.mark.parametrize("size,expected", [("0.25", 18), ("9", 9)])
def test_test_size_is_a_fraction_or_a_count(digits_root, size, expected):
    predictor = Predictor(epochs=2, test_size=float(size) if "." in size else int(size))
    assert predictor.fit(digits_root).metrics_["test"]["n"] == expected


def test_export_format_is_hidden_but_old_commands_still_run(tmp_path):
    """ONNX is export's one format: --format is not offered any more, and a script that
    still says --format onnx runs, told once that the option can go."""
    assert "--format" not in run_cli("export", "--help")[1]
    code, _, err = run_cli("export", str(tmp_path / "none"), "--format", "onnx", "--out", str(tmp_path / "x"))
    assert code == 2 and "--format is no longer needed" in err and "is not a model folder" in err
    code, _, err = run_cli("export", str(tmp_path / "none"), "--format", "torchscript", "--out", "x")
    assert code == 2 and "Invalid value for '--format'" in err
    assert "no longer needed" not in run_cli("export", str(tmp_path / "none"), "--out", "x")[2]
