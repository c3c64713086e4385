"""Training settings: each with its default and a one-line description, used by the
Python API, the CLI's options and its --help alike, and validated in one place."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field

from .errors import ConfigError

TASKS = ("image",)  # the modalities deepstart trains; deepstart.encoders.ENCODERS has one each


def _setting(default, help: str, check, expected: str):
    return field(default=default, metadata={"help": help, "check": check, "expected": expected})


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
    epochs: int = _setting(
        200,
        "Most passes over the training data (training stops early when validation stops improving).",
        _positive_int,
        "a whole number of at least 1",
    )
    patience: int = _setting(
        20,
        "Epochs without validation improvement before training stops.",
        _positive_int,
        "a whole number of at least 1",
    )
    batch_size: int = _setting(
        128, "Examples per training step.", _positive_int, "a whole number of at least 1"
    )
    lr: float = _setting(
        3e-3,
        "Peak learning rate of the one-cycle schedule.",
        _positive_number,
        "a number above 0",
    )
    weight_decay: float = _setting(
        1e-2,
        "AdamW weight decay (a regulariser: larger fights overfitting).",
        _non_negative_number,
        "a number of at least 0",
    )
    dropout: float = _setting(
        0.2,
        "Dropout before the classifier layer (a regulariser).",
        lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v < 1,
        "a number from 0 up to (not including) 1",
    )
    time_limit: float | None = _setting(
        None,
        "Stop training after this many seconds (the best epoch so far is kept).",
        lambda v: v is None or _positive_number(v),
        "a number of seconds above 0",
    )
    workers: int = _setting(
        os.cpu_count() or 1,
        "Threads that decode images in parallel.",
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
        "Reuse features computed earlier for the same image content.",
        lambda v: isinstance(v, bool),
        "true or false",
    )

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not f.metadata["check"](value):
                raise ConfigError(
                    f"Invalid value for {f.name} (--{f.name.replace('_', '-')}). "
                    f"Expected {f.metadata['expected']}. Received: {value!r}"
                )

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def describe() -> list[tuple[str, object, str]]:
    """(name, default, help) for every setting, for the CLI and the docs."""
    return [(f.name, f.default, f.metadata["help"]) for f in dataclasses.fields(Settings)]
