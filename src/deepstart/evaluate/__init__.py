"""Metrics on held-out data."""

from .metrics import classification_metrics, forecast_metrics, naive_error, regression_metrics

__all__ = ["classification_metrics", "forecast_metrics", "naive_error", "regression_metrics"]
