"""Classical forecasts: seasonal naive (the value one season earlier; the last value
when there is no season) and a linear autoregressive model (ridge regression from the
last `lookback` values to the next `horizon`), stored as its weights."""

from __future__ import annotations

import numpy as np
import torch

ALPHAS = (0.1, 1.0, 10.0, 100.0)


def seasonal_naive(history: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """(N, L) histories -> (N, horizon): each step repeats the step one season before."""
    m = max(1, min(season, history.shape[1]))
    return history[:, [history.shape[1] - m + (j % m) for j in range(horizon)]]


def autocorrelation(series: list[np.ndarray], max_lag: int) -> np.ndarray:
    """(max_lag + 2,) autocorrelation of the series less their trend (a fitted quadratic),
    averaged over the series long enough for it."""
    acf, n = np.zeros(max_lag + 2), 0
    for values in series:
        t = np.linspace(-1, 1, len(values))
        d = values - np.polyval(np.polyfit(t, values, 2), t) if len(values) > 3 else values * 0  # no trend
        denominator = float((d * d).sum())
        if len(d) <= max_lag + 1 or denominator == 0:
            continue
        acf += [1.0] + [float((d[:-lag] * d[lag:]).sum()) / denominator for lag in range(1, max_lag + 2)]
        n += 1
    return acf / max(n, 1)


def detect_season(series: list[np.ndarray], max_lag: int) -> int:
    """The season: the lag, between 2 and max_lag, at which the series, less its trend,
    correlates most with itself (a peak of their autocorrelation above 0.3); 1 when there
    is none."""
    if max_lag < 2:
        return 1
    acf = autocorrelation(series, max_lag)
    peaks = [
        lag
        for lag in range(2, max_lag + 1)
        if acf[lag] > 0.3 and acf[lag] >= acf[lag - 1] and acf[lag] >= acf[lag + 1]
    ]
    return max(peaks, key=lambda lag: acf[lag]) if peaks else 1


def confirmed(series: list[np.ndarray], season: int, threshold: float = 0.2) -> bool:
    """Whether the series repeat every `season` steps: their autocorrelation there is
    above threshold and the highest within a few steps around it."""
    if season < 2:
        return False
    near = max(1, season // 20)
    acf = autocorrelation(series, season + near)
    return bool(
        acf[season] > threshold and acf[season] >= acf[season - near : season + near + 1].max() - 1e-9
    )


class LinearAR:
    """Scaled window (N, L) -> scaled next values (N, H): one ridge regression per step."""

    name = "linear-ar"

    def __init__(self, coef: np.ndarray, intercept: np.ndarray, alpha: float):
        self.coef, self.intercept, self.alpha = coef, intercept, alpha

    @classmethod
    def fit(cls, x, y, x_val, y_val, alphas=ALPHAS) -> LinearAR:
        """Fit on windows (x, y); pick the regularisation on the validation windows."""
        from sklearn.linear_model import Ridge

        best = None
        for alpha in alphas:
            model = Ridge(alpha=alpha).fit(x, y)
            error = float(np.mean((model.predict(x_val) - y_val) ** 2))
            if best is None or error < best[0]:
                best = (error, alpha, model)
        _, alpha, model = best
        return cls(np.atleast_2d(model.coef_).astype(np.float64), np.atleast_1d(model.intercept_), alpha)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return x @ self.coef.T + self.intercept

    def spec(self) -> dict:
        return {"name": self.name, "alpha": self.alpha}

    def tensors(self) -> dict[str, torch.Tensor]:
        return {"coef": torch.from_numpy(self.coef), "intercept": torch.from_numpy(self.intercept)}

    @classmethod
    def from_saved(cls, spec: dict, tensors: dict, lookback: int, horizon: int) -> LinearAR:
        coef, intercept = tensors["coef"].numpy(), tensors["intercept"].numpy()
        if coef.shape != (horizon, lookback) or intercept.shape != (horizon,) or not np.isfinite(coef).all():
            raise ValueError(
                f"autoregressive weights of shape {coef.shape} for {horizon} steps from {lookback}"
            )
        return cls(coef, intercept, float(spec["alpha"]))
