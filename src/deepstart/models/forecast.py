"""Networks over sequences of numbers: forecasters that read a window of past values and
predict the next `horizon` at once (a stack of multilayer perceptrons of the N-HiTS kind,
the default, and a recurrent GRU, which older model folders hold), and a 1-D
convolutional classifier of whole sequences."""

from __future__ import annotations

import torch
from torch import nn


def _interpolation(n_in: int, n_out: int) -> torch.Tensor:
    """(n_in, n_out): coefficients at n_in evenly spaced points -> n_out values between
    them, linearly (a fixed matrix, so that the exported graph is a plain MatMul)."""
    if n_in == 1:
        return torch.ones(1, n_out)
    where = torch.linspace(0, n_in - 1, n_out)
    low = where.floor().clamp(max=n_in - 2).long()
    frac = where - low
    matrix = torch.zeros(n_in, n_out)
    matrix[low, torch.arange(n_out)] = 1 - frac
    matrix[low + 1, torch.arange(n_out)] += frac
    return matrix


class Block(nn.Module):
    """One N-HiTS block: the input pooled to a coarser rate, an MLP, then what it explains
    of the input (backcast) and a coarse forecast interpolated to the horizon."""

    def __init__(self, lookback: int, horizon: int, pool: int, coarse: int, hidden: int, dropout: float):
        super().__init__()
        self.pool = nn.MaxPool1d(pool, ceil_mode=True) if pool > 1 else nn.Identity()
        width = -(-lookback // pool)
        self.mlp = nn.Sequential(
            nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, hidden), nn.ReLU()
        )
        self.backcast = nn.Linear(hidden, lookback)
        self.forecast = nn.Linear(hidden, coarse)
        self.register_buffer("spread", _interpolation(coarse, horizon), persistent=False)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.mlp(self.pool(x.unsqueeze(1)).squeeze(1))  # (B, hidden)
        return self.backcast(hidden), self.forecast(hidden) @ self.spread


class MLPForecaster(nn.Module):
    """(B, lookback) scaled past values -> (B, horizon) scaled future values: three blocks
    of the N-HiTS kind (Challu et al., 2023), from the slow rates to the fast, each reading
    what the ones before left unexplained of the window; the forecast is the last value
    plus their sum. Trains in a fraction of a recurrent network's time on a CPU."""

    def __init__(self, lookback: int, n_classes: int, hidden: int = 256, dropout: float = 0.1):
        super().__init__()
        self.lookback = lookback
        rates = [r for r in (8, 4, 1) if r == 1 or lookback // r >= 4]
        self.blocks = nn.ModuleList(
            Block(lookback, n_classes, r, max(1, -(-n_classes // r)), hidden, dropout) for r in rates
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rest, out = x, x[:, -1:]
        for block in self.blocks:
            backcast, forecast = block(rest)
            rest, out = rest - backcast, out + forecast
        return out


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
