"""--cluster on a local Ray (2 CPUs, on 127.0.0.1, started by the tests): features through
Ray Data equal the single-process ones; DDP on 2 workers trains the CNN as well as one
process does, and the model loads and predicts without Ray; batch prediction writes
every input once; a worker killed mid-run is replaced and training resumes from its
checkpoint. Refusals need no Ray. Skipped when deepstart[cluster] is not installed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from deepstart.examples import write_digits
from deepstart.settings import Settings

from conftest import run_cli

SETTINGS = {"model": "cnn", "seed": 0, "augment": False}


@pytest.fixture(scope="module")
def ray_cluster():
    """A Ray started here with 2 CPUs, for this module's tests; stopped after them."""
    pytest.importorskip("ray", reason='the cluster extra is not installed (pip install "deepstart[cluster]")')
    from deepstart.cluster.connect import connect, disconnect

    connect("local:2")
    yield "local:2"
    disconnect()


@pytest.fixture(scope="module")
def digits(tmp_path_factory) -> Path:
    """scikit-learn's digits, 16x16 pixels: 600 images of 10 classes."""
    return write_digits(tmp_path_factory.mktemp("cluster_digits"), size=16, limit=600)


# -- refusals: one line, exit code 2, no Ray needed ---------------------------------


@pytest.mark.parametrize("address", ["local:0", "nowhere", "ray://head", "local:two"])
def test_a_cluster_address_that_is_not_one_is_refused(digits, tmp_path, address):
    code, _, err = run_cli("train", str(digits), "--cluster", address, "--out", str(tmp_path / "m"))
    assert code == 2 and "--cluster" in err and "Expected auto" in err and len(err.strip().splitlines()) == 1


def test_zero_workers_are_refused(digits, tmp_path):
    code, _, err = run_cli(
        "train", str(digits), "--cluster", "local:2", "--workers", "0", "--out", str(tmp_path)
    )
    assert code == 2 and "--workers" in err and len(err.strip().splitlines()) == 1


def test_a_time_limit_on_a_cluster_is_refused_before_any_work(digits, tmp_path):
    code, _, err = run_cli(
        "train", str(digits), "--cluster", "local:2", "--time-limit", "60", "--out", str(tmp_path / "m")
    )
    assert code == 2 and "--time-limit is not used with --cluster" in err


def test_without_ray_installed_cluster_says_how_to_install_it(digits, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails as if it were not installed
    code, _, err = run_cli("train", str(digits), "--cluster", "local:2", "--out", str(tmp_path / "m"))
    assert code == 2 and 'pip install "deepstart[cluster]"' in err and "Traceback" not in err


def test_an_address_where_nothing_answers_is_refused_at_once(digits, tmp_path):
    start = time.perf_counter()
    code, _, err = run_cli("train", str(digits), "--cluster", "127.0.0.1:9", "--out", str(tmp_path / "m"))
    assert code == 2 and "nothing answers there" in err and time.perf_counter() - start < 30


def test_predict_on_a_cluster_needs_a_parquet_out(tmp_path):
    model = str(tmp_path / "model")  # refused before the model is read
    code, _, err = run_cli("predict", model, "x.png", "--cluster", "local:2", "--out", "p.csv")
    assert code == 2 and "--out preds.parquet" in err
    code, _, err = run_cli("predict", model, "x.png", "--workers", "2")
    assert code == 2 and "--workers is for --cluster" in err


def _objects(digits: Path, folder: Path) -> Path:
    """A folder of digits as a store holds them: 2 prefixes, a name with a space, a broken
    file, and hidden names that are not predicted."""
    files = sorted(digits.glob("*/*.png"))
    for i, source in enumerate(files[:60]):
        (folder / f"part{i % 2}").mkdir(parents=True, exist_ok=True)
        (folder / f"part{i % 2}" / f"{i:03d}{' copy' if i == 7 else ''}.png").write_bytes(source.read_bytes())
    (folder / "part0" / "broken.png").write_bytes(b"not an image")
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "x.png").write_bytes(files[0].read_bytes())
    (folder / "part1" / ".x.png").write_bytes(files[0].read_bytes())
    return folder


