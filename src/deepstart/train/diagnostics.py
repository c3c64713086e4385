"""Plain-language checks after training, each with a suggested fix: overfitting,
underfitting, vanishing or exploding gradients, dead ReLUs, class imbalance and
divergence. Every check is recorded, found or not, so the manifest shows what was checked."""

from __future__ import annotations

import math

import torch
from torch import nn

from ..settings import named
from .batches import batch_for
from .loop import History, Plan, as_tensors, evaluate

VANISHING_RATIO = 1e-3  # first layer's gradient vs. the last layer's
EXPLODING_NORM = 1e3
DEAD_FRACTION = 0.5
OVERFIT_GAP = 0.05
UNDERFIT_ACCURACY = 0.8
IMBALANCE_RATIO = 3.0
OVERFIT_R2_GAP = 0.1
UNDERFIT_R2 = 0.5


def diagnose(
    model: nn.Module, history: History, train: tuple, val: tuple, classes: list[str], plan: Plan
) -> list[dict]:
    """Run every check; train and val are (X, y) (a sample of train is enough)."""
    train, val = as_tensors(train), as_tensors(val)
    train_acc = evaluate(model, train, plan)[1]  # in evaluation mode: no dropout, no augmentation
    val_acc = evaluate(model, val, plan)[1]
    regression = plan.regression
    divergence = _divergence(history)
    fit = _fit_r2(train_acc, val_acc) if regression else None
    underfitting = fit[1] if fit else _underfitting(train_acc, val_acc)
    if divergence["found"]:  # divergence explains poor fit; one fix, not two that disagree
        underfitting = _check("underfitting", False, "See divergence.", "")
    return [
        divergence,
        fit[0] if fit else _overfitting(train_acc, val_acc, len(val[1])),
        underfitting,
        *_gradients(history),
        _dead_units(model, val[0], plan.layout),
        *([] if regression else [_imbalance(train[1], classes)]),
    ]


NETWORK_ONLY = ("divergence", "vanishing gradients", "exploding gradients", "dead ReLUs")


CLASSICAL_OVERFIT_FIX = (
    "More data; forests and boosted trees fit their training rows closely by design, so judge them "
    "by the cross-validated scores in the leaderboard, where a simpler model (linear, a shallow tree) "
    "that scores as well is the safer choice."
)


def kept_model_checks(
    network_checks: list[dict], fit: tuple, val: tuple, regression: bool, with_network: bool
):
    """The diagnostics of the model kept when it is not the network alone (a classical model,
    or an average): over- and underfitting judged from the kept model's own outputs,
    fit = (outputs, targets) on training rows and val = on validation rows; the
    network's own checks (divergence, gradients, dead units) only when it takes part."""
    train_score, val_score = _score_of(*fit, regression), _score_of(*val, regression)
    if regression:
        over, under = _fit_r2(train_score, val_score)
    else:
        over, under = _overfitting(train_score, val_score, len(val[1])), _underfitting(train_score, val_score)
    if over["found"] and not with_network:  # the network's fixes (epochs, dropout) do not apply
        over["fix"] = CLASSICAL_OVERFIT_FIX
    own = {"overfitting": over, "underfitting": under}
    return [own.get(c["check"], c) for c in network_checks if with_network or c["check"] not in NETWORK_ONLY]


def _score_of(out, y, regression: bool) -> float:
    """Accuracy of probabilities, or R² of numbers."""
    if regression:
        spread = float(((y - y.mean()) ** 2).mean()) or 1e-12
        return 1.0 - float(((out - y) ** 2).mean()) / spread
    return float((out.argmax(1) == y).mean())


def _share(r2: float) -> str:
    return "none" if r2 <= 0 else f"only {100 * r2:.0f} %"


def _fit_r2(train_r2: float, val_r2: float) -> tuple[dict, dict]:
    """Overfitting and underfitting for regression, judged by R² (1 is perfect, 0 is no
    better than always predicting the mean)."""
    gap = train_r2 - val_r2
    over = _check(
        "overfitting",
        gap > OVERFIT_R2_GAP,
        f"R² is {train_r2:.2f} on training data but {val_r2:.2f} on validation data: "
        + ("the model memorises its examples (overfitting)." if gap > OVERFIT_R2_GAP else "no large gap."),
        f"More data, more regularisation ({named('dropout')}, {named('weight_decay')}), or fewer epochs.",
    )
    under = _check(
        "underfitting",
        train_r2 < UNDERFIT_R2 and gap <= OVERFIT_R2_GAP,
        f"Even on its training data the model explains {_share(train_r2)} of the variance "
        f"(R² {train_r2:.2f})."
        if train_r2 < UNDERFIT_R2
        else f"The model fits its training data (R² {train_r2:.2f}).",
        f"Train longer ({named('epochs')}) or raise {named('lr')}; the inputs may also say little about the "
        "target, and then "
        "this is as good as it gets.",
    )
    return over, under


def _check(name: str, found: bool, message: str, fix: str) -> dict:
    return {"check": name, "found": bool(found), "message": message, "fix": fix if found else ""}


def _divergence(history: History) -> dict:
    bad = [e["epoch"] for e in history.epochs if not math.isfinite(e["train_loss"])]
    return _check(
        "divergence",
        bool(bad) or history.stopped == "diverged",
        f"Training diverged: the loss became infinite or NaN at epoch {bad[0] if bad else '?'}."
        if bad
        else "The loss stayed finite.",
        f"Lower {named('lr')}, e.g. 10 times.",
    )


