"""The baseline family: multinomial logistic regression per horizon, fitted with JAX.

Full-batch gradient descent for a fixed number of steps from zero weights: no randomness at
all (the seed is accepted and ignored), so the same data give the same weights bit for bit.
Features are standardised with the training data's mean and scale, which travel with the
weights. It is the yardstick the other families must beat out of sample.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Self

import jax
import jax.numpy as jnp
import numpy as np

from .direction import (
    DirectionModel,
    HyperValue,
    ModelInputError,
    ModelSpec,
    TrainingData,
)

FAMILY = "logreg"


class LogisticDirectionModel(DirectionModel):
    family = FAMILY

    def __init__(
        self,
        spec: ModelSpec,
        coefficients: np.ndarray,
        intercepts: np.ndarray,
        means: np.ndarray,
        scales: np.ndarray,
    ) -> None:
        super().__init__(spec)
        k, h = len(spec.feature_names), len(spec.horizons)
        if coefficients.shape != (k, h, 3) or intercepts.shape != (h, 3):
            raise ModelInputError(
                f"logistic weights must be ({k}, {h}, 3) and ({h}, 3), got "
                f"{coefficients.shape} and {intercepts.shape}"
            )
        self._w, self._b = coefficients, intercepts
        self._means, self._scales = means, scales

    def logits(self, features: np.ndarray) -> np.ndarray:
        z = (features - self._means) / self._scales
        return np.einsum("nk,khc->nhc", z, self._w) + self._b

    def weights(self) -> dict[str, np.ndarray]:
        return {
            "coefficients": self._w,
            "intercepts": self._b,
            "means": self._means,
            "scales": self._scales,
        }

    @classmethod
    def restore(cls, spec: ModelSpec, weights: Mapping[str, np.ndarray]) -> Self:
        return cls(
            spec,
            np.asarray(weights["coefficients"], dtype=np.float64),
            np.asarray(weights["intercepts"], dtype=np.float64),
            np.asarray(weights["means"], dtype=np.float64),
            np.asarray(weights["scales"], dtype=np.float64),
        )


@partial(jax.jit, static_argnames=("steps",))
def _descend(x, y, known, l2, learning_rate, steps: int):  # type: ignore[no-untyped-def]
    """x (n, k); y (n, h) class ids; known (n, h) 0/1 — the mean cross-entropy over known
    labels, plus an L2 penalty, minimised by plain gradient descent."""

    def loss(params):  # type: ignore[no-untyped-def]
        w, b = params
        logits = jnp.einsum("nk,khc->nhc", x, w) + b
        log_p = jax.nn.log_softmax(logits, axis=-1)
        picked = jnp.take_along_axis(log_p, y[..., None], axis=-1)[..., 0]
        nll = -jnp.sum(picked * known) / jnp.maximum(jnp.sum(known), 1.0)
        return nll + l2 * jnp.sum(w * w)

    grad = jax.grad(loss)

    def step(params, _):  # type: ignore[no-untyped-def]
        gw, gb = grad(params)
        return (params[0] - learning_rate * gw, params[1] - learning_rate * gb), None

    k, h = x.shape[1], y.shape[1]
    init = (jnp.zeros((k, h, 3)), jnp.zeros((h, 3)))
    (w, b), _ = jax.lax.scan(step, init, None, length=steps)
    return w, b


@dataclass(frozen=True)
class LogisticFamily:
    """Hyper-parameters of the baseline (documented defaults)."""

    l2: float = 1e-2
    learning_rate: float = 0.5
    steps: int = 300
    name: str = FAMILY

    def hyper_parameters(self) -> dict[str, HyperValue]:
        return {"l2": self.l2, "learning_rate": self.learning_rate, "steps": self.steps}

    def fit(self, data: TrainingData, *, seed: int = 0) -> LogisticDirectionModel:
        x, y = data.stacked()
        known = (y >= 0).astype(np.float32)
        if int(known.sum()) < 10:
            raise ModelInputError(f"need at least 10 known labels to fit, got {int(known.sum())}")
        means = x.mean(axis=0)
        scales = x.std(axis=0)
        scales[scales == 0] = 1.0
        z = (x - means) / scales
        w, b = _descend(
            jnp.asarray(z, dtype=jnp.float32),
            jnp.asarray(np.maximum(y, 0), dtype=jnp.int32),
            jnp.asarray(known),
            self.l2,
            self.learning_rate,
            self.steps,
        )
        spec = ModelSpec(FAMILY, data.feature_names, data.horizons, 1, self.hyper_parameters())
        return LogisticDirectionModel(
            spec,
            np.asarray(w, dtype=np.float64),
            np.asarray(b, dtype=np.float64),
            means.astype(np.float64),
            scales.astype(np.float64),
        )
