"""Networks over sequences of numbers: a recurrent (GRU) forecaster that reads a window
of past values and predicts the next `horizon` at once, and a 1-D convolutional
classifier of whole sequences."""

from __future__ import annotations

import torch
from torch import nn


class GRUForecaster(nn.Module):
    """(B, lookback) scaled past values -> (B, horizon) scaled future values, as the
    last value plus what the network adds (so a flat forecast is where it starts)."""

    def __init__(self, lookback: int, n_classes: int, hidden: int = 64, dropout: float = 0.2):
        super().__init__()
        self.lookback = lookback
        self.gru = nn.GRU(1, hidden, batch_first=True)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden + lookback, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, last = self.gru(x.unsqueeze(-1))
        return x[:, -1:] + self.head(torch.cat([last[-1], x], dim=1))


class SequenceClassifier(nn.Module):
    """(B, length) or (B, channels, length) numbers -> (B, n_classes): a 1-D CNN, three
    blocks of convolution, batch norm and ReLU, then global average pooling."""

    def __init__(self, channels: int, n_classes: int, width: int = 64, dropout: float = 0.2):
        super().__init__()
        layers, c_in = [], channels
        for kernel in (7, 5, 3):
            layers += [nn.Conv1d(c_in, width, kernel, padding=kernel // 2), nn.BatchNorm1d(width), nn.ReLU()]
            c_in = width
        self.body = nn.Sequential(*layers, nn.AdaptiveAvgPool1d(1), nn.Flatten())
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(width, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x if x.dim() == 3 else x.unsqueeze(1)))
