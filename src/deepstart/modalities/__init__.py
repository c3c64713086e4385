"""The kinds of data deepstart learns from, each a package with one entry in REGISTRY.

Adding a modality: write its package (a Modality subclass, see base.py, and its roles)
and either add one line to REGISTRY here, or, from a package of your own, declare it in
the entry-point group `deepstart.modalities` (name = "your_package.module:MODALITY"):
deepstart then finds it without any change of its own, and asks it first whether it
recognises the data. docs/ARCHITECTURE.md says more."""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points

from ..data.examples import Examples
from ..errors import DataError
from ..log import warn
from .base import Modality
from .given import Given
from .recipe import Encoder, Recipe

GROUP = "deepstart.modalities"  # the entry points through which other packages add a modality


class Registry:
    """Modality names -> Modality objects: deepstart's own packages and those that other
    packages declare in the entry-point group GROUP, each imported on first use (so that
    `deepstart --help` or reading a CSV loads no more than it needs)."""

    def __init__(self, **packages: str):
        self._packages, self._loaded, self._plugins = packages, {}, None

    @property
    def plugins(self) -> dict:
        """Entry points of installed packages that add a modality, by name (deepstart's own win)."""
        if self._plugins is None:
            found = {ep.name: ep for ep in entry_points(group=GROUP)}
            self._plugins = {name: ep for name, ep in sorted(found.items()) if name not in self._packages}
        return self._plugins

    def __getitem__(self, name: str) -> Modality:
        if name not in self._loaded:
            if name in self._packages:
                self._loaded[name] = import_module(f"{__name__}.{self._packages[name]}").MODALITY
            elif name in self.plugins:
                self._loaded[name] = _plugin(self.plugins[name])
            else:
                raise KeyError(f"unknown modality {name!r}")
        return self._loaded[name]

    def __iter__(self):
        return iter([*self._packages, *self.plugins])

    def __contains__(self, name) -> bool:
        return name in self._packages or name in self.plugins


def _plugin(entry) -> Modality:
    """The modality an entry point names, checked: a Modality under its own name."""
    found = entry.load()
    if not isinstance(found, Modality) or found.name != entry.name:
        raise TypeError(
            f"the entry point {entry.name} = {entry.value} is not a Modality named {entry.name!r}"
        )
    return found


REGISTRY = Registry(
    image="images",
    text="texts",
    table="tables",
    sequence="sequences",
    series="series",
    audio="audio",
    detection="detection",
)
ORDER = (
    "series",  # first: only where a series is described (--time, --horizon) or asked for
    "detection",  # photos with boxes (VOC, COCO, YOLO, a CSV of boxes): before photos and tables
    "audio",  # a table that lists sound files may have a column of transcripts too
    "text",
    "sequence",
    "image",
    "table",
)  # detection asks each in turn (after the modalities other packages add); the first to recognise reads


_BROKEN: set[str] = set()  # plug-ins that could not be loaded (said once)


def asked_in_order() -> list[str]:
    """The modalities detection asks, in turn: other packages' first (they read data of
    their own kind, which deepstart's would take for images or rows), then ORDER."""
    usable = []
    for name in REGISTRY.plugins:
        try:
            REGISTRY[name]
            usable.append(name)
        except Exception as e:  # noqa: BLE001 - a broken plug-in is skipped, not fatal
            if name not in _BROKEN:
                _BROKEN.add(name)
                warn(f"The modality {name!r} of another package cannot be loaded ({e}); it is not used.")
    return [*usable, *ORDER]


def detect(given: Given) -> Modality:
    """The modality of the data: the one named by given.kind if it recognises the data,
    else the first of asked_in_order() that does."""
    if given.kind in REGISTRY and REGISTRY[given.kind].recognizes(given):
        return REGISTRY[given.kind]
    for name in asked_in_order():
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
