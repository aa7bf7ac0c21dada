"""The vectorised window kernels equal a direct per-window computation for any period."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from bounded_contexts.intelligence.domain.indicators._windows import (
    first_order_recursion,
    recursion_with_holds,
    rolling_max,
    rolling_min,
    rolling_sum,
    weighted_window_sum,
)

VALUES = np.random.default_rng(0).normal(100.0, 5.0, 600)


@pytest.mark.parametrize("period", [1, 2, 3, 7, 16, 17, 99, 100, 101, 250, 599, 600])
def test_window_sums_maxima_and_minima_equal_a_direct_computation(period: int) -> None:
    windows = sliding_window_view(VALUES, period)
    np.testing.assert_allclose(rolling_sum(VALUES, period), windows.sum(axis=1), rtol=1e-14)
    np.testing.assert_array_equal(rolling_max(VALUES, period), windows.max(axis=1))
    np.testing.assert_array_equal(rolling_min(VALUES, period), windows.min(axis=1))
    weights = np.arange(1.0, period + 1.0)
    np.testing.assert_allclose(weighted_window_sum(VALUES, weights), windows @ weights, rtol=1e-13)


def test_windows_longer_than_the_series_give_no_values() -> None:
    assert rolling_sum(VALUES[:5], 6).shape == (0,)
    assert rolling_max(VALUES[:5], 6).shape == (0,)
    assert weighted_window_sum(VALUES[:5], np.ones(6)).shape == (0,)


def test_first_order_recursion_follows_its_definition() -> None:
    inputs = np.array([1.0, 2.0, 3.0])
    expected, previous = [], 10.0
    for x in inputs:
        previous = 0.25 * x + 0.75 * previous
        expected.append(previous)
    np.testing.assert_allclose(first_order_recursion(inputs, 0.25, 0.75, 10.0), expected)


def test_recursion_with_holds_carries_the_previous_value_over_undefined_inputs() -> None:
    inputs = np.array([4.0, 99.0, 8.0, 99.0, 99.0])
    defined = np.array([True, False, True, False, False])
    # 0.5 * 4 + 0.5 * 0 = 2, hold, 0.5 * 8 + 0.5 * 2 = 5, hold, hold
    np.testing.assert_allclose(
        recursion_with_holds(inputs, defined, 0.5, 0.5, 0.0), [2.0, 2.0, 5.0, 5.0, 5.0]
    )
    np.testing.assert_allclose(
        recursion_with_holds(inputs, ~defined, 0.5, 0.5, 2.0), [2.0, 50.5, 50.5, 74.75, 86.875]
    )
