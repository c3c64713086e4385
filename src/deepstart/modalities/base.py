"""What a modality is: everything that differs between kinds of data, in one place.

A modality (images, texts, tables, sequences, series) says how its data is recognised
and read, which model and encoder suit it (its recipe), which classical models train
beside the deep one; and it has roles, each a small class of its own: its service (how
a web request for it is read), its explainer (how its predictions are explained) and
its exporter (how its network is exported), absent (None) where it has none. The rest
of deepstart asks the modality and never tests a modality's name. Ludwig's feature
types and Keras' config registries are the models followed here."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..data.examples import Examples
from ..errors import DataError
from .given import Given
from .recipe import Recipe

if TYPE_CHECKING:
    from .explainer import Explainer
    from .exporter import Exporter
    from .service import Service


class Role:
    """One of a modality's roles (service, explainer, exporter): the class cls of the module
    of that name in the modality's package, made on first use. Explaining and exporting
    import PyTorch, which recognising and reading data must not (as the Registry is lazy)."""

    def __init__(self, module: str, cls: str):
        self.module, self.cls = module, cls

    def __set_name__(self, owner: type, attribute: str) -> None:
        self.package, self.attribute = owner.__module__, attribute

    def __get__(self, modality, owner=None):
        if modality is None:
            return self
        role = getattr(import_module(f".{self.module}", self.package), self.cls)()
        modality.__dict__[self.attribute] = role  # made once: later reads find it on the modality
        return role


class Modality:
    """Everything that differs between kinds of data. Subclasses override what they have."""

    name = ""  # as recorded in the manifest's "modality" and in Examples.kind
    trainer = "predictor"  # what trains and loads its models (loading.TRAINERS): classes or numbers
    noun = "examples"  # what the examples are called: "images", "texts", "rows"
    skipped_noun = "rows"  # what a skipped input is: "files", "rows"
    usable = "a usable example"  # "None of the N inputs is ..."
    readable = "a usable example"  # "replace it with ..."
    none_read = "No input could be read; give inputs like the training data."  # predict, when all fail
    predict_example = "<input>"  # what follows "Try: deepstart predict MODEL" in the summary
    rows = False  # the inputs are rows of a table or an array: named and kept by position
    copies_leak = True  # an input found in both training and test data flatters the test
    models: dict = {}  # recipe name -> (how the summary names the deep model, its leaderboard title)
    compare_rows = False  # compare trains on shares of a table's rows (tables, texts)
    cross_validates = False  # models are chosen by k-fold cross-validation, not on the validation rows
    group_word = "group"  # what examples that belong together are (recordings: "speaker"), in messages
    # what the studio offers for its data, beside training (the page shows only what applies)
    fine_tunes = False  # --fine-tune trains a pretrained network itself (images, texts)
    compares = False  # compare draws learning curves of deep and classical models on it
    captures = False  # examples can be taken with the webcam, a class at a time (photos)
    # its roles, each a small class in a file of the same name in every package (Role: made on first use)
    service: Service  # serve.py: what a service and the studio's Try need (every model can be served)
    explainer: Explainer | None = None  # explain.py: why it predicts what it does; None: it cannot say
    exporter: Exporter | None = None  # export.py: the ONNX network; None: it cannot be exported

    # -- recognising and reading data ------------------------------------------
    def recognizes(self, given: Given) -> bool:
        """Whether this modality reads the given data (asked in modalities.ORDER)."""
        return False

    def read_labeled(self, given: Given) -> Examples:
        raise DataError(f"deepstart cannot read {given.origin} as {self.noun}.")

    def read_unlabeled(self, inputs, columns: dict) -> Examples:
        """Inputs to predict on (columns: the model's, e.g. the text column)."""
        raise DataError(f"deepstart cannot read these inputs as {self.noun}.")

    def take(self, examples: Examples, raw: list, labels: list | None = None) -> Examples:
        """The examples of these raw inputs (files, texts; row numbers when rows), with labels."""
        items = examples.items
        if isinstance(items, pd.DataFrame):
            items = items.iloc[raw]
        elif isinstance(items, np.ndarray):
            items = items[raw] if not isinstance(raw[0], np.ndarray) else np.stack(raw)
        else:
            items = list(raw)
        return Examples(
            examples.kind, items, labels, examples.origin, columns=examples.columns, task=examples.task
        )

    def raw(self, examples: Examples, kept: list[int]) -> list:
        """The kept inputs themselves (files, texts), or for rows their positions."""
        return list(kept) if self.rows else [examples.items[i] for i in kept]

    def input_names(self, examples: Examples) -> list[str]:
        """How each input is named in predictions."""
        if examples.names:
            return examples.names
        n = len(examples.items)
        if isinstance(examples.items, np.ndarray):
            return [f"array[{i}]" for i in range(n)]
        if self.rows:
            return [f"row {i + 1}" for i in range(n)]
        return [str(item) for item in examples.items]

    def skipped_in(self, origin: str, name: str) -> str:
        """How a skipped input of the data from origin is named in the training summary."""
        return name

    def skipped_key(self, name: str, i: int) -> str:
        """How an encoder names the skipped input i (named name in predictions)."""
        return name

    def check_split(self, val_raw: list, train_raw: list) -> None:
        """Warn when the validation data cannot be trusted (held-out texts inside training texts)."""

    def summarize(self, given: Given, root: Path, max_pixels: int) -> dict:
        """What the studio shows of the data before anything trains (summary.py), as JSON."""
        from .summary import summarize

        return summarize(self, given, root, max_pixels)

    def describe(self, examples: Examples, root: Path, max_pixels: int) -> dict:
        """What is worth showing of the data before training (the studio): samples,
        problems found, as JSON; file names relative to root."""
        return {}

    def group_values(self, examples: Examples, column: str) -> pd.Series:
        """Each example's value in column, for metrics per group: a column of the table
        that lists the inputs (used by the model or not)."""
        table = examples.table
        if table is None:
            raise DataError(
                f"--group needs the {self.noun} listed in a table with a column of groups (a CSV of "
                f"{self.noun}, labels and e.g. gender); {examples.origin} is not one."
            )
        if column not in table.columns:
            where = ", ".join(table.columns)
            raise DataError(f"--group {column} is not a column of {examples.origin} (columns: {where}).")
        return table[column].reset_index(drop=True)

    # -- models ----------------------------------------------------------------
    def recipe(self, examples: Examples, settings) -> Recipe:
        raise NotImplementedError

    def encoder_classes(self) -> tuple:
        """The encoder classes whose models this modality loads (imported when asked for)."""
        return ()

    def encoder_from_spec(self, spec: dict, settings):
        """Rebuild the encoder a manifest describes (Keras' from_config)."""
        for encoder in self.encoder_classes():
            if spec.get("name") == encoder.name:
                return encoder.from_spec(spec, settings)
        raise KeyError(f"unknown encoder {spec.get('name')!r}")

    def model_name(self, recipe: str) -> str:
        return self.models.get(recipe, (recipe, recipe))[0]

    def model_title(self, recipe: str) -> str:
        return self.models.get(recipe, (recipe, recipe))[1]

    def baselines(self, split, encoder, seed: int) -> list:
        """Classical models trained on the deep model's split, as evaluate.leaderboard
        Candidates (with their outputs on the validation and test parts)."""
        return []

    def averaged_title(self, deep: str, partner: str) -> str:
        """The title of the average of the deep model and the best classical one."""
        return f"{deep} and {partner.split(' (')[0]}, averaged"

    def classical_inputs(self, encoder, x: np.ndarray, raw: list):
        """What the classical model reads: encoded rows (tables) or the raw inputs (texts)."""
        return x

    def check_classical(self, classical, encoder, n_out: int, task: str) -> None:
        """Refuse, on loading, a classical model that does not fit the encoder."""

    # -- compare -------------------------------------------------------------------
    def learning_curves(self, examples: Examples, seed: int, fractions, fit, settings: dict):
        """Learning curves its own way (images), and how a sentence names the deep model;
        fit(data, settings, **options) trains a model as Predictor(**settings).fit does."""
        raise DataError(f"compare needs images, a table or texts; {examples.origin} holds {examples.kind}s.")


class RowsOfNumbers(Modality):
    """A modality whose examples are rows of numbers once encoded (tables, sequences):
    the classical models of classical/tables.py train beside the deep one on the
    encoder's design matrix (numbers, flags and one-hot categories)."""

    rows = True

    def baselines(self, split, encoder, seed: int) -> list:
        from ..classical.tables import candidates

        return candidates(split, encoder.design, seed)

    def classical_inputs(self, encoder, x, raw: list):
        return encoder.design(x)

    def check_classical(self, classical, encoder, n_out: int, task: str) -> None:
        from ..classical import check_reads

        check_reads(classical, encoder.design_width, n_out, task)
