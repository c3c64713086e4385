"""Training settings: each with its default and a one-line description, used by the
Python API, the CLI's options and its --help alike, and validated in one place."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from .budget import MIN_TIME_LIMIT, duration
from .errors import ConfigError
from .log import redacted

MODELS = ("auto", "transfer", "cnn", "fine-tune", "faces")
ACTIVATIONS = ("relu", "gelu", "silu", "tanh", "sigmoid")  # deepstart.models.layers has each
TASKS = (  # --task
    "image", "text", "tabular", "regression", "classification", "sequence", "timeseries", "detection",
)  # fmt: skip
# Each option as a person sets it: on the command line, and in the studio's page. Messages
# name an option through named(), which says it for whoever reads them (speaking_to()).
CONTROLS = {
    "target": ("--target", "the menu “Column to predict”"),
    "time": ("--time", "the menu “Time column”"),
    "id": ("--id", "the menu “Series id column”"),
    "horizon": ("--horizon", "“Steps ahead”"),
    "task": ("--task", "the menu “Read it as”"),
    "text": ("--text", "a table with one column of texts"),
    "group_split": ("--group-split", "the box “Test on {value}s it has never heard”"),
    "time_limit": ("--time-limit", "the time budget"),
    "epochs": ("--epochs", "a longer time budget"),
    "fine_tune": ("--fine-tune", "the box “Fine-tune the pretrained network”"),
    "test_size": ("--test-size", "“Test share”"),
    "val": ("--val", "more data"),
    "dropout": ("--dropout", "dropout"),
    "weight_decay": ("--weight-decay", "weight decay"),
    "lr": ("--lr", "the learning rate"),
    "activation": ("--activation", "another activation function"),
}
_AUDIENCE: ContextVar[str] = ContextVar("deepstart_audience", default="terminal")


def named(option: str, value: str | None = None) -> str:
    """An option as the reader sets it: "--target" (or "--task tabular") on the command
    line, "the menu “Column to predict”" in the studio's page."""
    flag, page = CONTROLS[option]
    if _AUDIENCE.get() != "page":
        return f"{flag} {value}" if value else flag
    if "{value}" in page:  # the box of speakers (or patients...)
        return page.format(value=value or "group")
    return f"{page} (“{TASK_WORDS.get(value, value)}”)" if value else page  # --task text: “texts”


@contextmanager
def speaking_to(audience: str) -> Iterator[None]:
    """Within: messages name options for audience, "terminal" or "page"."""
    token = _AUDIENCE.set(audience)
    try:
        yield
    finally:
        _AUDIENCE.reset(token)


TASK_WORDS = {  # each --task in words, for the studio's menu
    "auto": "what the data looks like",
    "tabular": "rows of a table",
    "classification": "classes of the column",
    "regression": "numbers of the column",
    "text": "texts",
    "sequence": "each row a sequence of numbers",
    "timeseries": "a time series to forecast",
    "image": "images",
    "detection": "photos with boxes around objects",
}
# --task -> (the kind of data, the task forced on a table's target)
TASK_KINDS = {
    "auto": (None, None),
    "tabular": ("table", None),
    "regression": (None, "regression"),  # a table's rows, or images listed in a table
    "classification": (None, "classification"),
    "sequence": ("sequence", "classification"),
    "timeseries": ("series", None),
    "detection": ("detection", None),
}


def _setting(default, help: str, check, expected: str, choices: tuple = (), parse=None):
    """A setting's default, help, check; parse: how a text (the CLI's, or "10m") becomes its value."""
    metadata = {"help": help, "check": check, "expected": expected, "choices": choices, "parse": parse}
    return field(default=default, metadata=metadata)


def _is_fraction_or_count(v) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return v >= 1
    return isinstance(v, float) and 0.0 < v < 1.0


def _positive_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 1


def _positive_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0


def _non_negative_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0


