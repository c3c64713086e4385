"""Recordings -> log-mel spectrograms, as (1, 64, 64) uint8 pictures a CNN learns from:
each file decoded by libsndfile (soundfile: WAV, FLAC, OGG, MP3), mixed to one channel,
resampled to 16 kHz, cut or padded (centred) to a length learned from the training
recordings, then 64 mel bands over 64 frames, in decibels below the recording's
loudest, 80 dB of range. Empty, silent, clipped and undecodable files are skipped with
the reason. No PyTorch here."""

from __future__ import annotations

import hashlib
import io
from functools import lru_cache

import numpy as np

from ...cache import FeatureCache
from ...data.examples import Encoded
from ...files import NotReadable, read_regular
from ...log import progress
from ..recipe import Encoder

RATE = 16_000  # samples per second every recording is resampled to
BANDS = FRAMES = 64  # the spectrogram's height (mel bands) and width (frames)
N_FFT = 512  # 32 ms windows
RANGE_DB = 80.0
SILENT = 1e-4  # a recording whose loudest sample is below this holds nothing
CLIPPED = 0.05  # a recording with more than this share of samples at full scale is distorted
SECONDS = (0.25, 10.0)  # the length learned from the data stays within these
CHUNK = 256  # recordings decoded before their features are computed (and the samples let go)


