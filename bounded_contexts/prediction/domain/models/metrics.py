"""Out-of-sample scores of a direction model, per horizon.

Log loss and the (multi-class) Brier score judge the probabilities; accuracy and balanced
accuracy (the mean recall over the classes present, which a model always answering the
majority class cannot game) judge the calls; the expected calibration error and its
reliability table say whether a stated 70 % comes true 70 % of the time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .direction import ModelInputError

_EPS = 1e-12


@dataclass(frozen=True)
class ReliabilityBin:
    lower: float
    upper: float
    count: int
    mean_confidence: float
    accuracy: float


@dataclass(frozen=True)
class HorizonScore:
    horizon: int
    samples: int
    log_loss: float
    brier: float
    accuracy: float
    balanced_accuracy: float
    calibration_error: float
    reliability: tuple[ReliabilityBin, ...]

    def figures(self) -> dict[str, float]:
        """The scalar metrics, as the registry records them."""
        return {
            "samples": float(self.samples),
            "log_loss": self.log_loss,
            "brier": self.brier,
            "accuracy": self.accuracy,
            "balanced_accuracy": self.balanced_accuracy,
            "calibration_error": self.calibration_error,
        }


def _checked(probabilities: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(labels)
    if p.ndim != 2 or p.shape[1] != 3 or y.shape != (len(p),):
        raise ModelInputError(f"need (n, 3) probabilities and n labels, got {p.shape}, {y.shape}")
    if len(p) == 0:
        raise ModelInputError("no samples to score")
    if not np.isfinite(p).all() or (p < 0).any():
        raise ModelInputError("probabilities must be finite and non-negative")
    if not np.isin(y, (0, 1, 2)).all():
        raise ModelInputError("labels must be 0, 1 or 2 (unknown rows removed)")
    return p, y.astype(np.int64)


def log_loss(probabilities: np.ndarray, labels: np.ndarray) -> float:
    p, y = _checked(probabilities, labels)
    return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], _EPS, 1.0))))


def brier(probabilities: np.ndarray, labels: np.ndarray) -> float:
    p, y = _checked(probabilities, labels)
    onehot = np.eye(3)[y]
    return float(np.mean(np.sum((p - onehot) ** 2, axis=1)))


def balanced_accuracy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    p, y = _checked(probabilities, labels)
    calls = p.argmax(axis=1)
    recalls = [float(np.mean(calls[y == c] == c)) for c in range(3) if (y == c).any()]
    return float(np.mean(recalls))


def reliability(
    probabilities: np.ndarray, labels: np.ndarray, bins: int = 10
) -> tuple[ReliabilityBin, ...]:
    """Top-label reliability: calls binned by their confidence."""
    p, y = _checked(probabilities, labels)
    confidence = p.max(axis=1)
    correct = p.argmax(axis=1) == y
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, confidence, side="right") - 1, 0, bins - 1)
    table = []
    for b in range(bins):
        in_bin = which == b
        count = int(in_bin.sum())
        table.append(
            ReliabilityBin(
                float(edges[b]),
                float(edges[b + 1]),
                count,
                float(confidence[in_bin].mean()) if count else 0.0,
                float(correct[in_bin].mean()) if count else 0.0,
            )
        )
    return tuple(table)


def calibration_error(table: tuple[ReliabilityBin, ...]) -> float:
    """Expected calibration error: the count-weighted gap between confidence and accuracy."""
    total = sum(b.count for b in table)
    if total == 0:
        return 0.0
    return float(sum(b.count * abs(b.mean_confidence - b.accuracy) for b in table) / total)


def score_horizon(horizon: int, probabilities: np.ndarray, labels: np.ndarray) -> HorizonScore:
    p, y = _checked(probabilities, labels)
    table = reliability(p, y)
    return HorizonScore(
        horizon=horizon,
        samples=len(y),
        log_loss=round(log_loss(p, y), 12),
        brier=round(brier(p, y), 12),
        accuracy=round(float(np.mean(p.argmax(axis=1) == y)), 12),
        balanced_accuracy=round(balanced_accuracy(p, y), 12),
        calibration_error=round(calibration_error(table), 12),
        reliability=table,
    )


def score(
    horizons: tuple[int, ...], probabilities: np.ndarray, labels: np.ndarray
) -> tuple[HorizonScore, ...]:
    """Scores per horizon from ``(n, h, 3)`` probabilities and ``(n, h)`` labels; rows whose
    label is unknown for a horizon are left out of that horizon's score."""
    p = np.asarray(probabilities)
    y = np.asarray(labels)
    if p.shape[:2] != y.shape or p.shape[1] != len(horizons):
        raise ModelInputError(f"probabilities {p.shape} and labels {y.shape} do not match")
    scores = []
    for column, horizon in enumerate(horizons):
        known = y[:, column] >= 0
        scores.append(score_horizon(horizon, p[known, column], y[known, column]))
    return tuple(scores)
