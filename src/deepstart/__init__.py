"""deepstart: from your data to a trained, evaluated deep-learning model, on a CPU."""

from .errors import ConfigError, DataError, DeepstartError, ModelFileError, NotFittedError
from .version import __version__

__all__ = [
    "ConfigError",
    "DataError",
    "DeepstartError",
    "Detector",
    "Forecaster",
    "ModelFileError",
    "NotFittedError",
    "Predictor",
    "__version__",
    "load_model",
]


def __getattr__(name: str):
    # Imported on first use, so `deepstart --help` does not wait for PyTorch to load.
    if name == "Predictor":
        from .predictor import Predictor

        return Predictor
    if name == "Forecaster":
        from .forecaster import Forecaster

        return Forecaster
    if name == "Detector":
        from .modalities.detection.detector import Detector

        return Detector
    if name == "load_model":
        from .loading import load_model

        return load_model
    raise AttributeError(f"module 'deepstart' has no attribute {name!r}")