class SoundEncoder(Encoder):
    """What every encoder of recordings shares: each file read and decoded (or skipped
    with the reason), cut or padded to one length learned from the training recordings,
    and turned into features a batch at a time by `features`; with use_cache, features
    are kept by the file's content hash and a known file is not decoded again."""

    kind = "audio"
    learns = True

    def __init__(self, seconds: float | None = None):
        self.seconds = seconds

    def fit(self, items) -> SoundEncoder:
        """The length every recording is cut or padded to: the 90th percentile of the
        training recordings' durations (so most are whole), within SECONDS."""
        import soundfile

        durations = []
        for item in list(items)[:: max(1, len(items) // 500)]:
            try:
                durations.append(soundfile.info(io.BytesIO(read_bytes(item))).duration)
            except (OSError, RuntimeError, soundfile.LibsndfileError, Problem):
                continue
        found = float(np.percentile(durations, 90)) if durations else 1.0
        self.seconds = round(min(max(found, SECONDS[0]), SECONDS[1]), 3)
        return self

    def spec(self) -> dict:
        return {"kind": self.kind, "name": self.name, "seconds": self.seconds, "rate": RATE}

    @classmethod
    def from_spec(cls, spec: dict, settings=None) -> SoundEncoder:
        seconds = float(spec["seconds"])
        if not SECONDS[0] <= seconds <= SECONDS[1]:
            raise ValueError(f"a clip length of {seconds} s")
        return cls(seconds)

    def samples(self) -> int:
        """The length, in samples, every recording is cut or padded to."""
        return round(self.seconds * RATE)

    def clip(self, sound: np.ndarray) -> np.ndarray:
        """sound cut (about its middle) or padded (on both sides) to samples()."""
        length = self.samples()
        if len(sound) >= length:
            start = (len(sound) - length) // 2
            return sound[start : start + length]
        before = (length - len(sound)) // 2
        return np.pad(sound, (before, length - len(sound) - before))

    def features(self, clips: list[np.ndarray]) -> np.ndarray:
        """Clips of samples() samples -> one row of features each."""
        raise NotImplementedError

    def cache_key(self) -> str:
        return f"{self.name}-{self.seconds}"

    def _computed(self, todo: dict, cache: FeatureCache) -> dict:
        """The features of the clips in todo (content hash -> clip), cached; todo emptied."""
        if not todo:
            return {}
        computed = dict(zip(todo, self.features(list(todo.values()))))
        cache.put(computed)
        todo.clear()
        return computed

    def encode(self, items, desc: str = "Reading recordings", new_data: bool = False) -> Encoded:
        cache = FeatureCache(self.cache_key(), enabled=self.use_cache)
        try:
            kept, hashes, skipped, found, todo = [], [], [], {}, {}
            for i, item in enumerate(progress(items, desc=desc, unit="file")):
                name = f"upload {i + 1}" if isinstance(item, bytes) else str(item)
                try:
                    data = read_bytes(item)
                    digest = hashlib.sha256(data).hexdigest()
                    if digest not in found and digest not in todo:
                        found |= cache.get([digest])
                    if digest not in found and digest not in todo:
                        todo[digest] = self.clip(decode(data))
                except Problem as problem:
                    skipped.append((name, str(problem)))
                    continue
                kept.append(i)
                hashes.append(digest)
                if len(todo) >= CHUNK:  # features as they come: the decoded clips are not all kept
                    found |= self._computed(todo, cache)
            found |= self._computed(todo, cache)
        finally:
            cache.close()
        stacked = np.stack([found[h] for h in hashes]) if hashes else np.zeros((0, *self.out_shape()))
        return Encoded(stacked.astype(self.dtype), kept, hashes, skipped)


class SpectrogramEncoder(SoundEncoder):
    name = "log-mel"
    layout = "images"
    dtype = np.uint8

    def spec(self) -> dict:
        return {**super().spec(), "bands": BANDS}

    def out_shape(self) -> tuple[int, ...]:
        return (1, BANDS, FRAMES)

    def features(self, clips: list[np.ndarray]) -> np.ndarray:
        return np.stack([self.picture(clip) for clip in clips])

    def picture(self, sound: np.ndarray) -> np.ndarray:
        """One recording (16 kHz, mono) -> its (1, BANDS, FRAMES) uint8 log-mel picture."""
        sound = self.clip(sound)
        length = len(sound)
        hop = max(1, (length - N_FFT) // (FRAMES - 1)) if length > N_FFT else 1
        sound = np.pad(sound, (0, max(0, N_FFT + hop * (FRAMES - 1) - len(sound))))
        frames = np.lib.stride_tricks.sliding_window_view(sound, N_FFT)[::hop][:FRAMES]
        power = np.abs(np.fft.rfft(frames * np.hanning(N_FFT), axis=1)) ** 2
        mel = mel_filters() @ power.T  # (BANDS, FRAMES)
        db = 10 * np.log10(np.maximum(mel, 1e-12))
        db = np.clip(db - db.max(), -RANGE_DB, 0)
        db = db - db.mean(
            axis=1, keepdims=True
        )  # each band about its mean: the microphone's and the voice's tilt removed
        return np.round(np.clip(db / (RANGE_DB / 2), -1, 1) * 127.5 + 127.5).astype(np.uint8)[None]


class Problem(Exception):
    """Why a recording cannot be used, in a few words."""


def read_bytes(item) -> bytes:
    if isinstance(item, bytes):
        return item
    try:
        return read_regular(item)
    except NotReadable as e:
        raise Problem(str(e)) from None
    except OSError:
        raise Problem("cannot be read") from None


def declared_seconds(data: bytes) -> float | None:
    """How long a recording says it is, from its header (nothing decoded); None when
    soundfile cannot read it as sound."""
    import soundfile

    try:
        return float(soundfile.info(io.BytesIO(data)).duration)
    except (RuntimeError, soundfile.LibsndfileError, TypeError, ValueError):
        return None


def decode(data: bytes) -> np.ndarray:
    """Sound bytes -> float32 mono samples at RATE, or Problem."""
    import soundfile
    from scipy.signal import resample_poly

    try:
        sound, rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError, TypeError, ValueError):
        raise Problem("is not a sound file soundfile can decode (WAV, FLAC, OGG, MP3)") from None
    sound = sound.mean(axis=1)
    if len(sound) == 0:
        raise Problem("is empty")
    loudest = float(np.abs(sound).max())
    if loudest < SILENT:
        raise Problem("is silent")
    if np.mean(np.abs(sound) >= 0.999) > CLIPPED:
        raise Problem("is clipped (distorted)")
    if rate != RATE:
        divisor = np.gcd(int(rate), RATE)
        sound = resample_poly(sound, RATE // divisor, int(rate) // divisor).astype(np.float32)
    return sound


@lru_cache(maxsize=1)
def mel_filters() -> np.ndarray:
    """(BANDS, N_FFT // 2 + 1) triangular mel filters from 0 Hz to the Nyquist frequency."""
    mel = lambda hz: 2595 * np.log10(1 + hz / 700)  # noqa: E731
    hz = lambda m: 700 * (10 ** (m / 2595) - 1)  # noqa: E731
    edges = hz(np.linspace(mel(0), mel(RATE / 2), BANDS + 2))
    bins = np.fft.rfftfreq(N_FFT, 1 / RATE)
    filters = np.zeros((BANDS, len(bins)))
    for m in range(BANDS):
        low, mid, high = edges[m : m + 3]
        filters[m] = np.clip(np.minimum((bins - low) / (mid - low), (high - bins) / (high - mid)), 0, None)
    return filters
