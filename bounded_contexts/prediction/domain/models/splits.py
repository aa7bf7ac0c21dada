"""Walk-forward folds with purging and an embargo, on the data's own time grid.

Fold ``j`` trains on everything before its test block and tests on the block. A training row
whose label looks ``horizon`` bars ahead would read the test block's prices, so the last
``horizon`` bars before the block are purged from training; ``embargo`` more bars are dropped
on top, for features that carry memory (moving averages) across the boundary. Training never
sees data after its test block: the folds walk forward as live trading does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .direction import ModelInputError, Series, TrainingData


@dataclass(frozen=True)
class Fold:
    """Bounds in UTC ns: training ``ts < train_end``, testing ``test_start <= ts < test_end``."""

    number: int
    train_end: int
    test_start: int
    test_end: int


def time_grid(series: Iterable[Series]) -> np.ndarray:
    """Every distinct bar timestamp of the data, sorted."""
    stamps = [s.ts for s in series]
    if not stamps or not sum(len(s) for s in stamps):
        raise ModelInputError("no rows to split")
    return np.unique(np.concatenate(stamps))


def walk_forward_folds(
    grid: np.ndarray, *, folds: int, horizon: int, embargo: int, min_train_bars: int
) -> tuple[Fold, ...]:
    """``folds`` consecutive test blocks over the end of ``grid`` (equal in bars), each
    trained on the bars before it less ``horizon + embargo`` bars."""
    if folds < 1:
        raise ModelInputError(f"need at least one fold, got {folds}")
    if horizon < 1 or embargo < 0:
        raise ModelInputError("horizon must be >= 1 and embargo >= 0")
    n = len(grid)
    gap = horizon + embargo
    block = (n - min_train_bars - gap) // folds
    if block < 1:
        raise ModelInputError(
            f"{n} bars cannot hold {folds} folds after {min_train_bars} training bars "
            f"and a gap of {gap}"
        )
    first_test = n - folds * block
    result = []
    for j in range(folds):
        start = first_test + j * block
        end = start + block if j < folds - 1 else n
        result.append(
            Fold(
                number=j + 1,
                train_end=int(grid[start - gap]),
                test_start=int(grid[start]),
                test_end=int(grid[end - 1]) + 1,
            )
        )
    return tuple(result)


def training_part(data: TrainingData, fold: Fold) -> TrainingData:
    return TrainingData(
        data.feature_names,
        data.horizons,
        tuple(part for part in (s.between(None, fold.train_end) for s in data.series) if len(part)),
    )


def test_rows(series: Series, fold: Fold) -> np.ndarray:
    """Boolean mask of ``series``' rows in the fold's test block."""
    return (series.ts >= fold.test_start) & (series.ts < fold.test_end)
