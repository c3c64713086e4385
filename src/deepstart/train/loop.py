"""The training loop, one for every modality: AdamW (or SGD), a one-cycle schedule,
batch augmentation, early stopping on validation loss, a checkpoint every epoch, and
the best epoch's weights restored at the end. Data is held in memory as tensors. The
plan says what to learn (classes or numbers) and how the inputs are laid out (images,
token ids or plain vectors): nothing is guessed from the tensors."""

from __future__ import annotations

import copy
import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..budget import current
from ..errors import TrainingError, TrainingInterrupted
from ..log import emit, progress
from ..models.runtime import device
from .batches import batch_for, device_of, inputs, shuffled
from .checkpoint import Checkpoint
from .gradients import layer_grad_norms


@dataclass
class History:
    """Per-epoch numbers and how training ended."""

    epochs: list[dict] = field(default_factory=list)  # epoch, train/val loss and accuracy, seconds
    grad_norms: list[dict] = field(default_factory=list)  # per epoch: layer -> mean gradient norm
    best_epoch: int = 0
    stopped: str = "finished"  # "finished" | "early stopping" | "time limit" | "diverged"
    seconds: float = 0.0
    cluster: dict | None = None  # trained on a Ray cluster: address, workers, restarts (cluster/fit.py)

    def to_dict(self) -> dict:
        return {
            "epochs": self.epochs,
            "grad_norms": self.grad_norms,
            "best_epoch": self.best_epoch,
            "stopped": self.stopped,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class Plan:
    """How to train: for how long, in which batches, at which learning rates, for what."""

    epochs: int
    batch_size: int
    groups: list[dict]  # parameter groups, each with its peak learning rate "lr"
    task: str = "classification"  # or "regression": numbers, learned by mean squared error
    layout: str = "vectors"  # "images" (uint8 pixels, channels last), "tokens" (ids), "vectors"
    augment: object = None  # a batch augmentation for images, or None
    clean_epochs: int = 0  # the last epochs train on the inputs as they are, without augment
    agree: object = None  # distributed training: record -> the first worker's record, so all stop alike
    seconds: float = math.inf  # the time this training has (a run's --time-limit: budget.current().share)
    loss: object = None  # (outputs, targets) -> the batch's mean loss, for a network with an objective
    # of its own (a detector's); None: cross-entropy or mean squared error, as task says
    last: bool = False  # keep the last epoch (the schedule's end), not the lowest validation loss, and
    # never stop early: where that loss does not follow the score that matters (a detector's mAP)

    @property
    def regression(self) -> bool:
        return self.task == "regression"

    @property
    def scored(self) -> bool:
        """Whether accuracy (or R²) is measured beside the loss: not for an objective of its own."""
        return self.loss is None

    def loss_of(self, out: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
        if self.loss is None:
            return loss_of(out, y, self.regression, reduction)
        mean = self.loss(out.float(), y)
        return mean * len(y) if reduction == "sum" else mean


@dataclass
class Best:
    """The weights of the epoch with the lowest validation loss so far."""

    loss: float = math.inf
    state: dict | None = None

    def offer(self, loss: float, model: nn.Module) -> bool:
        if not loss < self.loss:  # NaN never wins
            return False
        self.loss, self.state = loss, copy.deepcopy(model.state_dict())
        return True


def fit(
    model: nn.Module,
    train: tuple,
    val: tuple,
    settings,
    plan: Plan,
    checkpoint: Checkpoint | None = None,
    resume: bool = False,
    keep_start: bool = False,
) -> History:
    """Train model on train = (X, y); keep the epoch with the lowest loss on val = (X, y).
    keep_start: the starting weights count as epoch 0, kept if no epoch beats them
    (fine-tuning then never ends worse, on validation, than where it began)."""
    _place(model, plan.layout)
    train, val = on_device(as_tensors(train), model), on_device(as_tensors(val), model)
    optimizer = _optimizer(settings, plan.groups)
    steps = max(plan.epochs * math.ceil(len(train[1]) / plan.batch_size), 8)  # fewer break its phases
    max_lr = [g["lr"] for g in optimizer.param_groups]
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=max_lr, total_steps=steps, pct_start=0.25
    )
    history, best = History(), Best()
    if keep_start:
        best.offer(evaluate(model, val, plan)[0], model)
    if resume and checkpoint is not None:
        state, best.state = checkpoint.load(model, optimizer, schedule)
        history, best.loss = History(**state["history"]), state["best_loss"]
    first, clock = len(history.epochs), time.perf_counter() - history.seconds
    bar = progress(total=plan.epochs, initial=first, desc="Training", unit="epoch")
    try:
        for epoch in range(first, plan.epochs):
            torch.manual_seed(settings.seed + epoch)  # the same batches after a resume
            record = _epoch(model, train, val, plan, optimizer, schedule, history)
            if epoch == first and math.isfinite(plan.seconds):
                schedule = _fitted_to_time(plan, optimizer, schedule, record["seconds"], bar)
            if plan.agree is not None:  # every worker keeps the same best epoch and stops at the same one
                record.update(plan.agree(record))
            bar.set_postfix({k: v for k, v in record.items() if k.startswith("val_")})
            bar.update(1)
            emit("epoch", epochs=plan.epochs, **record)
            if best.offer(-record["epoch"] if plan.last else record["val_loss"], model):
                history.best_epoch = epoch + 1
            history.seconds = time.perf_counter() - clock
            history.stopped = _stop_reason(history, settings, plan, epoch + 1, record["train_loss"])
            if checkpoint is not None:
                extra = {"history": history.to_dict(), "best_loss": best.loss}
                checkpoint.save(model, optimizer, schedule, extra, best.state)
            if history.stopped != "finished" or epoch + 1 >= plan.epochs:  # plan.epochs may have come down
                break
    except KeyboardInterrupt:
        if checkpoint is not None and history.epochs:
            raise TrainingInterrupted(len(history.epochs)) from None
        raise
    finally:
        bar.close()
    return _restore_best(model, history, best)


def _epoch(model, train, val, plan: Plan, optimizer, schedule, history: History) -> dict:
    """One epoch of training, then validation; its record is added to history."""
    t0 = time.perf_counter()
    clean = len(history.epochs) >= plan.epochs - plan.clean_epochs
    augment = None if clean else plan.augment
    train_loss, train_score, norms = _train_epoch(model, train, plan, augment, optimizer, schedule)
    val_loss, val_score = evaluate(model, val, plan)
    key = "r2" if plan.regression else "accuracy"
    record = {
        "epoch": len(history.epochs) + 1,
        "train_loss": train_loss,
        f"train_{key}": train_score,
        "val_loss": val_loss,
        f"val_{key}": val_score,
        "seconds": round(time.perf_counter() - t0, 3),
    }
    if not plan.scored:  # only the loss means something
        del record[f"train_{key}"], record[f"val_{key}"]
    history.epochs.append(record)
    history.grad_norms.append(norms)
    return record


def _restore_best(model: nn.Module, history: History, best: Best) -> History:
    """The best epoch's weights back in the model; refused when no epoch (nor the start)
    had a finite validation loss, or the weights are not all finite: a model that
    diverged is never kept."""
    if best.state is not None:
        model.load_state_dict(best.state)
    finite = all(torch.isfinite(t).all() for t in model.state_dict().values() if t.is_floating_point())
    if (best.state is None and history.epochs) or not finite:  # no finite validation loss, or weights
        raise TrainingError(
            f"Training diverged in epoch {len(history.epochs)}: the loss became infinite or NaN, so there is "
            "no usable model. Lower the learning rate (--lr, e.g. 10 times) and train again."
        )
    return history


def _place(model: nn.Module, layout: str) -> None:
    model.to(device())
    if layout == "images" and device().type == "cpu":
        model.to(memory_format=torch.channels_last)  # measured ~1.5x faster for convolutions here


ON_DEVICE_BYTES = 8 << 30  # data up to this size is copied to a GPU once, not batch by batch


def on_device(data: tuple, model: nn.Module) -> tuple:
    """(X, y) on the model's GPU when it has one and they fit (uint8 pixels stay uint8):
    batches are then slices in its memory, with no copy from the host at every step."""
    where = device_of(model)
    size = sum(t.numel() * t.element_size() for t in data if isinstance(t, torch.Tensor))
    if where.type != "cuda" or size > ON_DEVICE_BYTES:
        return data
    return tuple(t.to(where) if isinstance(t, torch.Tensor) else t for t in data)


def as_tensors(data: tuple) -> tuple[torch.Tensor, torch.Tensor]:
    """(X, y) as tensors (NumPy arrays are wrapped, not copied, when contiguous)."""
    return tuple(torch.from_numpy(np.ascontiguousarray(a)) if isinstance(a, np.ndarray) else a for a in data)


def _optimizer(settings, groups: list[dict]) -> torch.optim.Optimizer:
    if settings.optimizer == "sgd":
        return torch.optim.SGD(
            groups, lr=groups[0]["lr"], momentum=0.9, nesterov=True, weight_decay=settings.weight_decay
        )
    return torch.optim.AdamW(groups, lr=groups[0]["lr"], weight_decay=settings.weight_decay)


def loss_of(out: torch.Tensor, y: torch.Tensor, regression: bool, reduction: str = "mean") -> torch.Tensor:
    """Cross-entropy for class indices; mean squared error for numbers (regression)."""
    if regression:  # (B,) numbers from one output, or (B, H) from H outputs
        return F.mse_loss(out.float().reshape(y.shape), y.float(), reduction=reduction)
    return F.cross_entropy(out.float(), y, reduction=reduction)


def _score(mean_loss: float, correct: int, y: torch.Tensor, regression: bool) -> float:
    """Accuracy, or for regression R² = 1 - MSE / variance of y."""
    if regression:
        return 1.0 - mean_loss / max(float(y.double().var(unbiased=False)), 1e-12) if len(y) else 0.0
    return correct / max(len(y), 1)


def _hits(out: torch.Tensor, y: torch.Tensor, regression: bool) -> int:
    return 0 if regression else int((out.argmax(1) == y).sum().item())


def _train_epoch(model, train, plan: Plan, augment, optimizer, schedule):
    """One pass over shuffled batches; returns (mean loss, accuracy or R², layer -> gradient norm)."""
    x_all, y_all = train
    batches = shuffled(x_all, plan.batch_size, plan.layout)
    every = max(1, len(batches) // 8)  # sample gradient norms a few times per epoch
    total_loss, correct, norms, samples = 0.0, 0, {}, 0  # sums kept on the device: no wait at each step
    model.train()
    for step, idx in enumerate(batches):
        x, y = inputs(x_all, idx, model, plan.layout), y_all[idx].to(device_of(model))
        if augment is not None:
            x = augment(x)
        # Mixed precision on GPUs only: this CPU has no fast bf16 (about 300x slower than fp32).
        fast = x.is_cuda and torch.cuda.get_device_capability(x.device)[0] >= 8
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=fast):
            logits = model(x)
            loss = plan.loss_of(logits, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if step % every == 0:
            samples += 1
            for name, norm in layer_grad_norms(model).items():
                norms[name] = norms.get(name, 0.0) + norm
        optimizer.step()
        schedule.step()
        total_loss = total_loss + loss.detach().float() * len(idx)
        if not plan.regression and plan.scored:
            correct = correct + (logits.argmax(1) == y).sum()
    total_loss, correct = float(total_loss), int(correct)
    score = _score(total_loss / len(y_all), correct, y_all, plan.regression)
    return total_loss / len(y_all), score, {k: v / max(samples, 1) for k, v in norms.items()}


def _fitted_to_time(plan: Plan, optimizer, schedule, epoch_seconds: float, bar):
    """After the first epoch, as many epochs as the time allows (plan.seconds): the
    schedule made anew for them, so that the learning rate still comes down at the end
    (a run cut off mid-schedule ends at a high rate, on a poor model)."""
    fits = max(1, int(plan.seconds // max(epoch_seconds, 1e-6)))
    if fits >= plan.epochs:
        return schedule
    current().cut(f"the network trained for {fits} epoch{'s' * (fits > 1)} instead of {plan.epochs}")
    per_epoch = schedule.total_steps // plan.epochs
    plan.epochs, bar.total = fits, fits
    max_lr = [g["max_lr"] for g in optimizer.param_groups]
    for group, lr in zip(optimizer.param_groups, max_lr):
        group["lr"] = lr  # OneCycleLR starts from max_lr / div_factor again
    fresh = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=max_lr, total_steps=max(fits * per_epoch, 8), pct_start=0.25
    )
    with warnings.catch_warnings():  # stepped without the optimizer: the epoch already done
        warnings.simplefilter("ignore")
        for _ in range(min(per_epoch, fresh.total_steps - 1)):
            fresh.step()
    return fresh


def _stop_reason(history: History, settings, plan: Plan, done: int, train_loss: float) -> str:
    if not math.isfinite(train_loss):
        return "diverged"
    # Early stopping waits for the second half of the one-cycle schedule, when the learning rate
    # has come down: while it is high, validation loss is noisy and may not improve for a while.
    epochs = plan.epochs
    if done - history.best_epoch >= settings.patience and epochs / 2 <= done < epochs and not plan.last:
        return "early stopping"
    if history.seconds * (done + 1) / done > plan.seconds and done < epochs:  # no time for one more
        current().cut(f"the network stopped after {done} of {epochs} epochs")
        return "time limit"
    return "finished"


@torch.no_grad()
def evaluate(model: nn.Module, data: tuple, plan: Plan) -> tuple[float, float]:
    """Mean loss and accuracy (R² for regression) of model on data = (X, y), in evaluation mode."""
    model.eval()
    x_all, y_all = as_tensors(data)
    batch = batch_for(x_all, plan.layout)
    total, correct = 0.0, 0
    for s in range(0, len(y_all), batch):
        idx = torch.arange(s, min(s + batch, len(y_all)))
        x, y = inputs(x_all, idx, model, plan.layout), y_all[idx].to(device_of(model))
        logits = model(x).float()
        total += plan.loss_of(logits, y, "sum").item()
        correct += _hits(logits, y, plan.regression) if plan.scored else 0
    mean_loss = total / max(y_all.numel() if plan.scored else len(y_all), 1)  # per class index, number, input
    return mean_loss, _score(mean_loss, correct, y_all, plan.regression)


@torch.no_grad()
def predict_logits(model: nn.Module, x_all: torch.Tensor, layout: str = "vectors") -> torch.Tensor:
    """(N, outputs) logits (or numbers), in evaluation mode, in batches."""
    model.eval()
    batch = batch_for(x_all, layout)
    out = [
        model(inputs(x_all, torch.arange(s, min(s + batch, len(x_all))), model, layout)).float().cpu()
        for s in range(0, len(x_all), batch)
    ]
    return torch.cat(out)
