"""Which moments and frequencies of a recording decided a sound model's prediction, by
occlusion on the sound itself, so that it holds whatever the model's encoder is (a CNN
over log-mel pictures, a pretrained speech network, an exported model): the recording's
short-time Fourier transform is cut into SEGMENTS time segments x BANDS mel-spaced
frequency bands; each patch in turn is removed (its bins brought down to the recording's
background level), the sound rebuilt (inverse STFT) and given to the model as a WAV
file, in batches; a patch's effect is how much the explained class's probability drops
without it (a regressor: how far its number moves). No PyTorch here: the model is asked
through its own encoder and outputs."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from ...errors import DataError
from .encoder import N_FFT, RATE, Problem, decode, read_bytes

SEGMENTS = 10  # time segments across the whole recording
BANDS = 8  # frequency bands, equally wide on the mel scale, from 0 Hz to RATE / 2
HOP = N_FFT // 4  # 8 ms between STFT frames
BATCH_SAMPLES = 8_000_000  # the variants asked about at once hold at most this many samples


def mel(hz):
    return 2595 * np.log10(1 + np.asarray(hz) / 700)


def hertz(m):
    return 700 * (10 ** (np.asarray(m) / 2595) - 1)


def stft(sound: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frequencies in Hz, frame times in s, (frequencies, frames) complex bins)."""
    from scipy.signal import stft as transform

    return transform(sound, fs=RATE, nperseg=N_FFT, noverlap=N_FFT - HOP)


@dataclass
class Occlusion:
    """One recording explained."""

    sound: np.ndarray  # (samples,) float32 at RATE: the part of the recording the model hears
    class_index: int  # the class explained (0 for a regressor)
    label: str | None  # its name (None for a regressor)
    value: float  # the class's probability on the whole recording (a regressor's number)
    effects: np.ndarray  # (BANDS, SEGMENTS): the drop without each patch; row 0 the lowest band
    bands_hz: np.ndarray  # (BANDS + 1,) band edges
    segments_s: np.ndarray  # (SEGMENTS + 1,) segment edges, in seconds from the recording's start
    start: float = 0.0  # where sound starts in the recording, in seconds

    def heat(self) -> np.ndarray:
        """The effects in [0, 1]: what lowered the class, relative to the strongest patch."""
        top = float(self.effects.max())
        return np.clip(self.effects, 0, None) / top if top > 0 else np.zeros_like(self.effects)

    def strongest(self) -> dict:
        """The patch whose removal lowered the class most."""
        band, segment = np.unravel_index(int(np.argmax(self.effects)), self.effects.shape)
        return {
            "from_s": round(float(self.segments_s[segment]), 3),
            "to_s": round(float(self.segments_s[segment + 1]), 3),
            "from_hz": round(float(self.bands_hz[band])),
            "to_hz": round(float(self.bands_hz[band + 1])),
            "effect": float(self.effects[band, segment]),
        }

    def record(self) -> dict:
        """As JSON: effects row by row from the lowest band, each row from the start."""
        return {
            "label": self.label,
            "probability" if self.label is not None else "prediction": self.value,
            "heard_s": [round(self.start, 3), round(self.start + len(self.sound) / RATE, 3)],
            "bands_hz": [round(float(f)) for f in self.bands_hz],
            "segments_s": [round(float(s), 3) for s in self.segments_s],
            "effects": np.round(self.effects, 4).tolist(),
            "strongest": self.strongest(),
        }


def sound_of(item, name: str) -> np.ndarray:
    """A sound file or an upload's bytes, decoded as the model's encoder decodes it."""
    try:
        return decode(read_bytes(item))
    except Problem as problem:
        raise DataError(f"{name}: {problem}; give a readable recording.") from None


