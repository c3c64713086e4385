"""What to train, gathered once: the data and how to read it, what to hold out and how
to weigh it, where to keep checkpoints, and the settings. The CLI, the studio, tune and
the cluster each build one Plan; loading.train(plan) asks the registry which modality the
data is (Plan.modality) and hands the plan to what trains that modality."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..errors import ConfigError
from ..modalities import REGISTRY, Given, Modality, detect
from ..settings import TASK_KINDS, TASKS

SERIES_OPTIONS = ("time", "id", "horizon", "season")  # how a series is read and forecast


@dataclass
class Plan:
    """One training run's inputs; see Predictor.fit and Forecaster.fit for each option."""

    data: object
    y: object = None  # labels beside the inputs (the Python API)
    target: str | None = None
    task: str = "auto"  # --task: auto, or one of settings.TASKS
    test: object = None
    val: object = None
    images: str | Path | None = None
    text: str | None = None
    checkpoint: Path | None = None
    resume: bool = False
    group: str | None = None
    bins: str | None = None
    balance: str | None = None
    group_split: str | None = None
    time: str | None = None  # a series' column of times
    id: str | None = None  # the column naming each series
    horizon: int | None = None  # steps to forecast
    season: int | None = None  # steps per season
    settings: dict = field(default_factory=dict)  # Settings' fields, as Predictor(**settings) takes them
    started: float | None = None  # when the run began (time.perf_counter()), for --time-limit; None: now

    def __post_init__(self):
        if self.task != "auto" and self.task not in TASKS:
            raise ConfigError(
                f"Invalid value for task (--task). Expected one of: auto, {', '.join(TASKS)}. "
                f"Received: {self.task!r}"
            )
        if self.resume and self.checkpoint is None:
            raise ConfigError("resume=True needs the checkpoint folder to resume from.")

    @property
    def kind(self) -> str | None:
        """The modality --task asks for (None: detect it)."""
        return TASK_KINDS.get(self.task, (self.task, None))[0]

    @property
    def forced(self) -> str | None:
        """The task --task forces on a table's target ("regression", "classification")."""
        return TASK_KINDS.get(self.task, (None, None))[1]

    @property
    def series(self) -> dict:
        return {name: getattr(self, name) for name in SERIES_OPTIONS}

    @cached_property
    def given(self) -> Given:
        """The data as detection sees it (a table is read once, here)."""
        return Given(
            self.data, self.y, self.target, self.images, self.text, self.kind, {}, self.forced, self.series
        )

    def modality(self) -> Modality:
        """The modality of the data: the one --task asks for if it recognises the data, else
        the first that does; where what --task asks for is trained otherwise (a series
        asked for in a folder), the one asked for, whose reading says what it cannot read."""
        found = detect(self.given)
        asked = REGISTRY[self.kind] if self.kind in REGISTRY else found
        return asked if asked.trainer != found.trainer else found

    def given_options(self, *names: str) -> list[str]:
        """The options among names that were given, as the CLI spells them."""
        return [f"--{n.replace('_', '-')}" for n in names if getattr(self, n) not in (None, False)]
