"""Sound explained: generated recordings whose class is decided by a tone burst in a known
frequency band at a known moment (a 400 Hz or a 3.2 kHz burst from 0.6 to 0.8 s, or
none), beside a 1.3 kHz burst that every recording holds. The hottest patch of the
occlusion map must be the deciding burst's; explain writes its files; the report shows
each worst mistake's spectrogram and a player."""

import json

import numpy as np
import pytest
import soundfile

from deepstart.loading import load_model
from deepstart.modalities.audio.occlusion import BANDS, SEGMENTS, occlude

from conftest import run_cli

RATE = 16_000
PITCH = {"low": 400.0, "high": 3200.0, "none": None}  # the deciding burst of each class
BURST = (0.6, 0.8)  # when it sounds, in seconds


def burst(pitch: float, start: float, stop: float, seconds: float = 1.0) -> np.ndarray:
    """A tone from start to stop with soft edges (no click that spreads over every band)."""
    t = np.arange(int(seconds * RATE)) / RATE
    inside = (t >= start) & (t < stop)
    ramp = np.sin(np.pi * np.clip((t - start) / (stop - start), 0, 1)) ** 0.5
    return np.where(inside, ramp, 0) * np.sin(2 * np.pi * pitch * t)


def recording(kind: str, k: int) -> np.ndarray:
    rng = np.random.default_rng(1000 * list(PITCH).index(kind) + k)
    sound = 0.01 * rng.normal(size=RATE) + 0.3 * burst(1300 * rng.uniform(0.97, 1.03), 0.1, 0.3)
    if PITCH[kind]:
        sound += 0.3 * burst(PITCH[kind] * rng.uniform(0.97, 1.03), *BURST)
    return sound.astype(np.float32)


@pytest.fixture(scope="module")
def sound_model(tmp_path_factory):
    """A spectrogram CNN trained on 12 recordings of each class; its test data is 4 of
    each, two of them labelled wrongly, so that the report has mistakes to show."""
    root = tmp_path_factory.mktemp("explain_audio")
    for part, (first, n) in {"train": (0, 12), "test": (100, 4)}.items():
        for kind in PITCH:
            (root / part / kind).mkdir(parents=True)
            for k in range(first, first + n):
                soundfile.write(root / part / kind / f"{kind}_{k}.wav", recording(kind, k), RATE)
    for kind, other in (("low", "high"), ("high", "none")):  # labelled wrongly: certain mistakes
        (root / "test" / kind / f"{kind}_100.wav").rename(root / "test" / other / f"was_{kind}.wav")
    code, _, err = run_cli(
        "train", str(root / "train"), "--test", str(root / "test"), "--model", "cnn", "--epochs", "12",
        "--out", str(root / "model"),
    )  # fmt: skip
    assert code == 0, err
    return root


def overlaps(found: dict, kind: str) -> bool:
    top = found["strongest"]
    in_time = top["from_s"] < BURST[1] and top["to_s"] > BURST[0]
    return in_time and top["from_hz"] <= PITCH[kind] <= top["to_hz"]


@pytest.mark.parametrize("kind", ["low", "high"])
def test_the_hottest_patch_is_the_deciding_burst(sound_model, kind):
    model = load_model(sound_model / "model")
    found = occlude(model, recording(kind, 500))
    assert found.label == kind and found.effects.shape == (BANDS, SEGMENTS)
    assert overlaps(found.record(), kind), found.record()
    # the burst every class holds decides nothing: far cooler than the deciding one
    common = found.effects[:, 1:3].max()
    assert common < 0.5 * found.effects.max()


def test_a_longer_recording_is_explained_where_the_model_hears_it(sound_model):
    """The encoder hears the middle second of a 3 s recording: the grid covers that second,
    and the hottest patch is the deciding burst, 1 s later than in a 1 s recording."""
    model = load_model(sound_model / "model")
    rng = np.random.default_rng(7)
    around = [0.01 * rng.normal(size=RATE).astype(np.float32) for _ in range(2)]
    found = occlude(model, np.concatenate([around[0], recording("high", 504), around[1]])).record()
    assert found["label"] == "high" and found["heard_s"] == [1.0, 2.0]
    top = found["strongest"]
    assert top["from_s"] < 1 + BURST[1] and top["to_s"] > 1 + BURST[0], top
    assert top["from_hz"] <= PITCH["high"] <= top["to_hz"], top


def test_explain_writes_a_picture_and_json_per_recording(sound_model, tmp_path):
    soundfile.write(tmp_path / "new.wav", recording("high", 501), RATE)
    soundfile.write(tmp_path / "other.flac", recording("low", 502), RATE, format="FLAC")
    why = tmp_path / "why"
    code, out, err = run_cli(
        "explain", str(sound_model / "model"), str(tmp_path / "new.wav"), str(tmp_path / "other.flac"),
        "--out", str(why),
    )  # fmt: skip
    assert code == 0, err
    assert "decided most by" in out and len(out.strip().splitlines()) == 2
    assert (why / "new.heatmap.png").read_bytes()[:4] == b"\x89PNG"
    records = json.loads((why / "explanations.json").read_text())["recordings"]
    assert [r["label"] for r in records] == ["high", "low"]
    assert overlaps(records[0], "high") and overlaps(records[1], "low")
    page = (why / "explanations.html").read_text()
    assert page.count("<audio controls") == 2 and page.count("data:image/png;base64,") == 2
    # --class: why it would be another class
    code, out, err = run_cli(
        "explain", str(sound_model / "model"), str(tmp_path / "new.wav"), "--class", "low",
        "--out", str(why),
    )  # fmt: skip
    assert code == 0 and "explained low" in out, err
    code, _, err = run_cli("explain", str(sound_model / "model"), str(tmp_path / "new.wav"), "--class", "x")
    assert code == 2 and "not a class" in err


def test_the_report_plays_and_pictures_each_worst_mistake(sound_model):
    manifest = json.loads((sound_model / "model" / "manifest.json").read_text())
    mistakes = manifest["worst_mistakes"]
    assert len(mistakes) >= 2  # the two recordings labelled wrongly
    report = (sound_model / "model" / "report.html").read_text()
    shown = report.split("The worst mistakes on the test data")[1]
    assert shown.count("<audio controls") == len(mistakes)
    assert shown.count('alt="spectrogram of') == len(mistakes)
    assert "data:audio/wav;base64," in shown and "time across, pitch upwards" in shown


def test_a_model_with_shuffled_weights_is_moved_by_no_patch(sound_model):
    import torch

    model = load_model(sound_model / "model")
    model.choice_ = "deep"  # the network alone (the kept model may average MFCC statistics' classifier in)
    sound = recording("high", 503)
    before = occlude(model, sound, class_index=model.classes_.index("high")).effects
    torch.manual_seed(0)
    with torch.no_grad():
        for parameter in model.net_.parameters():
            parameter.copy_(parameter.flatten()[torch.randperm(parameter.numel())].view_as(parameter))
    after = occlude(model, sound, class_index=model.classes_.index("high")).effects
    assert np.abs(after).max() < 0.25 * before.max()  # a network that learned nothing: nothing decided
