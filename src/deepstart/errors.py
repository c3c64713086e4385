"""Typed errors: callers can catch them; the CLI turns them into one line and exit code 2."""


class DeepstartError(Exception):
    """Base class of every error deepstart raises on purpose (bad input, bad settings)."""


class ConfigError(DeepstartError, ValueError):
    """A setting or argument has an invalid value."""


class DataError(DeepstartError, ValueError):
    """The data cannot be used as given (empty, unreadable, too few examples...)."""


class ModelFileError(DeepstartError, ValueError):
    """A model directory is missing, incomplete, tampered with or from another version."""


class NotFittedError(ModelFileError):
    """A model is used before it was trained or loaded (scikit-learn's NotFittedError)."""


class RequestError(DeepstartError, ValueError):
    """A request's input cannot be used as sent (a service answers 422)."""


class TooLarge(RequestError):
    """A request asks for more than the service's limits allow (a service answers 413)."""


class Refused(DeepstartError):
    """A request the service answers with an HTTP status and one plain message."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.headers = status, headers


class TrainingError(DeepstartError, RuntimeError):
    """Training produced no usable model (it diverged from the first epoch on)."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training after at least one epoch: its checkpoint can be resumed."""

    def __init__(self, epochs_done: int):
        super().__init__(epochs_done)
        self.epochs_done = epochs_done


def check_is_fitted(model, attribute: str = "net_"):
    """The model, or NotFittedError when it has not been trained or loaded (as
    scikit-learn's check_is_fitted)."""
    if not hasattr(model, attribute):
        name = type(model).__name__
        raise NotFittedError(f"This {name} is not trained yet; call fit() or {name}.load() first.")
    return model
