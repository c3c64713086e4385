"""Training from scratch: the model chosen by the data, image arrays, resuming after
an interruption, time limits, and the training curve."""

import json

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.datasets import load_digits

from deepstart import DataError, Predictor
from deepstart.errors import TrainingInterrupted
from deepstart.models import efficientnet
from deepstart.train import loop

from conftest import run_cli


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    return data.images, data.target  # (1797, 8, 8) floats 0..16, labels 0..9


def test_small_images_get_a_cnn_trained_from_scratch(digits):
    x, y = digits
    p = Predictor(epochs=15).fit((x * 255 / 16).astype(np.uint8), y)
    assert p.recipe_["name"] == "cnn" and "small (8x8 pixels, greyscale)" in p.recipe_["reason"]
    assert "resized to 16x16" in p.recipe_["reason"]
    assert p.metrics_["test"]["accuracy"] >= 0.9
    assert p.recipe_["augmentation"]["flip"] is False  # digits are never mirrored


def test_photos_get_transfer_learning(tmp_path):
    rng = np.random.default_rng(0)
    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        for i in range(4):
            Image.fromarray(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)).save(
                tmp_path / label / f"{i}.jpg"
            )
    p = Predictor(epochs=2).fit(tmp_path)
    assert p.recipe_["name"] == "transfer" and "photos (mostly 160x120 pixels)" in p.recipe_["reason"]


@pytest.mark.parametrize("shape", [(60, 12, 12), (60, 12, 12, 1), (60, 12, 12, 3), (60, 12, 12, 4)])
def test_image_arrays_of_any_channel_count(shape):
    rng = np.random.default_rng(0)
    x = rng.random(shape).astype(np.float32)  # floats in [0, 1]
    y = np.array(["cat", "dog"] * 30)  # string labels
    p = Predictor(epochs=2).fit(x, y)
    assert p.classes_ == ["cat", "dog"] and p.predict_proba(x[:5]).shape == (5, 2)
    assert p.predict(x[:3])[0] in {"cat", "dog"}


@pytest.mark.parametrize(
    "x,y,match",
    [
        (np.zeros(10), [0, 1] * 5, "shape"),  # (N, steps) would be sequences
        (np.zeros((10, 8, 8, 2)), [0, 1] * 5, "shape"),
        (np.array([["a"] * 8] * 8 * 10).reshape(10, 8, 8), [0, 1] * 5, "numbers"),
        (np.zeros((10, 8, 8)), [0, 1] * 4, "one label per image"),
        (np.zeros((10, 8, 8)), None, "labels"),
    ],
)
def test_bad_arrays_are_refused(x, y, match):
    with pytest.raises(DataError, match=match):
        Predictor().fit(x, y)


def test_mixed_sizes_are_resized_and_said(tmp_path, digits_root):
    for label in ("0", "1"):
        (tmp_path / label).mkdir()
        for i, f in enumerate(sorted((digits_root / label).iterdir())[:10]):
            image = Image.open(f)
            (image.resize((28, 28)) if i % 2 else image).save(tmp_path / label / f.name)
    p = Predictor(epochs=2).fit(tmp_path)
    assert "they come in 2 sizes, all resized to 32x32" in p.recipe_["reason"]