@dataclass
class Settings:
    """What `Predictor(...)` and `deepstart train --...` accept."""

    test_size: float | int = _setting(
        0.2,
        "Data held out for the final test: a fraction (0.2) or a count (500).",
        _is_fraction_or_count,
        "a fraction between 0 and 1 or a whole count of at least 1",
    )
    val_size: float | int = _setting(
        0.1,
        "Training data set aside to pick the best epoch: a fraction or a count.",
        _is_fraction_or_count,
        "a fraction between 0 and 1 or a whole count of at least 1",
    )
    seed: int = _setting(
        0,
        "Random seed: the same seed and data give the same model.",
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
        "a whole number of at least 0",
    )
    model: str = _setting(
        "auto",
        "Which model: auto (small images: cnn; photos, texts and recordings: transfer), transfer (frozen "
        "pretrained network + classifier), cnn (images, recordings; trained from scratch), fine-tune (the "
        "pretrained network trained too), faces (photos of faces: each found, aligned and described "
        "by a network that knows faces; needs deepstart[faces]).",
        lambda v: v in MODELS,
        "one of " + ", ".join(MODELS),
        MODELS,
    )
    fine_tune: bool = _setting(
        False,
        "Also train the pretrained network (slower, often more accurate; same as --model fine-tune).",
        lambda v: isinstance(v, bool),
        "true or false",
    )
    faces: bool | None = _setting(
        None,
        "Photos of faces: each face found, aligned and described by a face network (same as --model "
        "faces; needs deepstart[faces]). Default: when most of 20 sampled photos hold one face.",
        lambda v: v is None or isinstance(v, bool),
        "true, false or nothing",
    )
    epochs: int | None = _setting(
        None,
        "Most passes over the training data (default: chosen by the model; training stops "
        "early when validation stops improving).",
        lambda v: v is None or _positive_int(v),
        "a whole number of at least 1",
    )
    patience: int = _setting(
        20,
        "Epochs without validation improvement before training stops.",
        _positive_int,
        "a whole number of at least 1",
    )
    batch_size: int | None = _setting(
        None,
        "Examples per training step (default: 128; 32 when fine-tuning).",
        lambda v: v is None or _positive_int(v),
        "a whole number of at least 1",
    )
    lr: float | None = _setting(
        None,
        "Peak learning rate of the one-cycle schedule (default: 0.003; when fine-tuning 0.0003 "
        "for images, 0.0001 for texts).",
        lambda v: v is None or _positive_number(v),
        "a number above 0",
    )
    optimizer: str = _setting(
        "adamw",
        "Optimizer: adamw or sgd (with Nesterov momentum).",
        lambda v: v in ("adamw", "sgd"),
        "adamw or sgd",
        ("adamw", "sgd"),
    )
    weight_decay: float = _setting(
        1e-2,
        "Weight decay (a regulariser: larger fights overfitting).",
        _non_negative_number,
        "a number of at least 0",
    )
    dropout: float = _setting(
        0.2,
        "Dropout before the classifier layer (a regulariser).",
        lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v < 1,
        "a number from 0 up to (not including) 1",
    )
    activation: str = _setting(
        "relu",
        "Activation of the CNN trained from scratch: " + ", ".join(ACTIVATIONS) + ".",
        lambda v: v in ACTIVATIONS,
        "one of " + ", ".join(ACTIVATIONS),
        ACTIVATIONS,
    )
    augment: bool = _setting(
        True,
        "Randomly shift, turn and scale training images (photos are also mirrored; small "
        "images such as digits are not).",
        lambda v: isinstance(v, bool),
        "true or false",
    )
    time_limit: float | None = _setting(
        None,
        "The whole run's time: 90s, 10m, 2h (a bare number is seconds). Each stage fits itself in "
        "(fewer epochs, folds or models), the best model so far is kept, and what was cut is said.",
        lambda v: v is None or (_positive_number(v) and v >= MIN_TIME_LIMIT),
        f"a time of at least {MIN_TIME_LIMIT} s, such as 90s, 10m or 2h",
        parse=duration,
    )
    workers: int = _setting(
        os.cpu_count() or 1,
        "Threads that decode images in parallel; with --cluster, the Ray workers that encode and train "
        "(at most the cluster's CPUs, or GPUs where it has enough).",
        _positive_int,
        "a whole number of at least 1",
    )
    max_pixels: int = _setting(
        50_000_000,
        "Images with more pixels are refused (guards against decompression bombs).",
        _positive_int,
        "a whole number of at least 1",
    )
    cache: bool = _setting(
        True,
        "Reuse features computed earlier for the same image or text.",
        lambda v: isinstance(v, bool),
        "true or false",
    )

    cluster: str | None = _setting(
        None,
        "Encode and train on a Ray cluster: auto (the one RAY_ADDRESS names, or one running here), "
        "ray://HOST:PORT, HOST:PORT, or local:N (a Ray started here with N CPUs, to try it). Needs "
        "deepstart[cluster].",
        lambda v: v is None or is_cluster_address(v),
        "auto, ray://HOST:PORT, HOST:PORT or local:N (N at least 1)",
    )
    cluster_storage: str | None = _setting(
        None,
        "With --cluster: where training checkpoints are kept, a folder every node sees (NFS) or "
        "s3://bucket/path; default: beside --out.",
        lambda v: v is None or (isinstance(v, str) and bool(v.strip())),
        "a folder or a URI such as s3://bucket/path",
    )

    MACHINE = ("workers", "cache", "max_pixels", "cluster", "cluster_storage")  # not the model's

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str) and f.metadata["parse"] is not None:  # "10m", as the CLI takes it
                value = f.metadata["parse"](value)
                setattr(self, f.name, value)
            if not f.metadata["check"](value):
                raise ConfigError(
                    f"Invalid value for {f.name} (--{f.name.replace('_', '-')}). "
                    f"Expected {f.metadata['expected']}. Received: {_shown(value)!r}"
                )
        if self.cluster and self.time_limit:  # checked before any work, not when training starts
            raise ConfigError("--time-limit is not used with --cluster yet; give --epochs instead.")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def recorded(self) -> dict:
        """The settings as a model's manifest keeps them: a URL's password in any of them
        (--cluster, --cluster-storage s3://KEY:SECRET@bucket/path) written as ***."""
        return {name: _shown(value) for name, value in self.to_dict().items()}

    def requested_model(self) -> str:
        """--model, or fine-tune with --fine-tune (which goes with --model auto or fine-tune)."""
        if self.fine_tune and self.model not in ("auto", "fine-tune"):
            raise ConfigError(f"--fine-tune cannot be combined with --model {self.model}; drop one of them.")
        if (self.faces and self.model not in ("auto", "faces")) or (
            self.faces is False and self.model == "faces"
        ):
            raise ConfigError(f"--faces/--no-faces and --model {self.model} disagree; drop one of them.")
        return "fine-tune" if self.fine_tune else "faces" if self.faces else self.model

    @classmethod
    def trained_with(cls, saved: dict, **here) -> Settings:
        """The settings a model was trained with, but this machine's own (here, or defaults)."""
        kept = {k: v for k, v in saved.items() if k in cls.__dataclass_fields__ and k not in cls.MACHINE}
        return cls(**kept, **here)


