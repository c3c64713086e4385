"""The schema of manifest.json: every field a command reads, with its type and range.

A model folder is checked against it as a whole when it is loaded, before anything is
built from it, so a manifest edited by hand or by someone else is refused with one line
naming the field, never half-used. Sizes that would make loading allocate memory
(pixels per side, sequence lengths, tokens, classes) have upper bounds; the network's
own sizes are checked against its tensors' shapes when it is rebuilt (models.load_network).
Fields a modality adds beyond these are allowed, and checked by that modality."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

MAX_SIDE = 1024  # pixels per side an image model may read
MAX_STEPS = 100_000  # steps of a sequence, a forecast's horizon or lookback, a season
MAX_CHANNELS = 1_000
MAX_TOKENS = 512
MAX_CLASSES = 100_000

Count = Annotated[int, Field(ge=0, le=10**12)]
Fraction = Annotated[float, Field(ge=0, le=1)]
Text = Annotated[str, Field(max_length=100_000)]


class Open(BaseModel):
    """Fields read are typed and bounded; other fields may be present."""

    model_config = ConfigDict(extra="allow", strict=True)


class PerClass(Open):
    precision: float
    recall: float
    support: Count


class Metrics(Open):
    n: Count
    accuracy: Fraction | None = None
    macro_f1: Fraction | None = None
    per_class: dict[str, PerClass] | None = None
    classes: list[str] | None = None
    confusion_matrix: list[list[Count]] | None = None
    rmse: float | None = None
    mae: float | None = None
    r2: float | None = None


class AllMetrics(Open):
    validation: Metrics | None = None
    test: Metrics


class Diagnostic(Open):
    check: Text
    found: bool
    message: Text
    fix: Text = ""


class Row(Open):
    """A leaderboard row: a model, its scores (validation_*, test_*: numbers) and time."""

    model: Text
    name: Text
    seconds: float
    chosen: bool

    @model_validator(mode="after")
    def _scores_are_numbers(self) -> Row:
        for key, value in (self.model_extra or {}).items():
            if key.startswith(("validation_", "test_")) and value is not None and not _number(value):
                raise ValueError(f"the score {key} is not a number")
        return self


class Skipped(Open):
    file: Text
    reason: Text


class Data(Open):
    fingerprint: str
    source: str | None = None
    n_train: Count
    n_validation: Count
    n_test: Count | None = None
    skipped: list[Skipped] = []
    test_overlap: Count | None = None
    test_source: str | None = None


class History(Open):
    epochs: list[dict]
    best_epoch: Count | None = None
    stopped: Text = ""


class ClusterRun(Open):
    """Where a network trained on a Ray cluster was trained (cluster/fit.py)."""

    address: Text
    workers: Annotated[int, Field(ge=1, le=1_000_000)]
    restarts: Count = 0


class Training(Open):
    settings: dict = {}
    history: History | None = None
    seconds: float | None = None
    cluster: ClusterRun | None = None
    refit: dict | None = None  # what was trained again once chosen (a forecaster's, a recipe's refit)


class Recipe(Open):
    name: Text
    reason: Text


class Encoder(Open):
    name: Text
    kind: Text | None = None
    size: Annotated[int, Field(ge=1, le=MAX_SIDE)] | None = None
    channels: Annotated[int, Field(ge=1, le=MAX_CHANNELS)] | None = None
    length: Annotated[int, Field(ge=1, le=MAX_STEPS)] | None = None
    max_tokens: Annotated[int, Field(ge=1, le=MAX_TOKENS)] | None = None
    horizon: Annotated[int, Field(ge=1, le=MAX_STEPS)] | None = None
    lookback: Annotated[int, Field(ge=1, le=MAX_STEPS)] | None = None
    season: Annotated[int, Field(ge=1, le=MAX_STEPS)] | None = None


class Net(Open):
    name: Text
    n_classes: Annotated[int, Field(ge=1, le=MAX_CLASSES)]


class Check(Open):
    """How an export was checked: {metric}_pytorch and {metric}_exported, also under int8."""

    data: Text
    metric: Text
    max_abs_difference: float

    @model_validator(mode="after")
    def _scores(self) -> Check:
        extra = self.model_extra or {}
        small = extra.get("int8", {"max_abs_difference": 0.0, f"{self.metric}_exported": 0.0})
        needed = [(extra, f"{self.metric}_pytorch"), (extra, f"{self.metric}_exported")]
        needed += [(small, f"{self.metric}_exported"), (small, "max_abs_difference")]
        if not isinstance(small, dict) or not all(_number(part.get(key)) for part, key in needed):
            raise ValueError(f"the check's {self.metric} scores are not all numbers")
        return self


class Runtime(Open):
    engine: Literal["onnxruntime"]
    exported_from: Text
    int8: bool
    notes: list[Text] = []
    check: Check | None = None  # None only in the trial folders an export runs before its check
    sha256: str
    quantization: Text | None = None

    @model_validator(mode="after")
    def _how_quantised(self) -> Runtime:
        if self.int8 and self.quantization is None:
            raise ValueError("an int8 model that does not say how it was quantised")
        return self


class Versions(Open):
    deepstart: Text


class Selection(Open):
    folds: Annotated[int, Field(ge=2, le=1000)]
    rows: Count


class Manifest(Open):
    format_version: int
    weights_sha256: str
    task: Literal["classification", "regression", "forecasting", "detection"] = "classification"
    modality: Text
    classes: Annotated[list[Text], Field(max_length=MAX_CLASSES)]
    model: Recipe
    choice: Text = "deep"
    leaderboard: list[Row] = []
    worst_mistakes: list[dict] = []
    encoder: Encoder
    net: Net
    classical: dict | None = None
    metrics: AllMetrics
    diagnostics: list[Diagnostic] = []
    data: Data
    training: Training
    versions: Versions
    selection: Selection | None = None
    deep_weight: Fraction | None = None
    runtime: Runtime | None = None
    signature: Annotated[str, Field(max_length=64)] | None = None

    columns: dict[str, Text | list[Text] | None] | None = None

    @field_validator("classes")
    @classmethod
    def _distinct(cls, classes: list[str]) -> list[str]:
        if len(set(classes)) != len(classes):
            raise ValueError("two classes have the same name")
        return classes

    @model_validator(mode="after")
    def _fits_its_task(self) -> Manifest:
        """The scores that the task's summaries and reports print are there, as numbers."""
        needed = SCORES[self.task]
        for split in ("validation", "test"):
            found = getattr(self.metrics, split)
            values = {} if found is None else found.model_dump()
            if found is not None and any(not _number(values.get(k)) for k in needed):
                raise ValueError(f"metrics.{split} lacks one of {', '.join(needed)}")
        if self.task == "classification" and (
            self.metrics.test.per_class is None or self.metrics.test.classes is None
        ):
            raise ValueError("metrics.test lacks per_class or classes")
        first = needed[0]
        for row in self.leaderboard:
            extra = row.model_extra or {}
            if not _number(extra.get(f"validation_{first}")) or not _number(extra.get(f"test_{first}")):
                raise ValueError(f"a leaderboard row lacks validation_{first} or test_{first}")
        if self.leaderboard and DEEP_ROW[self.task] and not any(r.name == "deep" for r in self.leaderboard):
            raise ValueError("the leaderboard has no row for the deep model")
        return self


DEEP_ROW = {  # whether the task's leaderboard always holds the network's row, "deep"
    "classification": True,
    "regression": True,
    "forecasting": False,  # a forecaster's network may be left out where the history cannot feed it
    "detection": True,
}
SCORES = {  # what each task's metrics hold, the leaderboard's score first
    "classification": ("accuracy", "macro_f1"),
    "regression": ("rmse", "mae", "r2"),
    "forecasting": ("mase", "smape", "mae"),
    "detection": ("map50", "map"),  # COCO's mean average precision at IoU 0.5, and over 0.5 to 0.95
}


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def problem(manifest: dict) -> str | None:
    """What is wrong with a manifest, in a few words naming the field; None: nothing."""
    try:
        Manifest.model_validate(manifest)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the manifest"
        return f"{where}: {first['msg'][:120]}"
    return None
