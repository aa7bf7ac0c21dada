"""Walk-forward training: out-of-sample scores first, then the model that will serve.

For each fold the family is fitted on the bars before the test block (purged and embargoed,
:mod:`.splits`) and asked about the block, each series read with its history as live. Fold
``j``'s logits are calibrated with temperatures fitted on folds ``< j`` only, so the reported
calibration is itself out of sample. The served model is then fitted on the whole window and
calibrated on every fold's held-out logits. Same data, family and seed: same report, bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .calibration import fit_temperatures
from .direction import DirectionModel, ModelFamily, ModelInputError, TrainingData
from .metrics import HorizonScore, score
from .splits import Fold, test_rows, time_grid, training_part, walk_forward_folds


@dataclass(frozen=True)
class TrainingConfig:
    """How a window is cut and scored (documented defaults)."""

    folds: int = 3
    embargo_bars: int = 10
    min_train_bars: int = 100
    seed: int = 0

    def __post_init__(self) -> None:
        if self.folds < 1 or self.embargo_bars < 0 or self.min_train_bars < 10:
            raise ModelInputError("folds >= 1, embargo_bars >= 0, min_train_bars >= 10")


@dataclass(frozen=True)
class HeldOut:
    """Logits and labels of the rows a fold's model never trained on."""

    fold: Fold
    logits: np.ndarray  # (n, h, 3)
    labels: np.ndarray  # (n, h)


@dataclass(frozen=True)
class TrainingReport:
    model: DirectionModel
    scores: tuple[HorizonScore, ...]  # out of sample, calibrated on earlier folds only
    uncalibrated: tuple[HorizonScore, ...]
    held_out: tuple[HeldOut, ...]
    window_start: int
    window_end: int
    instruments: tuple[str, ...]
    samples: int

    @property
    def last_fold(self) -> HeldOut:
        return self.held_out[-1]


def softmax(logits: np.ndarray, temperatures: Sequence[float] | None = None) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64)
    if temperatures is not None:
        z = z / np.asarray(temperatures)[None, :, None]
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def held_out_part(model: DirectionModel, data: TrainingData, fold: Fold) -> HeldOut:
    logits, labels = [], []
    for series in data.series:
        mask = test_rows(series, fold)
        if mask.any():
            upto = int(np.flatnonzero(mask)[-1]) + 1  # the block and its history, no later row
            logits.append(model.logits(model.check_features(series.features[:upto]))[mask[:upto]])
            labels.append(series.labels[mask])
    if not logits:
        raise ModelInputError(f"fold {fold.number} has no test rows")
    return HeldOut(fold, np.concatenate(logits), np.concatenate(labels))


def held_out_temperatures(parts: Sequence[HeldOut], horizons: int) -> tuple[float, ...]:
    """Temperatures fitted on these folds' held-out logits (1.0 while they are too few)."""
    if not parts:
        return tuple(1.0 for _ in range(horizons))
    try:
        return fit_temperatures(
            np.concatenate([p.logits for p in parts]), np.concatenate([p.labels for p in parts])
        )
    except ModelInputError:  # too few held-out samples yet: leave the logits as they are
        return tuple(1.0 for _ in range(horizons))


def train_walk_forward(
    family: ModelFamily, data: TrainingData, config: TrainingConfig | None = None
) -> TrainingReport:
    config = config or TrainingConfig()
    grid = time_grid(data.series)
    # The last max(horizon) bars have no known outcome at the longest horizon: test blocks end
    # before them, so every fold scores every horizon (the served model still learns from them).
    scored = grid[: max(1, len(grid) - max(data.horizons))]
    folds = walk_forward_folds(
        scored,
        folds=config.folds,
        horizon=max(data.horizons),
        embargo=config.embargo_bars,
        min_train_bars=config.min_train_bars,
    )
    parts = [
        held_out_part(family.fit(training_part(data, fold), seed=config.seed), data, fold)
        for fold in folds
    ]
    h = len(data.horizons)
    calibrated = [
        softmax(part.logits, held_out_temperatures(parts[:j], h)) for j, part in enumerate(parts)
    ]
    labels = np.concatenate([p.labels for p in parts])
    served = family.fit(data, seed=config.seed)
    served = served.calibrated(held_out_temperatures(parts, h))
    return TrainingReport(
        model=served,
        scores=score(data.horizons, np.concatenate(calibrated), labels),
        uncalibrated=score(
            data.horizons, softmax(np.concatenate([p.logits for p in parts])), labels
        ),
        held_out=tuple(parts),
        window_start=int(grid[0]),
        window_end=int(grid[-1]),
        instruments=tuple(s.instrument_id for s in data.series),
        samples=data.rows,
    )


def evaluate(
    model: DirectionModel, data: TrainingData, start_ts: int, end_ts: int
) -> tuple[HorizonScore, ...]:
    """``model``'s scores on the rows in ``[start_ts, end_ts)``, each series read with its
    history (what a promotion compares champion and challenger on)."""
    if model.spec.horizons != data.horizons:
        raise ModelInputError(
            f"the model predicts horizons {model.spec.horizons}, the data has {data.horizons}"
        )
    fold = Fold(0, start_ts, start_ts, end_ts)
    part = held_out_part(model, data, fold)
    return score(data.horizons, softmax(part.logits, model.spec.temperatures), part.labels)


def mean_log_loss(scores: Sequence[HorizonScore]) -> float:
    return float(np.mean([s.log_loss for s in scores]))
