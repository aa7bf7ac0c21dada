"""Parametric VaR/ES: closed forms, Student-t, Euler allocation, clusters, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from bounded_contexts.prediction.domain.risk import (
    DimensionMismatchError,
    InstrumentMappingError,
    InvalidConfidenceError,
    InvalidDegreesOfFreedomError,
    InvalidHorizonError,
    InvalidParameterError,
    NonFiniteInputError,
    NotPositiveSemiDefiniteError,
    VaRMethod,
    parametric_var,
    var_es_multipliers,
)

COVARIANCE = np.array(
    [
        [4.0e-4, 1.2e-4, -0.5e-4],
        [1.2e-4, 2.25e-4, 0.3e-4],
        [-0.5e-4, 0.3e-4, 1.0e-4],
    ]
)
VALUES = np.array([1_000_000.0, -400_000.0, 250_000.0])
IDS = ("AAA", "BBB", "CCC")
CLUSTERS = {"AAA": "tech", "BBB": "tech", "CCC": "energy"}


@pytest.mark.parametrize(("confidence", "horizon"), [(0.95, 1), (0.99, 1), (0.99, 10)])
def test_single_normal_asset_var_is_value_times_z_times_sigma_times_root_horizon(
    confidence: float, horizon: int
) -> None:
    sigma = 0.02
    report = parametric_var(
        [1e6], [[sigma**2]], instruments=["X"], confidence=confidence, horizon=horizon
    )
    expected = 1e6 * stats.norm.ppf(confidence) * sigma * math.sqrt(horizon)
    assert report.portfolio.value_at_risk == pytest.approx(expected, rel=1e-12)
    assert report.method is VaRMethod.PARAMETRIC_NORMAL


def test_normal_es_is_value_times_sigma_times_density_over_tail_probability() -> None:
    sigma, alpha = 0.015, 0.975
    report = parametric_var([2e6], [[sigma**2]], instruments=["X"], confidence=alpha)
    z = stats.norm.ppf(alpha)
    expected = 2e6 * sigma * stats.norm.pdf(z) / (1 - alpha)
    assert report.portfolio.expected_shortfall == pytest.approx(expected, rel=1e-12)


def test_the_published_normal_multipliers_are_reproduced() -> None:
    # z_0.99 = 2.326348, ES_0.99 = 2.665214; z_0.975 = 1.959964, ES_0.975 = 2.337803.
    assert var_es_multipliers(0.99) == pytest.approx((2.326348, 2.665214), abs=1e-6)
    assert var_es_multipliers(0.975) == pytest.approx((1.959964, 2.337803), abs=1e-6)


def test_the_mean_term_reduces_var_and_es_by_horizon_times_expected_pnl() -> None:
    kwargs = {"instruments": ["X"], "confidence": 0.99, "horizon": 5}
    without = parametric_var([1e6], [[1e-4]], **kwargs)
    with_mean = parametric_var([1e6], [[1e-4]], mean_returns=[0.001], **kwargs)
    assert without.portfolio.value_at_risk - with_mean.portfolio.value_at_risk == pytest.approx(
        5 * 0.001 * 1e6
    )
    assert without.portfolio.expected_shortfall - with_mean.portfolio.expected_shortfall == (
        pytest.approx(5 * 0.001 * 1e6)
    )


def test_a_short_position_has_the_same_var_as_the_long_without_mean() -> None:
    long = parametric_var([1e6], [[1e-4]], instruments=["X"], confidence=0.99)
    short = parametric_var([-1e6], [[1e-4]], instruments=["X"], confidence=0.99)
    assert short.portfolio.value_at_risk == pytest.approx(long.portfolio.value_at_risk)


def test_student_t_var_and_es_match_the_unit_variance_closed_form() -> None:
    nu, alpha, sigma = 5.0, 0.99, 0.02
    report = parametric_var(
        [1e6],
        [[sigma**2]],
        instruments=["X"],
        confidence=alpha,
        distribution="student_t",
        nu=nu,
    )
    scale = math.sqrt((nu - 2) / nu)
    q = stats.t.ppf(alpha, nu)
    expected_es = 1e6 * sigma * scale * stats.t.pdf(q, nu) / (1 - alpha) * (nu + q * q) / (nu - 1)
    assert report.portfolio.value_at_risk == pytest.approx(1e6 * sigma * scale * q, rel=1e-12)
    assert report.portfolio.expected_shortfall == pytest.approx(expected_es, rel=1e-12)
    assert report.method is VaRMethod.PARAMETRIC_STUDENT_T


def test_student_t_es_agrees_with_numerical_integration_of_the_quantile() -> None:
    nu, alpha = 4.0, 0.975
    scale = math.sqrt((nu - 2) / nu)
    grid = np.linspace(alpha, 1.0, 200_001)[:-1]
    midpoints = grid + (grid[1] - grid[0]) / 2
    numeric = scale * float(np.mean(stats.t.ppf(midpoints, nu)))
    assert var_es_multipliers(alpha, "student_t", nu)[1] == pytest.approx(numeric, rel=2e-3)


def test_student_t_with_many_degrees_of_freedom_approaches_the_normal() -> None:
    t_var, t_es = var_es_multipliers(0.99, "student_t", 1e7)
    n_var, n_es = var_es_multipliers(0.99)
    assert t_var == pytest.approx(n_var, rel=1e-5)
    assert t_es == pytest.approx(n_es, rel=1e-5)


def test_portfolio_var_uses_the_full_covariance() -> None:
    report = parametric_var(VALUES, COVARIANCE, instruments=IDS, confidence=0.99)
    sigma_p = math.sqrt(VALUES @ COVARIANCE @ VALUES)
    assert report.portfolio.value_at_risk == pytest.approx(stats.norm.ppf(0.99) * sigma_p)


def test_component_var_and_es_add_up_to_the_totals_to_machine_precision() -> None:
    report = parametric_var(
        VALUES,
        COVARIANCE,
        instruments=IDS,
        confidence=0.99,
        horizon=10,
        mean_returns=[0.0004, -0.0002, 0.0001],
    )
    components = [a.component_var for a in report.allocation.values()]
    component_es = [a.component_es for a in report.allocation.values()]
    assert math.fsum(components) == pytest.approx(report.portfolio.value_at_risk, rel=1e-13)
    assert math.fsum(component_es) == pytest.approx(report.portfolio.expected_shortfall, rel=1e-13)


def test_component_var_is_weight_times_covariance_weight_over_sigma_times_z() -> None:
    report = parametric_var(VALUES, COVARIANCE, instruments=IDS, confidence=0.95)
    z = stats.norm.ppf(0.95)
    sigma_p = math.sqrt(VALUES @ COVARIANCE @ VALUES)
    expected = VALUES * (COVARIANCE @ VALUES) / sigma_p * z
    got = np.array([report.allocation[i].component_var for i in IDS])
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    marginal = np.array([report.allocation[i].marginal_var for i in IDS])
    np.testing.assert_allclose(marginal, (COVARIANCE @ VALUES) / sigma_p * z, rtol=1e-12)


def test_marginal_var_is_the_derivative_of_portfolio_var() -> None:
    bump = 1.0
    base = parametric_var(VALUES, COVARIANCE, instruments=IDS, confidence=0.99)
    for index, name in enumerate(IDS):
        bumped_values = VALUES.copy()
        bumped_values[index] += bump
        bumped = parametric_var(bumped_values, COVARIANCE, instruments=IDS, confidence=0.99)
        finite_difference = (bumped.portfolio.value_at_risk - base.portfolio.value_at_risk) / bump
        assert base.allocation[name].marginal_var == pytest.approx(finite_difference, rel=1e-5)


def test_cluster_var_is_the_standalone_var_of_the_cluster_sub_portfolio() -> None:
    report = parametric_var(VALUES, COVARIANCE, instruments=IDS, confidence=0.99, clusters=CLUSTERS)
    tech = VALUES * np.array([1, 1, 0])
    expected = stats.norm.ppf(0.99) * math.sqrt(tech @ COVARIANCE @ tech)
    assert report.by_cluster["tech"].value_at_risk == pytest.approx(expected)
    assert set(report.by_cluster) == {"tech", "energy"}
    total = sum(report.component_var_by_cluster.values())
    assert total == pytest.approx(report.portfolio.value_at_risk, rel=1e-12)


def test_instrument_var_is_standalone_and_diversification_makes_the_sum_exceed_the_total() -> None:
    report = parametric_var(VALUES, COVARIANCE, instruments=IDS, confidence=0.99)
    z = stats.norm.ppf(0.99)
    for index, name in enumerate(IDS):
        expected = abs(VALUES[index]) * math.sqrt(COVARIANCE[index, index]) * z
        assert report.by_instrument[name].value_at_risk == pytest.approx(expected)
    standalone = sum(f.value_at_risk for f in report.by_instrument.values())
    assert standalone > report.portfolio.value_at_risk


def test_a_fully_hedged_portfolio_has_zero_var_and_zero_components() -> None:
    report = parametric_var(
        [1e6, -1e6], [[1e-4, 1e-4], [1e-4, 1e-4]], instruments=["A", "B"], confidence=0.99
    )
    assert report.portfolio.value_at_risk == pytest.approx(0.0, abs=1e-6)
    assert all(a.component_var == 0.0 for a in report.allocation.values())


def test_a_covariance_that_is_not_psd_is_refused_by_default_naming_its_eigenvalue() -> None:
    bad = np.array([[1.0, 0.9, 0.7], [0.9, 1.0, -0.9], [0.7, -0.9, 1.0]]) * 1e-4
    with pytest.raises(NotPositiveSemiDefiniteError, match=r"-6\.7\d*e-05") as info:
        parametric_var(VALUES, bad, instruments=IDS, confidence=0.99)
    assert info.value.min_eigenvalue == pytest.approx(-0.67003788e-4, rel=1e-6)


def test_a_covariance_that_is_not_psd_is_repaired_when_the_caller_asks() -> None:
    bad = np.array([[1.0, 0.9, 0.7], [0.9, 1.0, -0.9], [0.7, -0.9, 1.0]]) * 1e-4
    report = parametric_var(VALUES, bad, instruments=IDS, confidence=0.99, repair="nearest")
    assert report.portfolio.value_at_risk > 0.0


@pytest.mark.parametrize("confidence", [0.0, 1.0, -0.5, 1.5, float("nan"), True, "0.99"])
def test_confidence_outside_the_open_unit_interval_is_rejected(confidence: object) -> None:
    with pytest.raises(InvalidConfidenceError, match="confidence"):
        parametric_var([1.0], [[1e-4]], instruments=["X"], confidence=confidence)  # type: ignore[arg-type]


@pytest.mark.parametrize("horizon", [0, -1, 2.5, True])
def test_a_horizon_below_one_day_or_fractional_is_rejected(horizon: object) -> None:
    with pytest.raises(InvalidHorizonError):
        parametric_var([1.0], [[1e-4]], instruments=["X"], confidence=0.99, horizon=horizon)  # type: ignore[arg-type]


@pytest.mark.parametrize("nu", [2.0, 1.5, -3, float("inf"), None])
def test_student_t_needs_more_than_two_degrees_of_freedom(nu: object) -> None:
    with pytest.raises(InvalidDegreesOfFreedomError, match="nu"):
        parametric_var(
            [1.0],
            [[1e-4]],
            instruments=["X"],
            confidence=0.99,
            distribution="student_t",
            nu=nu,  # type: ignore[arg-type]
        )


def test_nu_given_with_the_normal_distribution_is_rejected_rather_than_ignored() -> None:
    with pytest.raises(InvalidParameterError, match="student_t"):
        parametric_var([1.0], [[1e-4]], instruments=["X"], confidence=0.99, nu=5.0)


def test_an_unknown_distribution_name_is_rejected() -> None:
    with pytest.raises(InvalidParameterError, match="distribution"):
        parametric_var([1.0], [[1e-4]], instruments=["X"], confidence=0.99, distribution="gauss")


def test_position_values_that_do_not_match_the_instruments_are_named() -> None:
    with pytest.raises(DimensionMismatchError, match="has length 2 but there are 3"):
        parametric_var([1.0, 2.0], COVARIANCE, instruments=IDS, confidence=0.99)


def test_a_covariance_of_the_wrong_size_is_named() -> None:
    with pytest.raises(DimensionMismatchError, match="covariance is 2x2 but there are 3"):
        parametric_var(VALUES, COVARIANCE[:2, :2], instruments=IDS, confidence=0.99)


def test_a_non_finite_position_value_names_the_instrument() -> None:
    with pytest.raises(NonFiniteInputError, match=r"position \[1\].*'BBB'"):
        parametric_var([1.0, float("nan"), 2.0], COVARIANCE, instruments=IDS, confidence=0.99)


def test_non_finite_mean_returns_name_the_instrument() -> None:
    with pytest.raises(NonFiniteInputError, match=r"mean returns.*'CCC'"):
        parametric_var(
            VALUES, COVARIANCE, instruments=IDS, confidence=0.99, mean_returns=[0, 0, np.inf]
        )


def test_an_instrument_missing_from_the_cluster_mapping_is_named() -> None:
    with pytest.raises(InstrumentMappingError, match="'CCC'"):
        parametric_var(
            VALUES, COVARIANCE, instruments=IDS, confidence=0.99, clusters={"AAA": "a", "BBB": "b"}
        )


def test_duplicate_instrument_ids_are_rejected() -> None:
    with pytest.raises(InstrumentMappingError, match="'AAA' appears more than once"):
        parametric_var(VALUES, COVARIANCE, instruments=["AAA", "AAA", "C"], confidence=0.99)


def test_an_unknown_repair_mode_is_rejected() -> None:
    with pytest.raises(InvalidParameterError, match="repair"):
        parametric_var(VALUES, COVARIANCE, instruments=IDS, confidence=0.99, repair="clip")  # type: ignore[arg-type]


def test_var_es_multipliers_reject_bad_confidence_and_degrees_of_freedom() -> None:
    with pytest.raises(InvalidConfidenceError):
        var_es_multipliers(1.0)
    with pytest.raises(InvalidDegreesOfFreedomError):
        var_es_multipliers(0.99, "student_t", 2.0)
