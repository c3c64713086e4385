"""Faces: dlib's face detector, its five-point landmarks (to align each face) and its
ResNet that maps an aligned face to 128 numbers (trained on about three million faces,
so that it knows faces as ImageNet networks know objects). The weights come from the
PyPI package face-recognition-models, run by dlib-bin: the `faces` extra,
`pip install "deepstart[faces]"`. dlib reads its own .dat format; no code runs from it.

Measured on 210 FairFace faces grouped Young / Middle / Old (20 stratified 70/30 splits,
logistic regression on standardised features): 63.6 % accuracy from these features,
48.9 % from EfficientNet-Lite0's ImageNet features."""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..files import files_sha256

NAME = "dlib-face-resnet"
PACKAGE = "face-recognition-models"
FEATURE_DIM = 128
MARGIN = 0.15  # of each side, left around the middle when no face is found
SCALE = 20.0  # dlib's descriptors vary by about 0.05 a number: scaled to about 1, as the
# classifier's learning rate expects (unscaled, it was still learning at its 200th epoch)


def available() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("dlib", "face_recognition_models"))


def _files() -> tuple[Path, Path]:
    """The landmark and ResNet weights (found without importing face_recognition_models,
    whose __init__ needs setuptools' pkg_resources)."""
    if not available():
        raise ConfigError(
            'Faces need dlib and its face models: pip install "deepstart[faces]" (dlib-bin and '
            "face-recognition-models), or train without --model faces."
        )
    folder = (
        Path(importlib.util.find_spec("face_recognition_models").submodule_search_locations[0]) / "models"
    )
    return (
        folder / "shape_predictor_5_face_landmarks.dat",
        folder / "dlib_face_recognition_resnet_model_v1.dat",
    )


@functools.cache
def weights_sha256() -> str:
    return files_sha256(_files())


class FaceNetwork:
    """(N, H, W, 3) uint8 photos -> (N, 128) float32 face descriptors, and whether a face
    was found in each (where none is, the middle of the photo is described instead)."""

    def __init__(self):
        import dlib

        landmarks, resnet = _files()
        self.detector = dlib.get_frontal_face_detector()
        self.landmarks = dlib.shape_predictor(str(landmarks))
        self.resnet = dlib.face_recognition_model_v1(str(resnet))
        self.rectangle = dlib.rectangle

    def count(self, photo: np.ndarray) -> int:
        return len(self.detector(np.ascontiguousarray(photo), 0))

    def face(self, photo: np.ndarray):
        """The largest face dlib finds, or None."""
        found = self.detector(photo, 0)
        return max(found, key=lambda r: r.area()) if len(found) else None

    def landmarks_of(self, photo: np.ndarray):
        """(the face's five landmarks, whether a face was found; else the photo's middle's)."""
        box = self.face(photo)
        found = box is not None
        if not found:
            h, w = photo.shape[:2]
            box = self.rectangle(
                int(w * MARGIN), int(h * MARGIN), int(w * (1 - MARGIN)), int(h * (1 - MARGIN))
            )
        return self.landmarks(photo, box), found

    def describe(self, photo: np.ndarray, landmarks) -> np.ndarray:
        """The 128 numbers of the face at these landmarks (aligned on them first), scaled."""
        return SCALE * np.asarray(self.resnet.compute_face_descriptor(photo, landmarks, 0), np.float32)

    def __call__(self, photos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        features, found = np.zeros((len(photos), FEATURE_DIM), np.float32), np.zeros(len(photos), bool)
        for i, photo in enumerate(photos):
            photo = np.ascontiguousarray(photo)
            landmarks, found[i] = self.landmarks_of(photo)
            features[i] = self.describe(photo, landmarks)
        return features, found
