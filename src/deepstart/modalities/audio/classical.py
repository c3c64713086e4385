"""The classical approach to recordings, beside the deep model on the same split: each
recording's MFCCs (the cepstrum of its log-mel spectrogram, the features speech
recognition used for decades), from where the sound starts to where it ends, summarised
by their means over its beginning, middle and end, their spread, and their changes'
mean and spread, + logistic regression. (Gradient boosting on them was tried: on
one held-out speaker of spoken digits it scored 54.8 % to logistic regression's 53.8 %, in twice its
time, which a 60-second training cannot spare.)"""

from __future__ import annotations

import numpy as np

from .encoder import N_FFT, Problem, decode, mel_filters, read_bytes

HOP = 160  # 10 ms between frames
N_MFCC = 20
PARTS = 3  # the sound's beginning, middle and end, each summarised by its mean MFCCs
WIDTH = (PARTS + 3) * N_MFCC  # those means, the MFCCs' spread, and their changes' mean and spread
TITLE = "MFCC statistics + "


def statistics(items) -> np.ndarray:
    """(N, WIDTH) MFCC statistics of the recordings (read as the encoders read them; a
    recording that cannot be decoded gets zeros, but the encoders have skipped those)."""
    return np.stack([_statistics(item) for item in items]) if len(items) else np.zeros((0, WIDTH))


def _statistics(item) -> np.ndarray:
    from scipy.fft import dct

    try:
        sound = decode(read_bytes(item))
    except Problem:
        return np.zeros(WIDTH)
    sound = np.pad(sound, (0, max(0, N_FFT + HOP - len(sound))))
    frames = np.lib.stride_tricks.sliding_window_view(sound, N_FFT)[::HOP]
    power = np.abs(np.fft.rfft(frames * np.hanning(N_FFT), axis=1)) ** 2
    db = 10 * np.log10(np.maximum(power @ mel_filters().T, 1e-10))
    db = np.maximum(db - db.max(), -80) / 80  # 0 to -1: 80 dB below the loudest, as the CNN reads them
    mfcc = dct(db, type=2, norm="ortho", axis=1)[:, :N_MFCC]
    mfcc[:, 0] /= 8  # the overall level, a sum over 64 bands: brought to the others' size
    loud = np.flatnonzero(db.max(1) > -0.5)  # the frames within 40 dB of the loudest: the sound itself
    mfcc = mfcc[loud[0] : loud[-1] + 1] if len(loud) else mfcc
    delta = np.diff(mfcc, axis=0) if len(mfcc) > 1 else np.zeros_like(mfcc)
    thirds = (
        [part.mean(0) for part in np.array_split(mfcc, PARTS)]
        if len(mfcc) >= PARTS
        else [mfcc.mean(0)] * PARTS
    )
    return np.concatenate([*thirds, mfcc.std(0), delta.mean(0), delta.std(0)])


def candidates(split, seed: int) -> list:
    """Logistic regression on the MFCC statistics of the split's recordings, its
    regularisation chosen by folds of the training ones."""
    from types import SimpleNamespace

    from ...classical.tables import candidates as fitted

    rows = {part: statistics(split.inputs[part]) for part in ("train", "val", "test")}
    parts = {part: (rows[part], getattr(split, part)[1]) for part in rows}
    found = fitted(SimpleNamespace(**parts, regression=split.regression), lambda x: x, seed, ("linear",))
    for candidate in found:
        candidate.title = candidate.model.title = TITLE + candidate.title
    return found
