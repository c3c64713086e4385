"""Speech: Google's speech_embedding network (Lin et al. 2020, "Training keyword spotters
with limited and synthesized speech data"), pretrained on a large corpus of spoken
words so that recordings of the same word land close together whoever speaks it. It
maps 76 frames (0.76 s) of a 32-band mel spectrogram to 96 numbers. The two ONNX files
(the mel front end and the embedding network, as converted by openWakeWord) come from
the PyPI package openwakeword 0.5.1: the `speech` extra, `pip install "deepstart[speech]"`.
They run in ONNX Runtime; nothing is imported from openwakeword itself.

Measured on the spoken digits of ../shared (five speakers, each held out in turn,
logistic regression on the mean and maximum of each recording's windows): 95.5 % on
unseen speakers, against 82.9 % for a CNN trained from scratch on log-mel pictures."""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..files import files_sha256
from ..onnx.session import open_session

NAME = "google-speech-embedding"
PACKAGE = "openwakeword"
RATE = 16_000  # the front end reads 16 kHz samples
HOP = 160  # samples per mel frame (10 ms)
WINDOW, STEP = 76, 8  # mel frames per embedding, and between embeddings
DIM = 96
FEATURE_DIM = 2 * DIM  # the mean and the maximum of a recording's embeddings
MIN_SAMPLES = (WINDOW + 3) * HOP  # the shortest clip that gives one window
BATCH = 64  # recordings per call of the front end
SCALE = 0.1  # the embeddings' numbers are about 13 in size: scaled to about 1, as a classifier's
# learning rate expects


def available() -> bool:
    return importlib.util.find_spec(PACKAGE) is not None


def _files() -> tuple[Path, Path]:
    """The front end's and the embedding network's ONNX files (found without importing
    openwakeword, whose __init__ loads its wake-word models)."""
    if not available():
        raise ConfigError(
            'The pretrained speech network needs its weights: pip install "deepstart[speech]" '
            "(openwakeword), or train with --model cnn."
        )
    folder = Path(importlib.util.find_spec(PACKAGE).submodule_search_locations[0]) / "resources" / "models"
    files = folder / "melspectrogram.onnx", folder / "embedding_model.onnx"
    if not all(f.is_file() for f in files):
        raise ConfigError(
            f"{PACKAGE} is installed without its ONNX models in {folder}; "
            'pip install "openwakeword==0.5.1", or train with --model cnn.'
        )
    return files


@functools.cache
def weights_sha256() -> str:
    return files_sha256(_files())


class SpeechNetwork:
    """(N, samples) float32 clips at 16 kHz, each scaled to a peak of 1 -> (N, 192): the
    mean and maximum of the embeddings of its 0.76 s windows, 80 ms apart."""

    def __init__(self, threads: int | None = None):
        mel, embedding = _files()
        self.mel, self.embedding = open_session(mel, threads), open_session(embedding, threads)

    def __call__(self, clips: np.ndarray) -> np.ndarray:
        out = np.zeros((len(clips), FEATURE_DIM), np.float32)
        for start in range(0, len(clips), BATCH):
            out[start : start + BATCH] = self._pooled(clips[start : start + BATCH])
        return out

    def _pooled(self, clips: np.ndarray) -> np.ndarray:
        pcm = (clips * 16_000).astype(np.float32)  # int16 scale, the peak at about half of full scale
        spec = self.mel.run(None, {self.mel.get_inputs()[0].name: pcm})[0]  # (N, 1, frames, 32)
        spec = spec[:, 0] / 10 + 2  # as openWakeWord feeds the embedding network
        starts = range(0, spec.shape[1] - WINDOW + 1, STEP)
        windows = np.stack([spec[:, s : s + WINDOW] for s in starts], axis=1)  # (N, W, 76, 32)
        n, w = windows.shape[:2]
        flat = windows.reshape(n * w, WINDOW, -1, 1).astype(np.float32)
        embedded = self.embedding.run(None, {self.embedding.get_inputs()[0].name: flat})[0].reshape(n, w, DIM)
        return SCALE * np.concatenate([embedded.mean(1), embedded.max(1)], axis=1)