def _overfitting(train_acc: float, val_acc: float, n_val: int) -> dict:
    """A gap above OVERFIT_GAP that is also above twice the validation accuracy's
    standard error: one miss among four validation images is not overfitting."""
    gap = train_acc - val_acc
    noise = 2 * math.sqrt(max(val_acc * (1 - val_acc), 1 / max(n_val, 1)) / max(n_val, 1))
    found = gap > max(OVERFIT_GAP, noise)
    return _check(
        "overfitting",
        found,
        f"Accuracy is {100 * train_acc:.1f} % on training data but {100 * val_acc:.1f} % on validation data: "
        + (
            "the model memorises its examples more than it learns the pattern (overfitting)."
            if found
            else "no gap beyond chance."
        ),
        f"More data, more regularisation ({named('dropout')}, {named('weight_decay')}), fewer epochs, or "
        "(for images) augmentation.",
    )


def _underfitting(train_acc: float, val_acc: float) -> dict:
    found = train_acc < UNDERFIT_ACCURACY and train_acc - val_acc <= OVERFIT_GAP
    return _check(
        "underfitting",
        found,
        f"Even on its training data the model is right only {100 * train_acc:.1f} % of the time "
        "(underfitting)."
        if found
        else f"The model fits its training data ({100 * train_acc:.1f} %).",
        f"Train longer ({named('epochs')}) or use a bigger model ({named('fine_tune')} for photos); raise "
        f"{named('lr')} only if you "
        "had lowered it. If the classes truly look alike, this may be as good as it gets.",
    )


def _gradients(history: History) -> list[dict]:
    first = history.grad_norms[0] if history.grad_norms else {}
    norms = [v for epoch in history.grad_norms for v in epoch.values()]
    layers = list(first)
    ratio = first[layers[0]] / first[layers[-1]] if len(layers) > 1 and first[layers[-1]] > 0 else 1.0
    exploding = any(not math.isfinite(v) or v > EXPLODING_NORM for v in norms)
    return [
        _check(
            "vanishing gradients",
            len(layers) > 2 and ratio < VANISHING_RATIO,
            f"The first layer's gradients are {1 / max(ratio, 1e-30):.0e} times smaller than the last "
            "layer's: "
            "early layers barely learn (vanishing gradients)."
            if ratio < VANISHING_RATIO
            else "Gradients reach the first layer.",
            f"Use {named('activation', 'relu')} or gelu instead of sigmoid/tanh, or fewer layers; batch norm "
            "helps too.",
        ),
        _check(
            "exploding gradients",
            exploding,
            f"Gradient norms reached {max(norms, default=0):.3g} (exploding gradients)."
            if exploding
            else f"Gradient norms stayed moderate (largest {max(norms, default=0):.3g}).",
            f"Lower {named('lr')}; normalise the inputs; use batch norm.",
        ),
    ]


@torch.no_grad()
def _dead_units(model: nn.Module, x: torch.Tensor, layout: str) -> dict:
    """Share of ReLU units (channels) that output zero for every one of a batch of
    validation inputs. A ReLU module used at several places (as EfficientNet reuses
    one) is left out: its outputs cannot be told apart."""
    dead: dict[str, list[float]] = {}
    hooks = [
        m.register_forward_hook(_dead_hook(name, dead))
        for name, m in model.named_modules()
        if isinstance(m, (nn.ReLU, nn.ReLU6))
    ]
    model.eval()
    if hooks:
        batch = x[: batch_for(x, layout)]
        model((batch.float() if layout != "tokens" else batch).to(next(model.parameters()).device))
    for hook in hooks:
        hook.remove()
    single = {name: calls[0] for name, calls in dead.items() if len(calls) == 1}
    worst = max(single.items(), key=lambda kv: kv[1], default=("", 0.0))
    return _check(
        "dead ReLUs",
        worst[1] > DEAD_FRACTION,
        f"{100 * worst[1]:.0f} % of the units of the ReLU '{worst[0]}' never activate (dead ReLUs)."
        if worst[1] > DEAD_FRACTION
        else "The ReLU units are alive.",
        f"Lower {named('lr')}, or use {named('activation', 'gelu')} or silu, which do not die.",
    )


def _dead_hook(name: str, dead: dict):
    def hook(module, inputs, output):
        units = output.transpose(0, 1).reshape(output.shape[1], -1)  # (units, samples x positions)
        dead.setdefault(name, []).append(float((units.amax(dim=1) <= 0).float().mean()))

    return hook


def _imbalance(y: torch.Tensor, classes: list[str]) -> dict:
    counts = torch.bincount(y, minlength=len(classes)).tolist()
    big, small = (
        max(range(len(counts)), key=counts.__getitem__),
        min(range(len(counts)), key=counts.__getitem__),
    )
    ratio = counts[big] / max(counts[small], 1)
    return _check(
        "class imbalance",
        ratio >= IMBALANCE_RATIO,
        f"Class '{classes[small]}' has {ratio:.0f} times fewer examples than '{classes[big]}' "
        f"({counts[small]} against {counts[big]}): accuracy can hide poor results on it."
        if ratio >= IMBALANCE_RATIO
        else "The classes are roughly balanced.",
        f"Collect more examples of '{classes[small]}', and judge the model by per-class recall and macro-F1.",
    )
