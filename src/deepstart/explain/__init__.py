"""Explanations: why a model predicts what it does (images and tables so far)."""

from .tables import explain_table, permutation_importance, row_attributions, surrogate_rules

__all__ = ["explain_table", "permutation_importance", "row_attributions", "surrogate_rules"]
