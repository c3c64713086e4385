"""A compact CNN trained from scratch, for small images such as 28x28 digits."""

from __future__ import annotations

from torch import nn

from .layers import Rescale, activation


def conv_block(c_in: int, c_out: int, act: str) -> nn.Sequential:
    """conv 3x3 -> batch norm -> activation -> 2x2 max-pool: halves the image side."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        activation(act),
        nn.MaxPool2d(2),
    )


class SmallCNN(nn.Sequential):
    """Three conv blocks then a linear classifier: (B, C, S, S) pixels -> (B, n_classes).

    About 29k weights with the default widths; on 28x28 digits a side shrinks
    28 -> 14 -> 7 -> 3, leaving widths[-1] x 3 x 3 numbers for the classifier.
    """

    def __init__(
        self,
        in_channels: int,
        n_classes: int,
        size: int,
        widths: tuple = (16, 32, 64),
        activation: str = "relu",
        dropout: float = 0.2,
    ):
        blocks, c_in, side = [], in_channels, size
        for width in widths:
            blocks.append(conv_block(c_in, width, activation))
            c_in, side = width, side // 2
        super().__init__(
            Rescale(),
            *blocks,
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(c_in * side * side, n_classes),
        )
