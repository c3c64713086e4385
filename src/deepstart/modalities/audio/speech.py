"""Recordings -> 192 numbers each from a network pretrained on spoken words (Google's
speech_embedding, models/speech.py): frozen, cached by content hash, for a classifier
on top (transfer learning, as for photos and texts)."""

from __future__ import annotations

import numpy as np

from ...models import speech
from .encoder import SoundEncoder

ROOM = 54 * speech.HOP  # samples beyond the learned length: 0.54 s, six more windows


class SpeechEncoder(SoundEncoder):
    name = speech.NAME
    layout = "vectors"
    dtype = np.float32

    def __init__(self, seconds: float | None = None, cache: bool = True):
        super().__init__(seconds)
        self.use_cache = cache
        self._network: speech.SpeechNetwork | None = None

    @classmethod
    def from_spec(cls, spec: dict, settings=None) -> SpeechEncoder:
        encoder = super().from_spec(spec, settings)
        encoder.use_cache = settings.cache if settings is not None else True
        return encoder

    def spec(self) -> dict:
        return {
            **super().spec(),
            "package": speech.PACKAGE,
            "weights_sha256": speech.weights_sha256(),
            "feature_dim": speech.FEATURE_DIM,
        }

    def out_shape(self) -> tuple[int, ...]:
        return (speech.FEATURE_DIM,)

    def samples(self) -> int:
        """The learned length, at least one window long, with room for the windows to
        slide over it: ROOM more, so every recording is seen from seven positions or more
        (on spoken digits, unseen speakers: 92.9 % with two windows, 96.5 % with seven)."""
        return max(super().samples(), speech.WINDOW * speech.HOP) + ROOM

    def cache_key(self) -> str:
        return f"{self.name}-{speech.weights_sha256()[:16]}-{self.samples()}-x{speech.SCALE:g}"

    def features(self, clips: list[np.ndarray]) -> np.ndarray:
        if self._network is None:
            self._network = speech.SpeechNetwork()
        peaks = [max(float(np.abs(clip).max()), 1e-4) for clip in clips]
        return self._network(np.stack([clip / peak for clip, peak in zip(clips, peaks)]).astype(np.float32))
