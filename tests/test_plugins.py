"""A modality from another package (tests/fixtures/plugin: vectors of numbers stored as
.json files), installed with pip and found through the entry-point group
deepstart.modalities, with no change to deepstart: detected, trained, predicted after
loading, evaluated, refused for explanations in one line, exported and served, and
offered in the studio's Try."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from deepstart.modalities import REGISTRY

FIXTURE = Path(__file__).parent / "fixtures" / "plugin"
CLASSES = {"low": -1.0, "mid": 0.0, "high": 1.0}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The fixture package, installed by pip into a folder of its own, on the path of the
    commands run here and of this process (the registry asked again)."""
    site = tmp_path_factory.mktemp("site")
    command = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]
    done = subprocess.run([*command, "--target", str(site), str(FIXTURE)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    sys.path.insert(0, str(site))
    REGISTRY._plugins = None  # entry points are read again, now with the package
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(site)  # the studio's workers find it too
    yield site
    os.environ.pop("PYTHONPATH") if before is None else os.environ.update(PYTHONPATH=before)
    sys.path.remove(str(site))
    REGISTRY._plugins = None
    REGISTRY._loaded.pop("vector", None)


def cli(site: Path, *args: str) -> tuple[int, str, str]:
    """`deepstart ARGS` in a process of its own, which finds the package as any would."""
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run([sys.executable, "-m", "deepstart", *args], capture_output=True, text=True, env=env)
    return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module")
def vectors(tmp_path_factory):
    """Three classes of 8 numbers, 15 files each, each class around its own level."""
    root = tmp_path_factory.mktemp("vectors")
    rng = np.random.default_rng(0)
    for label, level in CLASSES.items():
        (root / label).mkdir()
        for k in range(15):
            values = level + 0.3 * rng.normal(size=8)
            (root / label / f"{k}.json").write_text(json.dumps(values.round(4).tolist()))
    return root


@pytest.fixture(scope="module")
def model(installed, vectors, tmp_path_factory):
    out = tmp_path_factory.mktemp("vector_model") / "m"
    code, said, err = cli(installed, "train", str(vectors), "--epochs", "30", "--out", str(out))
    assert code == 0, err
    assert "vector classifier for 3 classes" in said and "linear classifier" in said
    return out


def test_the_package_adds_a_modality_by_its_entry_point(installed):
    assert "vector" in REGISTRY and REGISTRY["vector"].name == "vector"
    assert REGISTRY["vector"].explainer is None and REGISTRY["vector"].service.uploads


def test_detected_trained_loaded_predicted_and_evaluated(installed, vectors, model):
    from deepstart import load_model

    manifest = json.loads((model / "manifest.json").read_text())
    assert manifest["modality"] == "vector" and manifest["metrics"]["test"]["accuracy"] >= 0.8
    files = [str(vectors / "high" / "0.json"), str(vectors / "low" / "0.json")]
    code, out, err = cli(installed, "predict", str(model), *files, "--json")
    assert code == 0, err
    assert [r["label"] for r in json.loads(out)] == ["high", "low"]
    assert load_model(model).predict_records(files) == json.loads(out)  # loaded here too
    code, out, err = cli(installed, "evaluate", str(model), str(vectors), "--json")
    assert code == 0 and json.loads(out)["n"] == 45, err


def test_what_it_cannot_do_is_one_line(installed, vectors, model, tmp_path):
    code, _, err = cli(installed, "explain", str(model), str(vectors / "high" / "0.json"))
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    (tmp_path / "bad.json").write_text('{"not": "a list"}')
    code, out, err = cli(installed, "predict", str(model), str(tmp_path / "bad.json"))
    assert code == 2 and "not a list of numbers" in out and "Traceback" not in err


def test_exported_and_predicts_alike(installed, vectors, model, tmp_path):
    code, _, err = cli(installed, "export", str(model), "--out", str(tmp_path / "onnx"))
    assert code == 0, err
    files = [str(p) for p in sorted((vectors / "mid").iterdir())[:3]]
    before = json.loads(cli(installed, "predict", str(model), *files, "--json")[1])
    after = json.loads(cli(installed, "predict", str(tmp_path / "onnx"), *files, "--json")[1])
    assert [r["label"] for r in before] == [r["label"] for r in after]


def test_served_and_offered_in_the_studio(installed, vectors, model, tmp_path):
    from deepstart.serve import create_app
    from deepstart.studio.app import create_studio

    one = (vectors / "low" / "1.json").read_bytes()
    with TestClient(create_app(model), raise_server_exceptions=False) as client:
        assert client.get("/metadata").json()["modality"] == "vector"
        answer = client.post("/predict", files={"file": ("v.json", one, "application/json")})
        assert answer.status_code == 200 and answer.json()["predictions"][0]["label"] == "low"
        assert client.post("/explain", files={"file": ("v.json", one, "application/json")}).status_code == 422
    studio = create_studio(tmp_path / "ws")
    client = TestClient(studio, raise_server_exceptions=False)
    client.get(f"/?token={studio.state.session.token}")
    upload = [
        ("files", (f"v/{p.parent.name}/{p.name}", p.read_bytes(), "application/json"))
        for p in vectors.rglob("*.json")
    ]
    with client:  # the studio's queue runs while inside
        project = client.post("/api/projects", data={"name": "vectors"}, files=upload).json()
        assert project["detection"]["kind"] == "vector" and project["detection"]["n"] == 45
        run = client.post(f"/api/projects/{project['id']}/runs", json={"epochs": 20}).json()
        while (found := client.get(f"/api/runs/{run['id']}").json())["status"] in ("queued", "running"):
            time.sleep(0.5)
        assert found["status"] == "done", found
        offered = client.get(f"/api/runs/{run['id']}/metadata").json()["try"]  # what the Try tab draws
        assert offered == {"form": "upload", "accept": ".json", "capture": None, "shows": "name"}
