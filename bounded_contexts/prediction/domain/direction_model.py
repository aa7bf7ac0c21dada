"""Baseline price-direction model: L2-regularised logistic regression fitted with JAX.

Full-batch gradient descent for a fixed number of steps from zero weights: no randomness at
all, so the same training window gives the same weights bit for bit on the same machine — the
deterministic replay the platform promises. Features are standardised with the training
window's mean and scale, which travel with the model.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

FEATURES = ("rsi_centred", "close_vs_sma", "ema_vs_sma", "macd_hist", "last_return")


class ModelInputError(ValueError):
    """Training or prediction input is unusable; the message says how."""


@dataclass(frozen=True)
class LogisticModel:
    version: str
    feature_names: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    means: tuple[float, ...]
    scales: tuple[float, ...]
    train_samples: int
    train_accuracy: float

    def probability_up(self, features: np.ndarray) -> np.ndarray:
        """Probabilities for a (n, k) matrix of raw features (vectorised)."""
        if features.ndim != 2 or features.shape[1] != len(self.weights):
            raise ModelInputError(
                f"expected a (n, {len(self.weights)}) feature matrix, got {features.shape}"
            )
        if not np.isfinite(features).all():
            row, col = np.argwhere(~np.isfinite(features))[0]
            raise ModelInputError(f"feature {self.feature_names[col]} at row {row} is not finite")
        z = (features - np.asarray(self.means)) / np.asarray(self.scales)
        return 1.0 / (1.0 + np.exp(-(z @ np.asarray(self.weights) + self.bias)))


@partial(jax.jit, static_argnames=("steps",))
def _gradient_descent(x, y, l2, learning_rate, steps: int):  # type: ignore[no-untyped-def]
    def loss(params):  # type: ignore[no-untyped-def]
        w, b = params
        logits = x @ w + b
        # log(1 + e^z) - y z, written stably
        nll = jnp.mean(jnp.logaddexp(0.0, logits) - y * logits)
        return nll + l2 * jnp.sum(w * w)

    grad = jax.grad(loss)

    def step(params, _):  # type: ignore[no-untyped-def]
        g = grad(params)
        return (params[0] - learning_rate * g[0], params[1] - learning_rate * g[1]), None

    init = (jnp.zeros(x.shape[1]), jnp.asarray(0.0))
    (w, b), _ = jax.lax.scan(step, init, None, length=steps)
    return w, b


def fit_logistic(
    features: np.ndarray,
    labels: np.ndarray,
    *,
    name: str,
    l2: float = 1e-2,
    learning_rate: float = 0.5,
    steps: int = 300,
) -> LogisticModel:
    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 1 or len(x) != len(y):
        raise ModelInputError(
            f"need a (n, k) feature matrix and n labels, got features {x.shape}, labels {y.shape}"
        )
    if x.shape[1] != len(FEATURES):
        raise ModelInputError(f"expected {len(FEATURES)} features {FEATURES}, got {x.shape[1]}")
    if len(y) < 10:
        raise ModelInputError(f"need at least 10 samples to fit, got {len(y)}")
    bad = np.argwhere(~np.isfinite(x))
    if len(bad):
        row, col = bad[0]
        raise ModelInputError(
            f"feature {FEATURES[col] if col < len(FEATURES) else col} at row {row} is not finite"
        )
    if not np.isin(y, (0.0, 1.0)).all():
        raise ModelInputError("labels must be 0 or 1")
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales == 0] = 1.0
    z = (x - means) / scales
    w, b = _gradient_descent(
        jnp.asarray(z, dtype=jnp.float32),
        jnp.asarray(y, dtype=jnp.float32),
        l2,
        learning_rate,
        steps,
    )
    weights = tuple(round(float(v), 10) for v in np.asarray(w))
    bias = round(float(b), 10)
    probs = 1.0 / (1.0 + np.exp(-(z @ np.asarray(weights) + bias)))
    accuracy = float(np.mean((probs > 0.5) == (y > 0.5)))
    digest = hashlib.sha256(repr((weights, bias)).encode()).hexdigest()[:10]
    return LogisticModel(
        version=f"logreg-v1-{name}-{digest}",
        feature_names=FEATURES,
        weights=weights,
        bias=bias,
        means=tuple(float(v) for v in means),
        scales=tuple(float(v) for v in scales),
        train_samples=len(y),
        train_accuracy=round(accuracy, 6),
    )


def features_from_indicators(
    values: dict[str, float | None], close: float, previous_close: float | None
) -> np.ndarray | None:
    """The model's feature vector from one bar's indicators, or None while any is warming up."""
    needed = ("rsi", "sma", "ema", "atr", "macd_hist")
    if previous_close is None or any(values.get(k) is None for k in needed):
        return None
    atr = values["atr"] or 0.0
    if atr <= 0:
        return None
    return np.array(
        [
            (values["rsi"] - 50.0) / 50.0,  # type: ignore[operator]
            (close - values["sma"]) / atr,  # type: ignore[operator]
            (values["ema"] - values["sma"]) / atr,  # type: ignore[operator]
            values["macd_hist"] / atr,  # type: ignore[operator]
            np.log(close / previous_close),
        ]
    )
