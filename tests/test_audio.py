"""Sound: generated tones and chirps written as WAV, FLAC and OGG files; training,
prediction, evaluation, the files that cannot be used, detection beside images."""

import io
import json

import numpy as np
import pytest
import soundfile

from deepstart.data.examples import Examples
from deepstart.errors import ConfigError
from deepstart.modalities import REGISTRY, read_labeled
from deepstart.modalities.audio.encoder import BANDS, FRAMES, SpectrogramEncoder
from deepstart.models import speech
from deepstart.train.augment import SpecAugment

from conftest import image_bytes, run_cli

SPEECH = pytest.mark.skipif(  # the `speech` extra, which `make setup` installs
    speech.available() is False,
    reason='the pretrained speech network is not installed: pip install "deepstart[speech]"',
)

RATE = 8000


def tone(kind: str, k: int, seconds: float = 0.5, rate: int = RATE) -> np.ndarray:
    """A rising chirp, a falling chirp or a steady tone, each at its own pitch, with noise."""
    rng = np.random.default_rng(k)
    t = np.arange(int(seconds * rate)) / rate
    start = 300 + 40 * (k % 7)
    sweep = {"up": start + 2000 * t, "down": start + 2000 * (seconds - t), "flat": start + 600 + 0 * t}[kind]
    phase = 2 * np.pi * np.cumsum(sweep) / rate
    return (0.5 * np.sin(phase) + 0.02 * rng.normal(size=len(t))).astype(np.float32)


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    root = tmp_path_factory.mktemp("sounds")
    for kind in ("up", "down", "flat"):
        (root / kind).mkdir()
        for k in range(24):
            fmt = ("WAV", "FLAC", "OGG")[k % 3]
            soundfile.write(root / kind / f"{kind}_{k}.{fmt.lower()}", tone(kind, k), RATE, format=fmt)
    return root


@pytest.mark.parametrize(
    "model, encoder",
    [pytest.param("auto", "google-speech-embedding", marks=SPEECH), ("cnn", "log-mel")],
    ids=["pretrained", "cnn"],
)
def test_recordings_train_predict_and_evaluate(recordings, tmp_path, model, encoder):
    out = str(tmp_path / "m")
    epochs = ["--epochs", "8"] if model == "cnn" else []  # a classifier on embeddings takes its own
    code, said, err = run_cli("train", str(recordings), "--model", model, *epochs, "--out", out)
    assert code == 0, err
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert manifest["modality"] == "audio" and manifest["encoder"]["name"] == encoder
    refit = manifest["training"].get("refit")  # the classifier on embeddings, kept, is trained again
    assert bool(refit) == (model == "auto" and manifest["choice"] == "deep"), manifest["leaderboard"]
    titles = [row["model"] for row in manifest["leaderboard"]]
    assert any(t.startswith("MFCC statistics + logistic regression") for t in titles), titles
    assert manifest["metrics"]["test"]["accuracy"] >= 0.8  # three kinds of sweep, easy to hear apart
    soundfile.write(tmp_path / "new.wav", tone("up", 99, rate=22050), 22050)  # another rate: resampled
    code, out, err = run_cli("predict", str(tmp_path / "m"), str(tmp_path / "new.wav"), "--json")
    assert code == 0 and json.loads(out)[0]["label"] == "up", out + err
    code, out, err = run_cli("evaluate", str(tmp_path / "m"), str(recordings), "--json")
    assert code == 0 and json.loads(out)["n"] == 72, err


def test_files_that_cannot_be_used_are_skipped_with_the_reason(tmp_path):
    soundfile.write(tmp_path / "empty.wav", np.zeros(0, np.float32), RATE)
    soundfile.write(tmp_path / "silent.wav", np.zeros(RATE, np.float32), RATE)
    soundfile.write(tmp_path / "clipped.wav", np.sign(tone("up", 1)) * 1.0, RATE)
    (tmp_path / "notes.wav").write_text("not a sound")
    soundfile.write(tmp_path / "fine.wav", np.stack([tone("up", 2)] * 2, 1), RATE)  # stereo
    encoder = SpectrogramEncoder(0.5)
    files = sorted(tmp_path.glob("*.wav"))
    encoded = encoder.encode(files)
    reasons = {name.rsplit("/", 1)[-1]: why for name, why in encoded.skipped}
    assert reasons == {
        "clipped.wav": "is clipped (distorted)",
        "empty.wav": "is empty",
        "notes.wav": "is not a sound file soundfile can decode (WAV, FLAC, OGG, MP3)",
        "silent.wav": "is silent",
    }
    assert encoded.features.shape == (1, 1, BANDS, FRAMES) and encoded.features.dtype == np.uint8


