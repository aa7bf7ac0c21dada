"""Walk-forward folds, calibration and training reports of the direction models."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bounded_contexts.prediction.domain.models.calibration import fit_temperature
from bounded_contexts.prediction.domain.models.direction import ModelInputError
from bounded_contexts.prediction.domain.models.labels import direction_labels
from bounded_contexts.prediction.domain.models.logistic import LogisticFamily
from bounded_contexts.prediction.domain.models.metrics import score_horizon
from bounded_contexts.prediction.domain.models.splits import walk_forward_folds
from bounded_contexts.prediction.domain.models.training import (
    TrainingConfig,
    evaluate,
    train_walk_forward,
)
from tests.prediction.models_kit import synthetic_data


@settings(max_examples=200, deadline=None)
@given(
    bars=st.integers(60, 3000),
    folds=st.integers(1, 6),
    horizon=st.integers(1, 30),
    embargo=st.integers(0, 20),
    min_train=st.integers(10, 200),
)
def test_walk_forward_folds_never_train_inside_the_purge_and_embargo_of_their_test_block(
    bars: int, folds: int, horizon: int, embargo: int, min_train: int
) -> None:
    grid = np.arange(bars, dtype=np.int64) * 60
    try:
        cut = walk_forward_folds(
            grid, folds=folds, horizon=horizon, embargo=embargo, min_train_bars=min_train
        )
    except ModelInputError:
        assert bars - min_train - horizon - embargo < folds
        return
    previous_end = None
    for fold in cut:
        train = grid[grid < fold.train_end]
        test = grid[(grid >= fold.test_start) & (grid < fold.test_end)]
        assert len(train) >= min_train and len(test) >= 1
        # the last training bar's label (horizon bars ahead) ends before the embargo ends
        assert np.searchsorted(grid, fold.test_start) - np.searchsorted(grid, train[-1]) > (
            horizon + embargo
        )
        if previous_end is not None:
            # consecutive blocks: no bar falls between one block and the next, none in both
            assert not ((grid >= previous_end) & (grid < fold.test_start)).any()
            assert fold.test_start >= previous_end
        previous_end = fold.test_end
    assert previous_end == grid[-1] + 1


def test_labels_are_down_neutral_up_with_a_band_that_widens_with_the_horizon() -> None:
    closes = np.array([100.0, 100.01, 101.0, 100.0, 100.0])
    labels = direction_labels(closes, (1, 4), band_one_bar=0.001)
    assert labels[:, 0].tolist() == [1, 2, 0, 1, -1]
    assert labels[:, 1].tolist() == [1, -1, -1, -1, -1]
    with pytest.raises(ModelInputError, match="positive and finite"):
        direction_labels(np.array([100.0, -1.0]), (1,), 0.0)
    with pytest.raises(ModelInputError, match="horizons"):
        direction_labels(closes, (0,), 0.0)


def test_temperature_scaling_softens_an_over_confident_model() -> None:
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 3, 4000)
    honest = np.log(np.full((4000, 3), 0.2))
    honest[np.arange(4000), labels] = np.log(0.6)
    flip = rng.random(4000) < 0.4  # 40 % of calls wrong
    honest[flip] = np.roll(honest[flip], 1, axis=1)
    loud = honest * 4.0  # the same calls, stated four times too sharply
    temperature = fit_temperature(loud, labels)
    assert 3.0 < temperature < 5.0
    before = score_horizon(1, _soft(loud), labels)
    after = score_horizon(1, _soft(loud / temperature), labels)
    assert after.log_loss < before.log_loss and after.calibration_error < before.calibration_error
    assert after.accuracy == before.accuracy
    with pytest.raises(ModelInputError, match="at least 10"):
        fit_temperature(loud[:3], labels[:3])


def _soft(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_a_training_report_is_out_of_sample_deterministic_and_calibrated() -> None:
    data = synthetic_data(900, signal=1.0)
    config = TrainingConfig(folds=2, embargo_bars=5, min_train_bars=200)
    first = train_walk_forward(LogisticFamily(steps=100), data, config)
    second = train_walk_forward(LogisticFamily(steps=100), data, config)
    assert first.scores == second.scores
    assert first.model.spec.temperatures == second.model.spec.temperatures
    for a, b in zip(first.model.weights().values(), second.model.weights().values(), strict=True):
        assert np.array_equal(a, b)
    assert [p.fold.number for p in first.held_out] == [1, 2]
    assert first.scores[0].samples == sum(int((p.labels[:, 0] >= 0).sum()) for p in first.held_out)
    assert first.scores[0].accuracy > 0.5
    last = first.last_fold.fold
    assert evaluate(first.model, data, last.test_start, last.test_end)[0].samples > 0


def test_a_window_too_short_for_its_folds_is_refused_with_the_figures() -> None:
    with pytest.raises(ModelInputError, match="cannot hold 3 folds"):
        train_walk_forward(LogisticFamily(), synthetic_data(110, signal=1.0), TrainingConfig())
