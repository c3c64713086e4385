"""Tables: a multilayer perceptron with an embedding per category, beside the models to
beat on tables (gradient boosting, a random forest, a decision tree, a linear model), all
scored by cross-validation over the training and validation rows."""

from __future__ import annotations

import pandas as pd

from ...errors import ConfigError, DataError
from ...settings import ACTIVATIONS
from ..base import Role, RowsOfNumbers
from ..given import Given
from ..recipe import Knob, Recipe
from . import read


class Tables(RowsOfNumbers):
    name = "table"
    noun = "rows"
    predict_example = "<table of new rows>"
    copies_leak = False  # in tables equal rows are common and no leak
    models = {"mlp": ("a multilayer perceptron (MLP)", "MLP (deep)")}
    service = Role("serve", "TableService")
    explainer = Role("explain", "TableExplainer")
    exporter = Role("export", "TableExporter")
    compare_rows = True
    compares = True
    cross_validates = True  # small tables: a validation split of a few dozen rows ranks by luck

    def encoder_classes(self) -> tuple:
        from .encoder import TableEncoder

        return (TableEncoder,)

    def recognizes(self, given: Given) -> bool:
        return given.tabular

    def read_labeled(self, given: Given):
        return read.read_labeled(given)

    def read_unlabeled(self, inputs, columns: dict):
        return read.read_unlabeled(inputs, columns)

    def describe(self, examples, root, max_pixels: int) -> dict:
        from ...data.columns import column_types

        types, left_out = column_types(examples.items, examples.origin)
        return {"column_types": types, "left_out": left_out}

    def group_values(self, examples, column: str) -> pd.Series:
        if column not in examples.items.columns:
            where = ", ".join(examples.items.columns)
            raise DataError(f"--group {column} is not a column of {examples.origin} (columns: {where}).")
        return examples.items[column]

    def recipe(self, examples, settings) -> Recipe:
        """An MLP; the classical models trained beside it, and ensembles of them, are scored
        alike by cross-validation and the best is kept."""
        from .encoder import TableEncoder

        model = settings.requested_model()
        if model != "auto":
            raise ConfigError(f"--model {model} is for images and texts; tables get an MLP (drop --model).")
        why = (
            "the data is a table: a multilayer perceptron learns from its standardised numbers (and a "
            "learned embedding per category), and a linear model, a decision tree, gradient boosting and a "
            "random forest train beside it, all scored by cross-validation"
        )
        net = {"name": "mlp", "activation": settings.activation, "dropout": settings.dropout}
        knobs = {"activation": Knob("choice", choices=ACTIVATIONS[:3])}
        return Recipe("mlp", why, TableEncoder(origin=examples.origin), None, net, knobs=knobs)


MODALITY = Tables()
