"""The model folder: safetensors + JSON only, same predictions after loading,
tampering refused, and a crash never leaves a half-written model."""

import json
import os
import shutil

import numpy as np
import pytest

from deepstart import ConfigError, ModelFileError, Predictor, artifact


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
    (out / artifact.MANIFEST).write_text(
        (out / artifact.MANIFEST).read_text().replace('"classes"', '"old": 1, "classes"')
    )
    Predictor.load(trained).save(out)
    assert '"old"' not in (out / artifact.MANIFEST).read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_a_model_folder_holding_other_files_is_not_replaced(trained, tmp_path):
    out = shutil.copytree(trained, tmp_path / "model")
    (out / "notes.txt").write_text("my notes")
    with pytest.raises(ConfigError, match="holds other files"):
        Predictor.load(trained).save(out)
    assert (out / "notes.txt").read_text() == "my notes"


def test_a_folder_with_any_manifest_is_not_taken_for_a_model(tmp_path, trained):
    out = tmp_path / "project"
    (out / "src").mkdir(parents=True)
    (out / "manifest.json").write_text("{}")
    with pytest.raises(ConfigError, match="holds other files"):
        Predictor.load(trained).save(out)
    assert (out / "src").is_dir()


def test_saved_files_have_the_usual_permissions(trained, tmp_path):
    old = os.umask(0o022)
    try:
        out = Predictor.load(trained).save(tmp_path / "model")
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o755
    assert {p.stat().st_mode & 0o777 for p in out.iterdir()} == {0o644}


@pytest.mark.parametrize("where", ["file_parent", "cwd"])
def test_out_paths_that_cannot_hold_a_model(trained, tmp_path, monkeypatch, where):
    (tmp_path / "afile").write_text("x")
    out = tmp_path / "afile" / "model" if where == "file_parent" else tmp_path
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="cannot be created|current folder"):
        Predictor.load(trained).save(out)


def test_class_list_that_does_not_fit_the_network_is_refused(trained, tmp_path):
    copy = shutil.copytree(trained, tmp_path / "m")
    manifest = json.loads((copy / artifact.MANIFEST).read_text())
    manifest["classes"] = manifest["classes"][:2]
    (copy / artifact.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match="2 classes but a network for 3"):
        Predictor.load(copy)


def test_unsaved_predictor_cannot_be_saved(tmp_path):
    with pytest.raises(ModelFileError, match="not trained yet"):
        Predictor().save(tmp_path / "m")


def test_a_killed_saves_leftovers_are_cleared_on_the_next_save(tmp_path):
    import subprocess
    import sys

    import torch

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(gone.stdout)  # a process that has ended
    stale = tmp_path / f".m.tmp-{dead_pid}-abc123"
    running = tmp_path / f".m.tmp-{os.getpid()}-def456"  # a save in progress in a live process
    for folder in (stale, running):
        folder.mkdir()
        (folder / "weights.safetensors").write_bytes(b"half")
    artifact.save(tmp_path / "m", {"task": "classification"}, {"w": torch.ones(2)})
    assert not stale.exists() and running.exists() and (tmp_path / "m" / "manifest.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["m", running.name])


def test_a_manifest_is_signed_with_this_users_key_and_an_edit_shows(trained, tmp_path, monkeypatch):
    manifest, _ = artifact.load(trained)
    assert artifact.signed_here(manifest)
    assert not artifact.signed_here(manifest | {"classes": manifest["classes"][::-1]})
    assert not artifact.signed_here({k: v for k, v in manifest.items() if k != "signature"})
    monkeypatch.setenv("DEEPSTART_KEY_FILE", str(tmp_path / "another.key"))  # another user, or machine
    assert not artifact.signed_here(manifest)
    assert not (tmp_path / "another.key").exists()  # checking never makes a key
