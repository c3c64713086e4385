"""Plots as PNG bytes: one way to make a figure (matplotlib, no screen needed) and to
turn it into a PNG; and the training curve (loss and score per epoch)."""

from __future__ import annotations

import io


def figure(*args, **options):
    """plt.subplots(*args, **options), drawn off screen: (figure, axes)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(*args, **options)


def png(fig) -> bytes:
    """The figure as PNG bytes; the figure is closed."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def training_curve_png(epochs: list[dict], best_epoch: int) -> bytes:
    x = [e["epoch"] for e in epochs]
    score, score_title = ("r2", "R² (higher is better)") if "val_r2" in epochs[0] else ("accuracy", "")
    fig, (loss_ax, acc_ax) = figure(1, 2, figsize=(10, 3.6), dpi=100)
    for ax, key, title in (
        (loss_ax, "loss", "Loss (lower is better)"),
        (acc_ax, score, score_title or "Accuracy (higher is better)"),
    ):
        ax.plot(x, [e[f"train_{key}"] for e in epochs], label="training", color="#1f77b4")
        ax.plot(x, [e[f"val_{key}"] for e in epochs], label="validation", color="#d62728")
        if best_epoch:
            ax.axvline(
                best_epoch, color="gray", linestyle="--", linewidth=1, label=f"best epoch ({best_epoch})"
            )
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    acc_ax.legend(loc="best")
    fig.tight_layout()
    return png(fig)
