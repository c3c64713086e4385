"""The training loop: AdamW, a one-cycle schedule, early stopping on validation loss,
and the best epoch's weights restored at the end. Data is held in memory as tensors."""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field

import torch
from torch import nn

from ..log import progress


@dataclass
class History:
    """Per-epoch numbers and how training ended."""

    epochs: list[dict] = field(default_factory=list)  # train_loss, val_loss, val_accuracy
    best_epoch: int = 0
    stopped: str = "finished"  # "finished" | "early stopping" | "time limit"
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {
            "epochs": self.epochs,
            "best_epoch": self.best_epoch,
            "stopped": self.stopped,
            "seconds": round(self.seconds, 3),
        }


def fit(model: nn.Module, train: tuple, val: tuple, settings) -> History:
    """Train model on train = (X, y) and keep the epoch with the lowest loss on val."""
    torch.manual_seed(settings.seed)
    x_train, y_train = train  # (N, D) float32, (N,) int64
    n = len(y_train)
    steps = math.ceil(n / settings.batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=settings.lr, total_steps=settings.epochs * steps
    )
    loss_fn = nn.CrossEntropyLoss()
    history, best_loss, best_state = History(), math.inf, None
    start = time.perf_counter()
    bar = progress(range(settings.epochs), desc="Training", unit="epoch")
    for epoch in bar:
        model.train()
        order = torch.randperm(n)
        total = 0.0
        for s in range(steps):
            idx = order[s * settings.batch_size : (s + 1) * settings.batch_size]
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item() * len(idx)
        val_loss, val_acc = evaluate_loss(model, val, loss_fn)
        history.epochs.append(
            {"epoch": epoch + 1, "train_loss": total / n, "val_loss": val_loss, "val_accuracy": val_acc}
        )
        bar.set_postfix(val_loss=f"{val_loss:.4f}", val_acc=f"{val_acc:.3f}")
        if val_loss < best_loss:
            best_loss, best_state = val_loss, copy.deepcopy(model.state_dict())
            history.best_epoch = epoch + 1
        elif epoch + 1 - history.best_epoch >= settings.patience:
            history.stopped = "early stopping"
            break
        if settings.time_limit and time.perf_counter() - start > settings.time_limit:
            history.stopped = "time limit"
            break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    history.seconds = time.perf_counter() - start
    return history


@torch.no_grad()
def evaluate_loss(model: nn.Module, data: tuple, loss_fn) -> tuple[float, float]:
    """Mean loss and accuracy of model on data = (X, y), in evaluation mode."""
    model.eval()
    x, y = data
    logits = model(x)
    return loss_fn(logits, y).item(), (logits.argmax(1) == y).float().mean().item()