def _refuse_ray(monkeypatch):
    """Refusals come before the cluster is joined."""
    import deepstart.cluster.predict as on_cluster

    def no(*_):
        raise AssertionError("Ray was joined")

    monkeypatch.setattr(on_cluster, "connect", no)


def test_a_uri_without_cluster_is_refused_in_one_line(trained, tmp_path):
    code, _, err = run_cli("predict", str(trained), tmp_path.as_uri())
    assert code == 2 and "--cluster" in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize(
    "case, expected",
    [
        ("no store", "pyarrow cannot open its storage"),  # a scheme pyarrow does not know
        ("bad host", "pyarrow cannot open its storage"),  # a file:// URI naming another machine
        ("empty", "No files found"),
        ("mixed", "URIs or paths, not both"),
    ],
)
def test_uris_that_cannot_be_read_are_refused_before_ray(trained, tmp_path, monkeypatch, case, expected):
    pytest.importorskip("pyarrow")
    _refuse_ray(monkeypatch)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / ".only-hidden.png").write_bytes(b"x")
    inputs = {
        "no store": ["nostore://bucket/images/"],
        "bad host": ["file://elsewhere/images/"],
        "empty": [empty.as_uri()],
        "mixed": [empty.as_uri(), str(empty)],
    }[case]
    out = tmp_path / "preds.parquet"
    code, _, err = run_cli("predict", str(trained), *inputs, "--cluster", "local:2", "--out", str(out))
    assert code == 2 and expected in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


def test_an_object_is_read_as_stored_and_no_more_than_the_limit(tmp_path):
    pytest.importorskip("pyarrow")
    from deepstart.cluster.remote import file_system, read_object
    from deepstart.files import NotReadable

    (tmp_path / "a.png.gz").write_bytes(b"0123456789" * 3)  # not decompressed: the bytes as stored
    fs, path = file_system((tmp_path / "a.png.gz").as_uri())
    assert read_object(fs, path, 30) == b"0123456789" * 3
    for size in (30, -1):  # refused from the listed size, or while reading when the store gave none
        with pytest.raises(NotReadable, match="larger than 29 bytes"):
            read_object(fs, path, size, limit=29)


def _sales(path: Path) -> Path:
    """A daily series of 60 steps, as a CSV."""
    days = np.arange(60)
    dates = pd.date_range("2024-01-01", periods=60, freq="D").strftime("%Y-%m-%d")
    pd.DataFrame({"date": dates, "units": 20 + days % 7 + 0.1 * days}).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("option", [["--cluster", "local:2"], ["--cluster-storage", "ckpt"]])
def test_a_forecaster_on_a_cluster_is_refused(tmp_path, option):
    data, out = _sales(tmp_path / "s.csv"), tmp_path / "m"
    series = ["--task", "timeseries", "--target", "units", "--time", "date", "--horizon", "3"]
    code, _, err = run_cli("train", str(data), *series, *option, "--out", str(out))
    assert code == 2 and option[0] in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()
    from deepstart import Forecaster
    from deepstart.errors import ConfigError

    with pytest.raises(ConfigError, match="--cluster"):
        Forecaster(**{option[0].removeprefix("--").replace("-", "_"): option[1]}).fit(
            data, target="units", time_column="date", horizon=3
        )


def test_a_batch_where_every_input_is_skipped_keeps_the_features_shape(tmp_path):
    from deepstart.cluster.features import EncodeActor
    from deepstart.data.images import Pixels
    from deepstart.modalities.images.encoders import FeatureEncoder, PixelEncoder

    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    batch = {"i": np.arange(3), "item": np.array([str(broken)] * 3, dtype=object)}
    for encoder, shape in ((PixelEncoder(Pixels(16, 1, False)), (1, 16, 16)), (FeatureEncoder(), (1280,))):
        done = EncodeActor(encoder.kind, encoder.spec())(batch)
        assert done["features"].shape == (3, *shape) and all(done["why"]), done["why"]


def test_the_signing_key_is_not_handed_to_ray():
    from deepstart.cluster.connect import _init_arguments

    assert os.environ.get("DEEPSTART_KEY_FILE")  # set by conftest, as a user's may be
    for address in ("local:2", "auto", "ray://head:10001"):
        assert "DEEPSTART_KEY" not in str(_init_arguments(address))  # DEEPSTART_KEY_FILE neither


