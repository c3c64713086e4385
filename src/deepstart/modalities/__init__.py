"""The kinds of data deepstart learns from, each a package with one entry in REGISTRY.

Adding a modality: write its package (a Modality subclass, see base.py) and add one line
to REGISTRY, and one place in ORDER if it is recognised in data without being asked
for. docs/ARCHITECTURE.md says more."""

from __future__ import annotations

from importlib import import_module

from ..data.examples import Examples
from ..errors import DataError
from .base import Modality
from .given import Given
from .recipe import Encoder, Recipe


class Registry:
    """Modality names -> Modality objects, each imported on first use (so that
    `deepstart --help` or reading a CSV loads no more than it needs)."""

    def __init__(self, **packages: str):
        self._packages, self._loaded = packages, {}

    def __getitem__(self, name: str) -> Modality:
        if name not in self._packages:
            raise KeyError(f"unknown modality {name!r}")
        if name not in self._loaded:
            self._loaded[name] = import_module(f"{__name__}.{self._packages[name]}").MODALITY
        return self._loaded[name]

    def __iter__(self):
        return iter(self._packages)

    def __contains__(self, name) -> bool:
        return name in self._packages


REGISTRY = Registry(
    image="images",
    text="texts",
    table="tables",
    sequence="sequences",
    series="series",
    audio="audio",
)
ORDER = (
    "audio",  # first: a table that lists sound files may have a column of transcripts too
    "text",
    "sequence",
    "image",
    "table",
)  # detection asks each in turn; the first to recognise reads


def detect(given: Given) -> Modality:
    """The modality of the data: the one named by given.kind if it recognises the data,
    else the first of ORDER that does."""
    if given.kind in REGISTRY and REGISTRY[given.kind].recognizes(given):
        return REGISTRY[given.kind]
    for name in ORDER:
        if REGISTRY[name].recognizes(given):
            return REGISTRY[name]
    raise DataError(f"deepstart cannot tell what {given.origin} holds; give images, texts or a table.")


def read_labeled(source, y=None, target=None, images=None, text=None, kind=None, columns=None, task=None):
    """Labelled examples from a folder of class subfolders, a table (a CSV of image files
    and labels, of texts and labels, or of rows; TSV, Parquet and JSON Lines too), a
    DataFrame, an array of images (N, H, W[, C]) or sequences with labels y, or texts
    with labels y. kind: the modality the data must be, or None to detect it. columns:
    the columns a model was trained on. task: "regression" or "classification" (tables)."""
    given = Given(source, y, target, images, text, kind, columns or {}, task)
    examples = detect(given).read_labeled(given)
    if kind is not None and examples.kind != kind:
        raise DataError(
            f"{examples.origin} holds {examples.kind}s, but this model reads {kind}s; give {kind} data."
        )
    return examples


def read_unlabeled(inputs, kind: str, columns: dict | None = None) -> Examples:
    """Inputs to predict on, read as the model's modality reads them."""
    return REGISTRY[kind].read_unlabeled(inputs, columns or {})


__all__ = [
    "ORDER",
    "REGISTRY",
    "Encoder",
    "Given",
    "Modality",
    "Recipe",
    "detect",
    "read_labeled",
    "read_unlabeled",
]
