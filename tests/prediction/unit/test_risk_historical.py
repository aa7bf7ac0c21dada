"""Historical VaR/ES: hand-made series, horizon rules, Euler allocation, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bounded_contexts.prediction.domain.risk import (
    DimensionMismatchError,
    InsufficientObservationsError,
    InvalidConfidenceError,
    InvalidHorizonError,
    InvalidParameterError,
    NonFiniteInputError,
    VaRMethod,
    historical_var,
)


def _shuffled_losses_one_to_hundred() -> np.ndarray:
    # Daily returns -0.001, -0.002, ..., -0.100 in a scrambled order: on a 1,000 position the
    # losses are exactly 1, 2, ..., 100 currency units.
    returns = -np.arange(1, 101) / 1000.0
    return np.random.default_rng(7).permutation(returns)[:, None]


def test_var_95_on_a_hundred_losses_is_the_sixth_worst_and_es_the_mean_of_the_five_worst() -> None:
    report = historical_var(
        _shuffled_losses_one_to_hundred(), [1000.0], instruments=["X"], confidence=0.95
    )
    assert report.portfolio.value_at_risk == pytest.approx(95.0)
    assert report.portfolio.expected_shortfall == pytest.approx((100 + 99 + 98 + 97 + 96) / 5)
    assert report.method is VaRMethod.HISTORICAL


def test_var_99_on_a_hundred_losses_is_the_second_worst_and_es_the_worst() -> None:
    report = historical_var(
        _shuffled_losses_one_to_hundred(), [1000.0], instruments=["X"], confidence=0.99
    )
    assert report.portfolio.value_at_risk == pytest.approx(99.0)
    assert report.portfolio.expected_shortfall == pytest.approx(100.0)


def test_a_fractional_tail_mass_weights_the_var_scenario_as_acerbi_tasche() -> None:
    # n = 10, alpha = 0.75: m = 2.5 -> VaR = 3rd worst; ES = (10 + 9 + 0.5 * 8) / 2.5.
    returns = -np.arange(1, 11)[::-1][:, None] / 1000.0
    report = historical_var(returns, [1000.0], instruments=["X"], confidence=0.75)
    assert report.portfolio.value_at_risk == pytest.approx(8.0)
    assert report.portfolio.expected_shortfall == pytest.approx((10 + 9 + 0.5 * 8) / 2.5)


def test_a_floating_point_tail_mass_snaps_to_the_intended_order_statistic() -> None:
    # 300 * (1 - 0.99) = 3.0000000000000027 in floating point; the VaR is the 4th worst.
    returns = -np.arange(1, 301)[:, None] / 1000.0
    report = historical_var(returns, [1000.0], instruments=["X"], confidence=0.99)
    assert report.portfolio.value_at_risk == pytest.approx(297.0)
    assert report.portfolio.expected_shortfall == pytest.approx(299.0)


def test_a_short_position_loses_on_the_up_days() -> None:
    returns = np.arange(1, 101)[:, None] / 1000.0
    report = historical_var(returns, [-1000.0], instruments=["X"], confidence=0.95)
    assert report.portfolio.value_at_risk == pytest.approx(95.0)


def test_sqrt_time_scaling_multiplies_the_one_day_figures_by_root_horizon() -> None:
    returns = np.random.default_rng(3).normal(0, 0.01, size=(250, 2))
    kwargs = {"instruments": ["A", "B"], "confidence": 0.99}
    one_day = historical_var(returns, [1e6, 5e5], **kwargs)
    ten_day = historical_var(returns, [1e6, 5e5], horizon=10, horizon_scaling="sqrt_time", **kwargs)
    assert ten_day.portfolio.value_at_risk == pytest.approx(
        math.sqrt(10) * one_day.portfolio.value_at_risk
    )
    assert ten_day.portfolio.expected_shortfall == pytest.approx(
        math.sqrt(10) * one_day.portfolio.expected_shortfall
    )


def test_overlapping_windows_compound_the_daily_returns() -> None:
    returns = np.array([[0.1], [-0.2], [0.05], [-0.1], [0.3]])
    # 2-day compounded: 1.1*0.8-1 = -0.12, 0.8*1.05-1 = -0.16, 1.05*0.9-1 = -0.055, 0.9*1.3-1 = 0.17
    report = historical_var(
        returns,
        [100.0],
        instruments=["X"],
        confidence=0.75,
        horizon=2,
        horizon_scaling="overlapping",
    )
    # 4 scenarios at 75 %: m = 1 -> VaR = 2nd worst loss = 12, ES = worst loss = 16.
    assert report.portfolio.value_at_risk == pytest.approx(12.0)
    assert report.portfolio.expected_shortfall == pytest.approx(16.0)
    assert report.horizon_days == 2


def test_component_var_and_es_add_up_exactly_and_match_tail_expectations() -> None:
    rng = np.random.default_rng(11)
    returns = rng.standard_t(4, size=(500, 3)) * 0.01
    values = np.array([1e6, -3e5, 5e5])
    report = historical_var(returns, values, instruments=["A", "B", "C"], confidence=0.99)
    component_var = [a.component_var for a in report.allocation.values()]
    component_es = [a.component_es for a in report.allocation.values()]
    assert math.fsum(component_var) == pytest.approx(report.portfolio.value_at_risk, rel=1e-12)
    assert math.fsum(component_es) == pytest.approx(report.portfolio.expected_shortfall, rel=1e-12)
    losses = -(returns * values)
    worst_five = np.argsort(-losses.sum(axis=1))[:5]
    np.testing.assert_allclose(component_es, losses[worst_five].mean(axis=0), rtol=1e-12)
    for name, value in zip(["A", "B", "C"], values, strict=True):
        allocation = report.allocation[name]
        assert allocation.component_var == pytest.approx(value * allocation.marginal_var)


def test_cluster_and_instrument_figures_are_standalone_tails() -> None:
    rng = np.random.default_rng(5)
    returns = rng.normal(0, 0.01, size=(200, 3))
    values = np.array([1e6, 2e6, -1e6])
    report = historical_var(
        returns,
        values,
        instruments=["A", "B", "C"],
        confidence=0.95,
        clusters={"A": "x", "B": "x", "C": "y"},
    )
    cluster_x_losses = np.sort(-(returns[:, :2] @ values[:2]))[::-1]
    assert report.by_cluster["x"].value_at_risk == pytest.approx(cluster_x_losses[10])
    c_losses = np.sort(-(returns[:, 2] * values[2]))[::-1]
    assert report.by_instrument["C"].value_at_risk == pytest.approx(c_losses[10])
    assert report.by_cluster["y"].value_at_risk == pytest.approx(c_losses[10])
    assert sum(report.component_var_by_cluster.values()) == pytest.approx(
        report.portfolio.value_at_risk
    )


def test_too_few_observations_for_the_confidence_are_refused_with_the_minimum() -> None:
    returns = np.zeros((99, 1))
    with pytest.raises(InsufficientObservationsError, match="at least 100"):
        historical_var(returns, [1.0], instruments=["X"], confidence=0.99)


def test_overlapping_windows_count_towards_the_minimum() -> None:
    returns = np.zeros((100, 1))
    with pytest.raises(InsufficientObservationsError, match="at least 101"):
        historical_var(
            returns,
            [1.0],
            instruments=["X"],
            confidence=0.99,
            horizon=2,
            horizon_scaling="overlapping",
        )


def test_a_horizon_longer_than_the_history_is_refused() -> None:
    with pytest.raises(InsufficientObservationsError):
        historical_var(
            np.zeros((5, 1)),
            [1.0],
            instruments=["X"],
            confidence=0.5,
            horizon=6,
            horizon_scaling="overlapping",
        )


def test_a_non_finite_return_names_its_row_column_and_instrument() -> None:
    returns = np.zeros((100, 2))
    returns[42, 1] = np.nan
    with pytest.raises(NonFiniteInputError, match=r"\[42, 1\].*'B'"):
        historical_var(returns, [1.0, 1.0], instruments=["A", "B"], confidence=0.95)


def test_returns_with_the_wrong_number_of_columns_are_named() -> None:
    with pytest.raises(DimensionMismatchError, match="3 column"):
        historical_var(np.zeros((100, 3)), [1.0, 1.0], instruments=["A", "B"], confidence=0.95)


def test_one_dimensional_returns_are_rejected() -> None:
    with pytest.raises(DimensionMismatchError, match="2-D"):
        historical_var(np.zeros(100), [1.0], instruments=["A"], confidence=0.95)


def test_an_unknown_horizon_scaling_is_rejected() -> None:
    with pytest.raises(InvalidParameterError, match="horizon_scaling"):
        historical_var(
            np.zeros((100, 1)), [1.0], instruments=["A"], confidence=0.95, horizon_scaling="cube"
        )


def test_a_return_below_minus_one_cannot_be_compounded() -> None:
    returns = np.zeros((100, 1))
    returns[3, 0] = -1.5
    with pytest.raises(InvalidParameterError, match=r"returns\[3, 0\]"):
        historical_var(
            returns,
            [1.0],
            instruments=["A"],
            confidence=0.9,
            horizon=2,
            horizon_scaling="overlapping",
        )


def test_bad_confidence_and_horizon_are_rejected() -> None:
    with pytest.raises(InvalidConfidenceError):
        historical_var(np.zeros((100, 1)), [1.0], instruments=["A"], confidence=1.0)
    with pytest.raises(InvalidHorizonError):
        historical_var(np.zeros((100, 1)), [1.0], instruments=["A"], confidence=0.9, horizon=0)