def interrupt_at_epoch(monkeypatch, epoch: int):
    """Make Ctrl-C arrive during the given epoch's validation."""
    calls = {"n": 0}
    real = loop.evaluate

    def evaluate(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == epoch:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(loop, "evaluate", evaluate)


def test_resume_after_interruption_gives_the_same_model(digits, tmp_path, monkeypatch):
    x, y = (digits[0] * 255 / 16).astype(np.uint8)[:400], digits[1][:400]
    whole = Predictor(epochs=5, seed=1).fit(x, y)
    interrupt_at_epoch(monkeypatch, 3)
    with pytest.raises(TrainingInterrupted) as stop:
        Predictor(epochs=5, seed=1).fit(x, y, checkpoint=tmp_path / "ckpt")
    assert stop.value.epochs_done == 2 and (tmp_path / "ckpt" / "state.json").is_file()
    monkeypatch.undo()
    resumed = Predictor(epochs=5, seed=1).fit(x, y, checkpoint=tmp_path / "ckpt", resume=True)
    assert len(resumed.history_.epochs) == 5 and (tmp_path / "ckpt").exists()
    resumed.save(tmp_path / "model")
    assert not (tmp_path / "ckpt").exists()  # removed only once the model is safe
    for (name, a), b in zip(whole.net_.state_dict().items(), resumed.net_.state_dict().values()):
        torch.testing.assert_close(a, b, msg=name)


def test_cli_interrupt_then_resume(digits_root, tmp_path, monkeypatch):
    out = tmp_path / "model"
    args = ["train", str(digits_root), "--out", str(out), "--epochs", "4"]
    interrupt_at_epoch(monkeypatch, 2)
    code, _, err = run_cli(*args)
    assert code == 130 and "stopped after epoch 1" in err and "--resume" in err and not out.exists()
    monkeypatch.undo()
    code, _, err = run_cli(*args, "--resume")
    assert code == 0, err
    history = json.loads((out / "manifest.json").read_text())["training"]["history"]
    assert len(history["epochs"]) == 4
    assert not (tmp_path / ".model.checkpoint").exists()


def test_resume_without_checkpoint_or_with_other_data(digits_root, tmp_path, monkeypatch):
    out = tmp_path / "model"
    code, _, err = run_cli("-q", "train", str(digits_root), "--out", str(out), "--resume")
    assert code == 2 and "No checkpoint to resume from" in err
    interrupt_at_epoch(monkeypatch, 2)
    run_cli("train", str(digits_root), "--out", str(out), "--epochs", "4")
    monkeypatch.undo()
    code, _, err = run_cli("-q", "train", str(digits_root), "--out", str(out), "--epochs", "5", "--resume")
    assert code == 2 and "other data or settings (settings.epochs: 4 then, 5 now)" in err


def test_a_time_limit_too_short_to_train_is_refused(digits_root, tmp_path):
    out = tmp_path / "model"
    code, _, err = run_cli("-q", "train", str(digits_root), "--out", str(out), "--time-limit", "0.0001")
    assert code == 2 and "at least 5 s" in err and not out.exists()
    code, _, err = run_cli("-q", "train", str(digits_root), "--out", str(out), "--time-limit", "ten minutes")
    assert code == 2 and "such as 90s, 10m or 2h" in err and not out.exists()


def test_training_curve_is_a_png_in_the_model(trained):
    data = (trained / "training_curve.png").read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000


def test_fine_tuning_trains_the_later_layers(tmp_path):
    rng = np.random.default_rng(0)
    for label, channel in (("red", 0), ("blue", 2)):
        (tmp_path / label).mkdir()
        for i in range(8):
            pixels = rng.integers(0, 80, (96, 96, 3), dtype=np.uint8)
            pixels[..., channel] += 150
            Image.fromarray(pixels).save(tmp_path / label / f"{i}.png")
    p = Predictor(fine_tune=True, epochs=1, batch_size=8).fit(tmp_path)
    assert p.recipe_["name"] == "fine-tune" and p.recipe_["augmentation"]["flip"] is True
    pretrained = efficientnet.build_features().state_dict()
    changed = {
        name for name, w in p.net_.backbone.state_dict().items() if not torch.equal(w, pretrained[name])
    }
    assert any(name.startswith("network._blocks.15.") for name in changed)  # late layers adapt
    assert not any(name.startswith(("network._conv_stem", "network._blocks.0.")) for name in changed)
    assert p.metrics_["test"]["accuracy"] == 1.0
    copy = Predictor.load(p.save(tmp_path / "model"))
    np.testing.assert_allclose(
        copy.predict_proba(tmp_path / "red"), p.predict_proba(tmp_path / "red"), atol=1e-5
    )


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cnn_trains_on_the_gpu(digits):
    x, y = (digits[0] * 255 / 16).astype(np.uint8), digits[1]
    p = Predictor(epochs=5).fit(x, y)
    assert p.metrics_["test"]["accuracy"] >= 0.9


@pytest.mark.parametrize(
    "x,match",
    [
        (np.full((20, 8, 8), np.nan), "NaN or infinite"),
        (np.random.default_rng(0).normal(size=(20, 8, 8)), "undo any standardisation"),
        ([np.zeros((8, 8)), np.zeros((9, 9))], "different sizes"),
    ],
)
def test_float_arrays_that_are_not_pixels_are_refused(x, match):
    with pytest.raises(DataError, match=match):
        Predictor().fit(x, [0, 1] * 10 if not isinstance(x, list) else [0, 1])


def test_integer_labels_come_back_as_integers(digits):
    x, y = (digits[0] * 255 / 16).astype(np.uint8)[:300], digits[1][:300]
    p = Predictor(epochs=15).fit(x, y)
    assert all(isinstance(v, int) for v in p.predict(x[:5]))
    assert np.mean(np.array(p.predict(x)) == y) > 0.5


def test_the_last_epochs_train_without_augmentation(monkeypatch):
    from deepstart.settings import Settings

    batches_per_epoch = []
    original = loop._epoch

    def counted(*args):  # counts the augmented batches of each epoch
        batches_per_epoch.append(0)
        return original(*args)

    def augment(x):
        batches_per_epoch[-1] += 1
        return x

    monkeypatch.setattr(loop, "_epoch", counted)
    x, y = torch.rand(64, 4), torch.randint(0, 2, (64,))
    net = torch.nn.Linear(4, 2)
    plan = loop.Plan(4, 16, [{"params": list(net.parameters()), "lr": 1e-2}], augment=augment, clean_epochs=1)
    history = loop.fit(net, (x, y), (x, y), Settings(seed=0, patience=10), plan)
    assert len(history.epochs) == 4 and batches_per_epoch == [4, 4, 4, 0]


@pytest.mark.parametrize("pool_first", [False, True])
def test_the_cnn_explains_its_last_blocks_map_before_pooling(pool_first):
    from deepstart.models import build_net

    spec = {
        "name": "cnn",
        "in_channels": 1,
        "n_classes": 10,
        "size": 28,
        "hidden": 128,
        "pool_first": pool_first,
    }
    net, maps = build_net(spec).eval(), []
    net.cam_layer().register_forward_hook(lambda module, inputs, output: maps.append(output))
    assert net(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    assert maps[0].shape[2:] == (7, 7)  # the finest map of the last blocks
