"""Training: one readable loop shared by every modality."""

from .loop import History, Plan, evaluate, fit, predict_logits

__all__ = ["History", "Plan", "evaluate", "fit", "predict_logits"]