def occlude(predictor, sound: np.ndarray, class_index: int | None = None) -> Occlusion:
    """The recording's occlusion map for the predicted class (or class_index)."""
    start, sound = _heard(predictor.encoder_, sound)
    freqs, times, bins = stft(sound)
    bands_hz = hertz(np.linspace(0, mel(RATE / 2), BANDS + 1))
    segments_s = np.linspace(0, len(sound) / RATE, SEGMENTS + 1)
    rows = np.clip(np.searchsorted(bands_hz, freqs, side="right") - 1, 0, BANDS - 1)
    cols = np.clip(np.searchsorted(segments_s, times, side="right") - 1, 0, SEGMENTS - 1)
    quiet = _background(bins, rows)
    variants = [sound]
    for band in range(BANDS):
        for segment in range(SEGMENTS):
            cut, patch = bins.copy(), np.ix_(rows == band, cols == segment)
            cut[patch] = quiet[patch]
            variants.append(_rebuilt(cut, len(sound)))
    out = _outputs(predictor, variants)
    regression = predictor.task_ == "regression"
    if regression:
        k, value = 0, float(out[0])
        effects = np.abs(np.nan_to_num(out[1:] - out[0]))
    else:
        k = int(np.argmax(out[0])) if class_index is None else class_index
        value = float(out[0, k])
        effects = value - np.nan_to_num(out[1:, k])  # a variant left silent: the class is gone
    label = None if regression else str(predictor.classes_[k])
    effects = effects.reshape(BANDS, SEGMENTS)
    return Occlusion(sound, k, label, value, effects, bands_hz, start + segments_s, start)


def _heard(encoder, sound: np.ndarray) -> tuple[float, np.ndarray]:
    """(where it starts in seconds, the part of the recording the model hears): encoders
    of recordings cut each to one length about its middle, so patches beyond it cannot
    matter and the grid is spent on what can (and a long recording costs no more)."""
    length = encoder.samples()
    if len(sound) <= length:
        return 0.0, sound
    begin = (len(sound) - length) // 2  # as the encoder cuts it
    return begin / RATE, sound[begin : begin + length]


def _background(bins: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The bins brought down to the recording's background level, phases kept: each
    frequency's median level over time, or its band's typical level where lower (so that
    a tone held throughout is removed too). Zeros instead would cut silent holes, which
    no recording holds and models react to (measured: the holes in the noise of one band
    moved the class's probability more than the sound that decided it)."""
    level = np.abs(bins)
    floor = np.median(level, axis=1)  # (frequencies,)
    for band in np.unique(rows):
        floor[rows == band] = np.minimum(floor[rows == band], np.median(floor[rows == band]))
    return bins * np.minimum(1, floor[:, None] / np.maximum(level, 1e-12))


def _rebuilt(bins: np.ndarray, length: int) -> np.ndarray:
    from scipy.signal import istft

    _, sound = istft(bins, fs=RATE, nperseg=N_FFT, noverlap=N_FFT - HOP)
    sound = sound[:length]
    return np.pad(sound, (0, length - len(sound))).astype(np.float32)


def _outputs(predictor, sounds: list[np.ndarray]) -> np.ndarray:
    """The model's outputs for each sound, through its own encoder (NaN where the encoder
    skips one, e.g. a variant left silent), in batches of at most BATCH_SAMPLES samples."""
    encoder = predictor.encoder_
    per_batch = max(1, BATCH_SAMPLES // max(1, len(sounds[0])))
    found = []
    cached, encoder.use_cache = encoder.use_cache, False  # the variants are not worth keeping
    try:
        for start in range(0, len(sounds), per_batch):
            files = [_wav(s) for s in sounds[start : start + per_batch]]
            encoded = encoder.encode(files, "Explaining recordings", new_data=True)
            out = predictor.outputs(encoded.features, [files[i] for i in encoded.kept])
            full = np.full((len(files), *out.shape[1:]), np.nan)
            full[encoded.kept] = out
            found.append(full)
    finally:
        encoder.use_cache = cached
    out = np.concatenate(found)
    if np.isnan(out[0]).any():
        raise DataError("The recording cannot be explained: the model's encoder cannot read it.")
    return out


def _wav(sound: np.ndarray) -> bytes:
    """In-memory WAV (32-bit float, RATE), as the model's encoder reads files."""
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, sound, RATE, format="WAV", subtype="FLOAT")
    return buffer.getvalue()
