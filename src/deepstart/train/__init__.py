"""Training: one readable loop shared by every modality."""

from .loop import History, evaluate, fit, predict_logits

__all__ = ["History", "evaluate", "fit", "predict_logits"]
