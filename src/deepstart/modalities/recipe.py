"""A recipe (which model to train on which data, and how) and the encoder protocol
(how a modality's inputs become the arrays a network reads)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

HEAD_STEPS = 4000  # at most this many steps for a classifier on frozen features (at most 200 epochs)


@dataclass(frozen=True)
class Knob:
    """A setting `deepstart tune` searches: a range ("log" or "float") or choices."""

    kind: str  # "log", "float" or "choice"
    low: float | None = None
    high: float | None = None
    choices: tuple = ()


@dataclass
class Recipe:
    """Which model to train on which data, and how: what encodes the inputs, which
    network learns (its manifest entry), with which augmentation, for how long, and why."""

    name: str  # "transfer" | "cnn" | "fine-tune" | "mlp" | "sequence-cnn"
    reason: str  # for the summary: why this model for this data
    encoder: object
    augment: object = None  # a batch augmentation (train.augment), or None
    net: dict = field(default_factory=dict)  # the network's manifest entry, without n_classes
    probe: object = None  # fine-tuning: the frozen encoder whose features train its first classifier
    lr_default: float = 3e-3  # peak learning rate unless --lr
    batch_default: int = 128  # unless --batch-size
    steps: int = HEAD_STEPS  # optimisation steps aimed at; epochs follow from the data size ...
    epoch_range: tuple[int, int] = (10, 200)  # ... within this range (equal bounds: a fixed number)
    clean_epochs: int = 0  # the last epochs without augment: the network ends on the inputs it will see
    refit: bool = False  # a kept network is trained again on training + validation examples together,
    # for the epochs validation chose (cheap for a classifier on frozen features; validation
    # of whole speakers or patients otherwise leaves a group out of the final model)
    knobs: dict = field(default_factory=dict)  # settings beyond search_space's that matter for this recipe
    gpu: dict = field(default_factory=dict)  # on a CUDA GPU: {"batch", "steps"} where larger batches pay

    def search_space(self) -> dict[str, Knob]:
        """What `deepstart tune` searches for this recipe: the learning rate and batch size
        around the recipe's own, weight decay, dropout and patience, and the recipe's own
        knobs (activation, augmentation, fine-tuning). The defaults are the first trial."""
        batch = self.batch_default
        return {
            "lr": Knob("log", self.lr_default / 10, self.lr_default * 10),
            "batch_size": Knob("choice", choices=(max(batch // 2, 8), batch, batch * 2)),
            "weight_decay": Knob("log", 1e-5, 0.1),
            "dropout": Knob("float", 0.0, 0.5),
            "patience": Knob("choice", choices=(5, 10, 20, 40)),
        } | self.knobs

    def net_spec(self, n_classes: int) -> dict:
        """The network's manifest entry; for tables, once the encoder has learned the columns."""
        return {**self.net, "n_classes": n_classes, **self.encoder.network_inputs()}

    def epochs(self, settings, n_train: int, gpu: bool = False) -> int:
        if settings.epochs is not None:
            return settings.epochs
        low, high = self.epoch_range
        per_epoch = math.ceil(n_train / self.batch_size(settings, gpu))
        steps = self.gpu.get("steps", self.steps) if gpu else self.steps
        return min(high, max(low, round(steps / per_epoch)))

    def batch_size(self, settings, gpu: bool = False) -> int:
        if settings.batch_size is not None:
            return settings.batch_size
        return self.gpu.get("batch", self.batch_default) if gpu else self.batch_default

    def lr(self, settings) -> float:
        return settings.lr if settings.lr is not None else self.lr_default

    def describe(self) -> dict:
        return {
            "name": self.name,
            "reason": self.reason,
            "augmentation": self.augment.to_dict() if self.augment else None,
        }


class Encoder:
    """Turns a modality's inputs into the arrays a network reads. Subclasses set kind
    and name (recorded in the manifest) and implement encode, spec and from_spec."""

    kind = ""  # the modality's name
    name = ""  # the encoder's name in the manifest
    layout = "vectors"  # what encode() gives the network: "vectors", "images" (uint8) or "tokens" (ids)
    use_cache = False  # whether features are kept in the feature cache
    learns = False  # whether fit() learns from the training inputs first (tables, sequences)

    def encode(self, items, desc: str = "", new_data: bool = False):
        """Items -> Encoded. new_data: inputs other than the training ones, whose
        differences from them (unused columns, unseen values) are worth a notice."""
        raise NotImplementedError

    def spec(self) -> dict:
        raise NotImplementedError

    @classmethod
    def from_spec(cls, spec: dict, settings) -> Encoder:
        raise NotImplementedError

    def network_inputs(self) -> dict:
        """What the network must be built for, learned by this encoder (a table's columns)."""
        return {}


def head_epochs(n_train: int, batch_size: int) -> int:
    """Epochs for a classifier on frozen features: HEAD_STEPS steps, 10 to 200 epochs."""
    return min(200, max(10, round(HEAD_STEPS / math.ceil(n_train / batch_size))))
