"""The training curve: loss and accuracy per epoch, as a PNG."""

from __future__ import annotations

import io


def training_curve_png(epochs: list[dict], best_epoch: int) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [e["epoch"] for e in epochs]
    score, score_title = ("r2", "R² (higher is better)") if "val_r2" in epochs[0] else ("accuracy", "")
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 3.6), dpi=100)
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
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