def test_why_a_cluster_failed_is_the_workers_own_error():
    pytest.importorskip("ray", reason='the cluster extra is not installed (pip install "deepstart[cluster]")')
    from ray.exceptions import RayActorError
    from ray.train import WorkerGroupError

    from deepstart.cluster.connect import why_failed
    from deepstart.errors import TrainingError

    group = WorkerGroupError(
        "rank 0: ...", {1: RuntimeError("gloo: connection reset"), 0: ValueError("boom\nmore")}
    )
    assert why_failed(group) == "ValueError: boom"
    assert why_failed(WorkerGroupError("", {0: TrainingError("Training diverged in epoch 1.")})) == (
        "Training diverged in epoch 1."
    )
    traceback = (
        "The actor died\nTraceback (most recent call last):\n  File \"x.py\", line 1\nKeyError: 'pixels'"
    )
    assert why_failed(RayActorError(error_msg=traceback)) == "KeyError: 'pixels'"


# -- on a local Ray ------------------------------------------------------------------


def test_features_through_ray_data_equal_the_single_process_ones(ray_cluster, digits, tmp_path):
    from deepstart.cluster.features import encode_on_cluster
    from deepstart.data.images import Pixels
    from deepstart.modalities.images.encoders import FeatureEncoder, PixelEncoder

    files = sorted(digits.glob("*/*.png"))[:40]
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    items = [*files[:20], broken, *files[20:]]
    settings = Settings(cluster=ray_cluster, workers=2, cache=False)
    for encoder in (FeatureEncoder(cache=False), PixelEncoder(Pixels(16, 1, False), cache=False)):
        here = encoder.encode(items, "here")
        there = encode_on_cluster(encoder, items, "there", settings)
        assert there.kept == here.kept and there.hashes == here.hashes and there.skipped == here.skipped
        assert there.features.dtype == here.features.dtype
        np.testing.assert_allclose(there.features, here.features, rtol=1e-5, atol=1e-5)
    assert here.skipped and here.skipped[0][0] == str(broken)