@dataclass(frozen=True)
class SettingInfo:
    name: str
    default: object
    help: str
    type: str  # the annotation, e.g. "float | None"
    choices: tuple
    parse: object = None  # how a text becomes its value ("10m" -> 600.0), where not by its type


def describe() -> list[SettingInfo]:
    """Every setting with its default, help, type and choices, for the CLI and the docs."""
    return [
        SettingInfo(
            f.name, f.default, f.metadata["help"], str(f.type), f.metadata["choices"], f.metadata["parse"]
        )
        for f in dataclasses.fields(Settings)
    ]


def _shown(value):
    """A value as messages and manifests show it: a URL's password in a string hidden."""
    return redacted(value) if isinstance(value, str) else value


def is_cluster_address(value) -> bool:
    """auto, ray://HOST:PORT, HOST:PORT or local:N: what --cluster accepts."""
    if not isinstance(value, str):
        return False
    if value == "auto":
        return True
    if value.startswith("local:"):
        count = value.removeprefix("local:")
        return count.isdigit() and int(count) >= 1
    host, _, port = value.removeprefix("ray://").rpartition(":")
    return bool(host) and port.isdigit() and 0 < int(port) < 65536


def whole_number(value) -> bool:
    """A whole number of at least 1 (not a bool)."""
    import numbers

    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1
