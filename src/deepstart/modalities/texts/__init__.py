"""Texts: a classifier on pretrained sentence embeddings (all-MiniLM-L6-v2), or the
transformer fine-tuned, beside TF-IDF + logistic regression."""

from __future__ import annotations

from ..base import Modality, Role
from ..given import Given
from . import read


class Texts(Modality):
    name = "text"
    noun = "texts"
    usable = "a usable (non-empty) text"
    readable = "a text"
    none_read = "No input holds any text; give texts, or a table with a column of texts."
    predict_example = '"a text to classify"'
    models = {
        "transfer": (
            "all-MiniLM-L6-v2 sentence embeddings (frozen) + a linear classifier",
            "sentence embeddings + classifier",
        ),
        "fine-tune": ("all-MiniLM-L6-v2, fine-tuned, + a linear classifier", "fine-tuned MiniLM"),
    }
    service = Role("serve", "TextService")
    explainer = Role("explain", "TextExplainer")
    exporter = Role("export", "TextExporter")
    compare_rows = True
    fine_tunes = compares = True

    def encoder_classes(self) -> tuple:
        from .encoders import TextEncoder, TokenEncoder

        return TextEncoder, TokenEncoder

    def recognizes(self, given: Given) -> bool:
        """Texts with labels, a table with a column of prose (or asked for), or a folder
        when texts are asked for (which reading then refuses)."""
        if given.form == "texts" or (given.form == "folder" and given.kind == self.name):
            return True
        return given.tabular and given.image_column is None and read.is_text_table(given)

    def read_labeled(self, given: Given):
        return read.read_labeled(given)

    def read_unlabeled(self, inputs, columns: dict):
        return read.read_unlabeled(inputs, columns.get("text"))

    def skipped_in(self, origin: str, name: str) -> str:
        return f"{origin}, {name}"  # say which table the rows are of

    def skipped_key(self, name: str, i: int) -> str:
        return f"row {i + 1}"  # encoders name skipped texts by their row

    def check_split(self, val_raw: list, train_raw: list) -> None:
        read.warn_if_inside(val_raw, train_raw)

    def recipe(self, examples, settings):
        from .recipe import choose

        return choose(settings.requested_model(), settings)

    def baselines(self, split, encoder, seed: int) -> list:
        from .baselines import candidates

        return candidates(split)

    def averaged_title(self, deep: str, partner: str) -> str:
        return f"{deep}, averaged with TF-IDF"

    def classical_inputs(self, encoder, x, raw: list):
        return raw  # TF-IDF reads the texts themselves


MODALITY = Texts()
