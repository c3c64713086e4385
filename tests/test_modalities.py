"""The contract every modality in the registry meets, checked the same way for each:
train a tiny model through the CLI, load it, predict, evaluate, explain (or refuse in
one line), export to ONNX and predict alike, and serve one request. A new modality is
tested by adding it to REGISTRY and its tiny data to TINY below."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from deepstart import load_model
from deepstart.modalities import REGISTRY
from deepstart.serve import create_app
from test_sequences import traces
from test_series import sales

from conftest import customers, reviews, run_cli


def _images(root: Path, digits_root: Path) -> dict:
    files = sorted((digits_root / "7").iterdir())
    return {
        "train": [str(digits_root), "--epochs", "3"],
        "labelled": str(digits_root),
        "inputs": [str(f) for f in files[:2]],
        "request": {"files": [("file", ("a.png", files[0].read_bytes(), "image/png"))]},
    }


def _texts(root: Path, digits_root: Path) -> dict:
    reviews(60).to_csv(root / "reviews.csv", index=False)
    reviews(20, seed=1).to_csv(root / "more.csv", index=False)
    return {
        "train": [str(root / "reviews.csv"), "--target", "sentiment", "--epochs", "3"],
        "labelled": str(root / "more.csv"),
        "inputs": ["the film was superb", "the story was dull"],
        "request": {"json": {"text": "the film was superb"}},
    }


def _tables(root: Path, digits_root: Path) -> dict:
    table = customers(160).drop(columns=["spend_next"])
    table.to_csv(root / "c.csv", index=False)
    table.tail(30).to_csv(root / "labelled.csv", index=False)
    table.tail(3).drop(columns=["churned"]).to_csv(root / "new.csv", index=False)
    row = {k: (None if v != v else v) for k, v in table.drop(columns=["churned"]).iloc[0].to_dict().items()}
    return {
        "train": [str(root / "c.csv"), "--target", "churned", "--epochs", "3"],
        "labelled": str(root / "labelled.csv"),
        "inputs": [str(root / "new.csv")],
        "request": {"json": {"row": {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}}},
    }


def _sequences(root: Path, digits_root: Path) -> dict:
    x, y = traces(120)
    steps = [f"t{i}" for i in range(x.shape[1])]
    import pandas as pd

    table = pd.DataFrame(x.round(4), columns=steps).assign(label=np.array(["a", "b", "c"])[y])
    table.to_csv(root / "s.csv", index=False)
    table.tail(30).to_csv(root / "labelled.csv", index=False)
    table.tail(3).drop(columns=["label"]).to_csv(root / "new.csv", index=False)
    return {
        "train": [str(root / "s.csv"), "--task", "sequence", "--target", "label", "--epochs", "3"],
        "labelled": str(root / "labelled.csv"),
        "inputs": [str(root / "new.csv")],
        "request": {"json": {"sequence": [float(v) for v in x[0].round(4)]}},
    }


def _series(root: Path, digits_root: Path) -> dict:
    table = sales(120)
    table.to_csv(root / "sales.csv", index=False)
    series = ["--task", "timeseries", "--target", "units", "--time", "date", "--id", "store"]
    history = table[table["store"] == "north"].tail(40)
    return {
        "train": [str(root / "sales.csv"), *series, "--horizon", "3", "--epochs", "3"],
        "labelled": str(root / "sales.csv"),
        "inputs": [str(root / "sales.csv")],
        "request": {"json": {"rows": history.to_dict("records")}},
    }


def _audio(root: Path, digits_root: Path) -> dict:
    import soundfile

    t = np.arange(4000) / 8000
    for label, pitch in (("low", 300.0), ("high", 1500.0)):
        (root / "sounds" / label).mkdir(parents=True)
        for k in range(12):
            sound = 0.5 * np.sin(2 * np.pi * (pitch + 20 * k) * t)
            soundfile.write(root / "sounds" / label / f"{k}.wav", sound.astype(np.float32), 8000)
    files = sorted((root / "sounds" / "high").iterdir())
    return {
        "train": [str(root / "sounds"), "--epochs", "3"],
        "labelled": str(root / "sounds"),
        "inputs": [str(f) for f in files[:2]],
        "request": {"files": [("file", ("a.wav", files[0].read_bytes(), "audio/wav"))]},
    }


def _detection(root: Path, digits_root: Path) -> dict:
    from test_detection import shapes, voc

    voc(root / "boxes", shapes(40))
    files = sorted((root / "boxes" / "JPEGImages").iterdir())
    return {
        "train": [str(root / "boxes"), "--epochs", "20"],
        "labelled": str(root / "boxes"),
        "inputs": [str(f) for f in files[:2]],
        "request": {"files": [("file", ("a.png", files[0].read_bytes(), "image/png"))]},
    }


TINY = {
    "image": _images,
    "text": _texts,
    "table": _tables,
    "sequence": _sequences,
    "series": _series,
    "audio": _audio,
    "detection": _detection,
}


def test_every_modality_in_the_registry_has_tiny_data():
    assert sorted(REGISTRY) == sorted(TINY)


@pytest.fixture(scope="module", params=sorted(TINY))
def tiny(request, tmp_path_factory, digits_root):
    """A tiny model of one modality, trained through the CLI, and its data."""
    name = request.param
    root = tmp_path_factory.mktemp(f"contract_{name}")
    data = TINY[name](root, digits_root)
    code, _, err = run_cli("train", *data["train"], "--out", str(root / "model"))
    assert code == 0, err
    return name, root, data


def test_trains_saves_loads_and_predicts(tiny):
    name, root, data = tiny
    model = load_model(root / "model")
    assert model.modality is REGISTRY[name] and model.manifest()["modality"] == name
    records = model.predict_records(data["inputs"])
    assert records and all({"label", "prediction", "step"} & set(r) for r in records)
    again = load_model(root / "model").predict_records(data["inputs"])
    assert json.dumps(again) == json.dumps(records)  # the same, to the last digit


def test_evaluates(tiny):
    name, root, data = tiny
    code, out, err = run_cli("evaluate", str(root / "model"), data["labelled"], "--json")
    assert code == 0, err
    metrics = json.loads(out)
    assert {"accuracy", "rmse", "mase", "map50"} & set(metrics) and metrics["n"] > 0


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet"])
def test_predict_writes_what_it_prints_in_every_format(tiny, suffix):
    """predict --out, by its suffix, holds what predict --json prints: one row per record."""
    import pandas as pd

    name, root, data = tiny
    out = root / f"predictions{suffix}"
    code, said, err = run_cli("predict", str(root / "model"), *data["inputs"], "--out", str(out))
    assert code == 0, err
    assert said.strip() and "Traceback" not in err
    code, printed, err = run_cli("predict", str(root / "model"), *data["inputs"], "--json")
    records = json.loads(printed)
    if suffix == ".json":
        assert json.loads(out.read_text()) == records
        return
    table = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
    assert len(table) == len(records) and len(table.columns) >= 2
    first = records[0]
    if "input" in first:
        assert [str(v) for v in table["input"]] == [str(r["input"]) for r in records]
    else:  # rows of a table of its own (a forecast): the same columns
        assert list(table.columns) == list(first)


def test_explains_or_says_why_not(tiny):
    name, root, data = tiny
    model = load_model(root / "model")
    code, out, err = run_cli("explain", str(root / "model"), *data["inputs"], "--out", str(root / "why"))
    explainer = model.modality.explainer
    if explainer is not None and explainer.can_explain(model):
        assert code == 0, err
        assert out.strip()
    else:
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err


def test_exports_and_predicts_alike(tiny):
    name, root, data = tiny
    code, out, err = run_cli(
        "export", str(root / "model"), "--out", str(root / "onnx"), "--data", data["labelled"]
    )
    assert code == 0, err
    before, after = load_model(root / "model"), load_model(root / "onnx")
    assert after.runtime_["engine"] == "onnxruntime"
    for a, b in zip(before.predict_records(data["inputs"]), after.predict_records(data["inputs"])):
        assert a.get("label") == b.get("label") and a.keys() == b.keys()
        for key, value in a.items():  # probabilities, a predicted number, a forecast
            if isinstance(value, (dict, float)):
                x, y = (np.array(list(v.values()) if isinstance(v, dict) else v) for v in (value, b[key]))
                np.testing.assert_allclose(x, y, atol=1e-3, rtol=1e-3)


def test_serves_one_request(tiny):
    name, root, data = tiny
    with TestClient(create_app(root / "model"), raise_server_exceptions=False) as client:
        meta = client.get("/metadata").json()
        assert meta["modality"] == name
        answer = client.post("/predict", **data["request"])
        assert answer.status_code == 200, answer.text
        assert answer.json()["predictions"]


def test_reading_a_table_does_not_import_pytorch(tmp_path):
    """Detection and reading stay light: a CSV is read without loading PyTorch."""
    customers(30).to_csv(tmp_path / "c.csv", index=False)
    code = (
        "import sys; from deepstart.modalities import read_labeled; "
        f"e = read_labeled({str(tmp_path / 'c.csv')!r}, target='churned'); "
        "assert e.kind == 'table', e.kind; assert 'torch' not in sys.modules, 'torch was imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
