"""deepstart: from your data to a trained, evaluated deep-learning model, on a CPU."""

from .errors import ConfigError, DataError, DeepstartError, ModelFileError

__version__ = "0.1.0"
__all__ = [
    "ConfigError",
    "DataError",
    "DeepstartError",
    "Forecaster",
    "ModelFileError",
    "Predictor",
    "__version__",
]


def __getattr__(name: str):
    # Imported on first use, so `deepstart --help` does not wait for PyTorch to load.
    if name == "Predictor":
        from .api import Predictor

        return Predictor
    if name == "Forecaster":
        from .forecast import Forecaster

        return Forecaster
    raise AttributeError(f"module 'deepstart' has no attribute {name!r}")