def test_a_folder_of_sound_files_is_audio_and_one_of_pictures_is_images(recordings, tmp_path):
    assert read_labeled(str(recordings)).kind == "audio"
    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        (tmp_path / label / "1.png").write_bytes(image_bytes())
    assert read_labeled(str(tmp_path)).kind == "image"


def test_the_clip_length_is_learned_from_the_training_recordings(recordings):
    files = sorted(recordings.rglob("*.wav"))
    assert SpectrogramEncoder().fit(files).seconds == pytest.approx(0.5, abs=0.01)
    with pytest.raises(ValueError):
        SpectrogramEncoder.from_spec({"seconds": 1e9})


def test_spec_augment_keeps_the_shape_and_masks_some_of_each_picture():
    import torch

    torch.manual_seed(0)
    x = torch.ones(16, 1, BANDS, FRAMES)
    out = SpecAugment()(x)
    assert out.shape == x.shape and (out == 0).any() and (out > 0).float().mean() > 0.5


def test_the_audio_recipe_refuses_models_for_other_data(recordings):
    from deepstart.settings import Settings

    examples = Examples("audio", [], [], str(recordings))
    with pytest.raises(ConfigError, match="transfer .*or cnn"):
        REGISTRY["audio"].recipe(examples, Settings(model="fine-tune"))


@SPEECH
def test_a_kept_classifier_on_embeddings_is_trained_again_on_learning_and_validation(tmp_path):
    for kind in ("up", "down", "flat"):
        (tmp_path / kind).mkdir()
        for k in range(24):
            soundfile.write(tmp_path / kind / f"{kind}_{k}.wav", tone(kind, k), RATE)
    code, said, err = run_cli("train", str(tmp_path), "--out", str(tmp_path / "m"))
    assert code == 0, err
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert manifest["choice"] == "deep", manifest["leaderboard"]
    refit, data = manifest["training"]["refit"], manifest["data"]
    assert refit == {"examples": data["n_train"] + data["n_validation"], "epochs": refit["epochs"]}
    assert refit["epochs"] == manifest["training"]["history"]["best_epoch"] > 0
    deep = next(row for row in manifest["leaderboard"] if row["name"] == "deep")
    assert deep["test_accuracy"] == manifest["metrics"]["test"]["accuracy"]  # the network kept
    assert f"Then trained again on all {refit['examples']} recordings" in said
    # its export is checked on data it was not trained on, or says that it was
    code, out, err = run_cli("export", str(tmp_path / "m"), "--out", str(tmp_path / "e"))
    assert code == 0 and "which the network was trained again on" in out + err, out + err


def test_serve_refuses_recordings_too_long_before_decoding_them(recordings, tmp_path):
    from fastapi.testclient import TestClient

    from deepstart.serve import Limits, create_app

    code, _, err = run_cli(
        "train", str(recordings), "--model", "cnn", "--epochs", "1", "--out", str(tmp_path / "m")
    )
    assert code == 0, err

    def wav(seconds: float) -> bytes:
        buffer = io.BytesIO()
        soundfile.write(buffer, tone("up", 1, seconds), RATE, format="WAV")
        return buffer.getvalue()

    limits = Limits(max_seconds=2.0, max_request_seconds=3.0)
    with TestClient(create_app(tmp_path / "m", None, limits), raise_server_exceptions=False) as client:
        for route in ("/predict", "/explain"):
            answer = client.post(route, files=[("file", ("long.wav", wav(2.5), "audio/wav"))])
            assert answer.status_code == 422 and "too long (2 s" in answer.json()["error"], answer.text
        two = [("file", (f"{k}.wav", wav(1.8), "audio/wav")) for k in range(2)]
        answer = client.post("/predict", files=two)
        assert answer.status_code == 413 and "4 s in all" in answer.json()["error"], answer.text
        answer = client.post("/predict", files=two[:1])
        assert answer.status_code == 200, answer.text
        answer = client.post("/predict", json={"image": "x"})
        assert answer.status_code == 415 and "Send recordings as multipart" in answer.json()["error"], (
            answer.text
        )
