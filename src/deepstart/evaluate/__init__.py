"""Metrics on held-out data."""

from .metrics import classification_metrics

__all__ = ["classification_metrics"]
