"""Temperature scaling: one number per horizon that makes stated probabilities honest.

Networks trained on cross-entropy are often over-confident out of sample; dividing the logits
by a temperature ``T > 1`` softens them without changing any call (the arg-max is the same),
so calibration can never cost accuracy. ``T`` minimises the log loss of held-out logits; the
search is a golden-section on ``log T``: deterministic, no solver state.
"""

from __future__ import annotations

import math

import numpy as np

from .direction import ModelInputError

LOWEST, HIGHEST = 0.05, 20.0


def _nll(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(labels)), labels].mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray, *, iterations: int = 60) -> float:
    """The temperature minimising the log loss of ``(n, 3)`` held-out logits."""
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(labels)
    if z.ndim != 2 or z.shape[1] != 3 or y.shape != (len(z),):
        raise ModelInputError(f"need (n, 3) logits and n labels, got {z.shape}, {y.shape}")
    if len(y) < 10:
        raise ModelInputError(f"need at least 10 held-out samples to calibrate, got {len(y)}")
    if not np.isfinite(z).all():
        raise ModelInputError("held-out logits must be finite")
    y = y.astype(np.int64)
    lo, hi = math.log(LOWEST), math.log(HIGHEST)
    ratio = (math.sqrt(5) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = _nll(z, y, math.exp(a)), _nll(z, y, math.exp(b))
    for _ in range(iterations):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = _nll(z, y, math.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = _nll(z, y, math.exp(b))
    return round(math.exp((lo + hi) / 2), 9)


def fit_temperatures(logits: np.ndarray, labels: np.ndarray) -> tuple[float, ...]:
    """One temperature per horizon from ``(n, h, 3)`` logits and ``(n, h)`` labels
    (unknown labels left out)."""
    temperatures = []
    for column in range(labels.shape[1]):
        known = labels[:, column] >= 0
        temperatures.append(fit_temperature(logits[known, column], labels[known, column]))
    return tuple(temperatures)
