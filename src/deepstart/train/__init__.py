"""Training: one readable loop shared by every modality."""

from .loop import History, fit

__all__ = ["History", "fit"]
