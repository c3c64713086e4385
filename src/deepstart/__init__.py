"""deepstart: from your data to a trained, explained, served deep-learning model."""

__version__ = "0.1.0"

from .api import Predictor  # noqa: E402
from .errors import ConfigError, DataError, DeepstartError, ModelFileError  # noqa: E402

__all__ = ["ConfigError", "DataError", "DeepstartError", "ModelFileError", "Predictor", "__version__"]
