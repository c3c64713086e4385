"""The model folder: safetensors + JSON only, same predictions after loading,
tampering refused, and a crash never leaves a half-written model."""

import json
import shutil

import numpy as np
import pytest

from deepstart import ModelFileError, Predictor, artifact


def test_save_load_gives_the_same_predictions(trained, digits_root, tmp_path):
    predictor = Predictor.load(trained)
    files = sorted((digits_root / "0").iterdir())[:4]
    copy = Predictor.load(predictor.save(tmp_path / "copy"))
    np.testing.assert_array_equal(predictor.predict_proba(files), copy.predict_proba(files))


def test_no_pickle_in_the_model_folder(trained):
    for path in trained.iterdir():
        data = path.read_bytes()
        assert not data.startswith(b"\x80") and b"torch._utils" not in data  # pickle markers


def test_changed_weights_are_refused(trained, tmp_path):
    copy = shutil.copytree(trained, tmp_path / "m")
    weights = copy / artifact.WEIGHTS
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="does not match"):
        Predictor.load(copy)


@pytest.mark.parametrize(
    "change", [{"net": {"name": "os.system"}}, {"classes": None}, {"format_version": 99}]
)
def test_changed_manifest_is_refused(trained, tmp_path, change):
    copy = shutil.copytree(trained, tmp_path / "m")
    manifest = json.loads((copy / artifact.MANIFEST).read_text())
    (copy / artifact.MANIFEST).write_text(json.dumps(manifest | change))
    with pytest.raises(ModelFileError):
        Predictor.load(copy)


def test_damaged_manifest_is_refused(trained, tmp_path):
    copy = shutil.copytree(trained, tmp_path / "m")
    (copy / artifact.MANIFEST).write_text("{ not json")
    with pytest.raises(ModelFileError, match="damaged"):
        Predictor.load(copy)


def test_failed_save_leaves_the_old_model_and_no_debris(trained, tmp_path, monkeypatch):
    out = shutil.copytree(trained, tmp_path / "model")
    before = (out / artifact.MANIFEST).read_text()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(artifact, "save_file", crash)
    with pytest.raises(KeyboardInterrupt):
        Predictor.load(trained).save(out)
    assert (out / artifact.MANIFEST).read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_saving_over_an_older_model_replaces_it(trained, tmp_path):
    out = shutil.copytree(trained, tmp_path / "model")
    (out / "stale.txt").write_text("from an older version")
    Predictor.load(trained).save(out)
    assert sorted(p.name for p in out.iterdir()) == [artifact.MANIFEST, artifact.WEIGHTS, "training_curve.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