def test_token_ids_through_ray_data_equal_the_single_process_ones(ray_cluster):
    from deepstart.cluster.features import BATCH, encode_on_cluster
    from deepstart.modalities.texts.encoders import TokenEncoder

    texts = [" ".join(["word"] * (1 + i // BATCH * 9)) for i in range(2 * BATCH + 40)]  # longer each batch
    texts[5] = ""  # skipped
    encoder = TokenEncoder(cache=False)
    here = encoder.encode(texts, "here")
    there = encode_on_cluster(encoder, texts, "there", Settings(cluster=ray_cluster, workers=2, cache=False))
    assert there.kept == here.kept and there.skipped == here.skipped and there.hashes == here.hashes
    assert there.features.dtype == here.features.dtype
    np.testing.assert_array_equal(there.features, here.features)


def test_an_encoder_the_workers_cannot_build_fails_in_one_line(ray_cluster, digits):
    from deepstart.cluster.features import encode_on_cluster
    from deepstart.data.images import Pixels
    from deepstart.errors import DeepstartError
    from deepstart.modalities.images.encoders import PixelEncoder

    class Unknown(PixelEncoder):  # as a weights package missing on a node: the actors cannot build it
        def spec(self) -> dict:
            return super().spec() | {"name": "no-such-encoder"}

    settings = Settings(cluster=ray_cluster, workers=2, cache=False)
    files = sorted(digits.glob("*/*.png"))[:8]
    with pytest.raises(DeepstartError, match="Encoding on the cluster failed: .*no-such-encoder") as failed:
        encode_on_cluster(Unknown(Pixels(16, 1, False), cache=False), files, "there", settings)
    assert "\n" not in str(failed.value)


@pytest.fixture(scope="module")
def two_models(ray_cluster, digits, tmp_path_factory):
    """The CNN trained on one process and with DDP on 2 Ray workers, same data and settings."""
    from deepstart import Predictor

    root = tmp_path_factory.mktemp("cluster_models")
    one = Predictor(**SETTINGS, epochs=12).fit(digits)
    two = Predictor(**SETTINGS, epochs=12, cluster=ray_cluster, workers=2).fit(digits)
    one.save(root / "one")
    two.save(root / "two")
    return root / "one", root / "two"


def test_ddp_on_two_workers_trains_the_cnn_as_well_as_one_process(two_models):
    import json

    one, two = (json.loads((m / "manifest.json").read_text()) for m in two_models)
    a, b = one["metrics"]["test"]["accuracy"], two["metrics"]["test"]["accuracy"]
    n = one["metrics"]["test"]["n"]
    # 120 test images: one image is 0.83 points, so "within 1 point" allows one image either way
    assert abs(a - b) <= max(0.01, 1.01 / n), (a, b)
    assert b > 0.9
    assert two["training"]["cluster"]["workers"] == 2 and "cluster" not in one["training"]
    from deepstart.cache import cache_dir

    runs = [
        p.name for p in (cache_dir() / "ray").glob("deepstart-*") if not p.name.startswith("deepstart-tune")
    ]
    assert runs == [], "the run's checkpoints were left in its storage"
    code, out, _ = run_cli("info", str(two_models[1]))
    assert code == 0 and "Trained on the Ray cluster local:2: 2 workers" in out


def test_a_model_trained_on_the_cluster_predicts_without_ray(two_models, digits):
    script = (
        "import sys; from deepstart.cli import main; "
        f"code = main(['predict', {str(two_models[1])!r}, {str(digits / '3')!r}]); "
        "assert code == 0, code; assert 'ray' not in sys.modules, 'ray was imported'; print('no ray')"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("no ray")


def test_training_and_prediction_without_cluster_never_import_ray(digits_root, tmp_path):
    script = (
        "import sys; from deepstart.cli import main; "
        f"assert main(['train', {str(digits_root)!r}, '--model', 'cnn', '--epochs', '2', "
        f"'--out', {str(tmp_path / 'm')!r}]) == 0; "
        f"assert main(['predict', {str(tmp_path / 'm')!r}, {str(digits_root / '0')!r}]) == 0; "
        "print('ray imported' if 'ray' in sys.modules else 'no ray')"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("no ray")


def test_batch_prediction_writes_every_input_once(ray_cluster, two_models, digits, tmp_path):
    import pyarrow.parquet as pq

    inputs = tmp_path / "inputs"
    inputs.mkdir()
    files = sorted(digits.glob("*/*.png"))
    for i in range(2000):  # 2,000 inputs: the digits again under new names
        (inputs / f"{i:05d}.png").write_bytes(files[i % len(files)].read_bytes())
    out = tmp_path / "preds.parquet"
    code, _, err = run_cli(
        "predict", str(two_models[1]), str(inputs), "--cluster", ray_cluster, "--out", str(out)
    )
    assert code == 0, err
    table = pq.read_table(out)
    names = table.column("input").to_pylist()
    assert len(names) == 2000 and len(set(names)) == 2000
    assert set(names) == {str(inputs / f"{i:05d}.png") for i in range(2000)}
    assert table.column("error").null_count == 2000
    probabilities = np.array(table.column("probabilities").to_pylist())
    assert probabilities.shape == (2000, 10) and np.allclose(probabilities.sum(1), 1, atol=1e-4)
    import json

    classes = json.loads(table.schema.metadata[b"deepstart.classes"])
    labels = table.column("label").to_pylist()
    assert labels == [classes[k] for k in probabilities.argmax(1)]


def test_batch_prediction_where_nothing_can_be_read_exits_2_as_on_one_machine(
    ray_cluster, two_models, tmp_path
):
    import pyarrow.parquet as pq

    inputs = tmp_path / "broken"
    inputs.mkdir()
    for i in range(3):
        (inputs / f"{i}.png").write_bytes(b"not an image")
    out = tmp_path / "preds.parquet"
    code, _, err = run_cli(
        "predict", str(two_models[1]), str(inputs), "--cluster", ray_cluster, "--out", str(out)
    )
    last = err.strip().splitlines()[-1]
    assert code == 2 and last.startswith("deepstart: ") and "says why for each" in last, err
    assert "Traceback" not in err
    assert pq.read_table(out).column("error").null_count == 0  # each row says why


def test_objects_named_by_a_uri_are_predicted_as_their_local_files(ray_cluster, two_models, digits, tmp_path):
    from urllib.parse import unquote

    import pyarrow.parquet as pq

    from deepstart.loading import load_model

    folder = _objects(digits, tmp_path / "store")
    out = tmp_path / "preds.parquet"
    code, _, err = run_cli(
        "predict", str(two_models[0]), folder.as_uri() + "/", "--cluster", ray_cluster, "--out", str(out)
    )
    assert code == 0, err
    here = {r["input"]: r for r in load_model(two_models[0]).predict_records([folder])}  # no Ray
    table = pq.read_table(out).to_pylist()
    uris = [row["input"] for row in table]
    assert len(uris) == len(set(uris)) == len(here) == 61  # every object once; hidden ones not at all
    assert f"{folder.as_uri()}/part1/007%20copy.png" in uris
    for row in table:
        local = here[unquote(row["input"].removeprefix("file://"))]
        assert row["label"] == local.get("label") and bool(row["error"]) == ("error" in local)
        if "error" not in local:
            probabilities = list(local["probabilities"].values())
            np.testing.assert_allclose(row["probabilities"], probabilities, rtol=1e-5, atol=1e-6)
    assert [row["input"] for row in table if row["error"]] == [f"{folder.as_uri()}/part0/broken.png"]


def test_prediction_cut_short_leaves_no_file_behind(ray_cluster, two_models, digits, tmp_path, monkeypatch):
    from contextlib import contextmanager

    import deepstart.cluster.predict as on_cluster
    from deepstart.loading import load_model

    @contextmanager
    def interrupted(**_):  # Ctrl-C once the first batch is written
        class Bar:
            def update(self, n):
                raise KeyboardInterrupt

        yield Bar()

    monkeypatch.setattr(on_cluster, "progress", interrupted)
    out = tmp_path / "preds.parquet"
    with pytest.raises(KeyboardInterrupt):
        on_cluster.predict_to_parquet(load_model, two_models[1], [digits / "3"], out, ray_cluster, 2)
    assert [p.name for p in tmp_path.iterdir()] == []


def test_a_run_that_fails_on_the_workers_ends_in_one_line(ray_cluster, digits, tmp_path):
    out = tmp_path / "m"
    code, _, err = run_cli(
        "-q", "train", str(digits), "--model", "cnn", "--lr", "inf", "--epochs", "1",
        "--cluster", ray_cluster, "--workers", "2", "--out", str(out),
    )  # fmt: skip
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "diverged" in lines[0] and "Traceback" not in err, err
    assert not out.exists() and not (tmp_path / ".m.checkpoint.ray").exists()  # nor the run's checkpoints


def test_a_worker_group_that_fails_ends_in_one_line(ray_cluster, digits, tmp_path, monkeypatch):
    import ray.train.torch
    from ray.train import WorkerGroupError

    class Failing:  # what TorchTrainer.fit raises on Train V2 once a worker's error outlasts the restarts
        def __init__(self, *args, **kwargs):
            pass

        def fit(self):
            raise WorkerGroupError("rank 0 failed", {0: ValueError("the worker choked")})

    monkeypatch.setattr(ray.train.torch, "TorchTrainer", Failing)
    code, _, err = run_cli(
        "-q", "train", str(digits), "--model", "cnn", "--epochs", "1", "--cluster", ray_cluster,
        "--out", str(tmp_path / "m"),
    )  # fmt: skip
    expected = "deepstart: Training on the cluster failed: ValueError: the worker choked"
    assert code == 2 and err.strip() == expected, err


def _ray_train_workers() -> list[int]:
    """Processes of this user whose title names a Ray Train worker."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if b"RayTrainWorker" in title and entry.stat().st_uid == os.getuid():
                found.append(int(entry.name))
    return found


def _epochs_saved(storage: Path) -> int:
    """The most epochs a checkpoint in storage holds (0 while there is none)."""
    import json

    found = [0]
    for state in storage.glob("*/checkpoint_*/state/state.json"):
        try:
            found.append(len(json.loads(state.read_text())["history"]["epochs"]))
        except (OSError, ValueError, KeyError):
            continue  # being written
    return max(found)


def test_a_worker_killed_during_training_is_replaced_and_training_resumes(ray_cluster, digits, tmp_path):
    from deepstart import Predictor

    storage = tmp_path / "storage"
    predictor = Predictor(
        **SETTINGS, epochs=10, patience=100, cluster=ray_cluster, workers=2, cluster_storage=str(storage)
    )
    outcome = {}

    def train():
        try:
            outcome["model"] = predictor.fit(digits)
        except BaseException as e:  # noqa: BLE001 - the assertion below shows it
            outcome["error"] = e

    thread = threading.Thread(target=train)
    thread.start()
    killed, deadline = None, time.monotonic() + 150
    while killed is None and thread.is_alive() and time.monotonic() < deadline:
        if _epochs_saved(storage) >= 3 and (workers := _ray_train_workers()):  # epoch 2's is Ray's now
            killed = workers[-1]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.2)
    thread.join(timeout=240)
    assert killed is not None, "no worker was seen to kill"
    assert "error" not in outcome, outcome.get("error")
    model = outcome["model"]
    assert model.training_["cluster"]["restarts"] >= 1
    assert [e["epoch"] for e in model.history_.epochs] == list(range(1, 11))  # each epoch once
    assert model.metrics_["test"]["accuracy"] > 0.8
    assert list(storage.glob("deepstart-*")) == [], "the run's checkpoints were left in --cluster-storage"


def test_tune_on_a_cluster_runs_trials_in_parallel_on_ray_tune(ray_cluster, digits, tmp_path):
    import json

    out, storage = tmp_path / "tuned", tmp_path / "store"
    args = ["--trials", "4", "--cluster", ray_cluster, "--cluster-storage", str(storage), "--out", str(out)]
    code, said, err = run_cli("tune", str(digits), "--epochs", "2", *args)
    assert code == 0, err
    assert list(storage.glob("deepstart-tune-*")) == []  # the trials' folders, once the best is read
    manifest = json.loads((out / "manifest.json").read_text())
    tuning = manifest["tuning"]
    assert tuning["engine"] == "ray-tune" and tuning["parallel"] == 2
    assert tuning["n_trials"] == 4 and tuning["completed"] == 4, tuning["trials"]
    trials = tuning["trials"]
    assert all(t["ray_trial"] for t in trials) and trials[0]["params"] == tuning["defaults"]
    assert all(t["reused"] >= 1 for t in trials)  # the pixels were encoded once, by the driver
    spans = sorted((t["started"], t["ended"]) for t in trials)
    assert any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:])), spans  # two at once
    best = max(t["value"] for t in trials)
    assert next(t for t in trials if t["params"] == tuning["chosen"])["value"] == best
    assert manifest["training"]["cluster"]["engine"] == "ray-tune"
    assert "Why these settings" in (out / "tuning.html").read_text() and "Tuning: " in said
    script = (
        "import sys; from deepstart.cli import main; "
        f"code = main(['predict', {str(out)!r}, {str(digits / '3')!r}]); "
        "assert code == 0, code; assert 'ray' not in sys.modules, 'ray was imported'; print('no ray')"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip().endswith("no ray"), done.stderr[-2000:]


def test_ray_tune_trials_become_the_optuna_study_the_reasons_read():
    import optuna

    from deepstart.modalities.recipe import Knob
    from deepstart.tune.parallel import _record, distributions

    space = distributions({"lr": Knob("log", 1e-4, 1e-1), "augment": Knob("choice", choices=(True, False))})
    done = {"value": 0.9, "seconds": 2.0, "found": [], "started": 1.0, "ended": 3.0, "reused": 1}
    results = [
        {"id": "a", "config": {"lr": 3e-3, "augment": True}, "metrics": done, "error": None},
        {"id": "b", "config": {"lr": 1e-2, "augment": False}, "metrics": {}, "error": "ValueError: diverged"},
        {"id": "c", "config": {"lr": 1e-3, "augment": True}, "metrics": {}, "error": None},  # out of budget
    ]
    study = optuna.create_study(direction="maximize")
    _record(study, results, space)
    states = [t.state.name for t in study.trials]
    assert states == ["COMPLETE", "FAIL", "FAIL"] and study.best_trial.user_attrs["ray_trial"] == "a"
    assert study.trials[1].user_attrs["failed"] == "ValueError: diverged"
    assert "budget" in study.trials[2].user_attrs["failed"] and study.best_trial.params["lr"] == 3e-3
