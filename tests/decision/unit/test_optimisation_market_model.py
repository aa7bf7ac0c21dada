"""MarketModel construction, constraint/cost value objects and their validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bounded_contexts.decision.domain.optimisation import (
    DimensionMismatchError,
    GroupLimit,
    InvalidInputError,
    MarketModel,
    NonPsdCovarianceError,
    PortfolioConstraints,
    TransactionCosts,
    UnknownAssetError,
)
from bounded_contexts.decision.domain.optimisation.constraints import resolve_constraints
from bounded_contexts.decision.domain.optimisation.costs import resolve_costs

COVARIANCE = np.array([[0.04, 0.006, 0.0], [0.006, 0.09, 0.012], [0.0, 0.012, 0.0625]])
IDS = ("a", "b", "c")


def test_from_covariance_factor_reproduces_the_covariance() -> None:
    model = MarketModel.from_covariance(IDS, [0.05, 0.07, 0.06], COVARIANCE)
    factor = model.covariance_factor
    np.testing.assert_allclose(factor @ factor.T, COVARIANCE, atol=1e-15)


def test_a_singular_covariance_is_factored_by_its_eigen_decomposition() -> None:
    loading = np.array([[0.1], [0.2], [0.3]])
    singular = loading @ loading.T
    model = MarketModel.from_covariance(IDS, [0.0, 0.0, 0.0], singular)
    np.testing.assert_allclose(model.covariance_factor @ model.covariance_factor.T, singular)
    assert model.covariance_factor.shape[1] == 1


def test_from_factor_model_builds_loadings_times_factor_covariance_plus_specific() -> None:
    loadings = np.array([[1.0, 0.2], [0.8, -0.1], [1.2, 0.5]])
    factor_cov = np.array([[0.03, 0.005], [0.005, 0.01]])
    specific = np.array([0.01, 0.02, 0.015])
    model = MarketModel.from_factor_model(IDS, [0.1, 0.1, 0.1], loadings, factor_cov, specific)
    np.testing.assert_allclose(
        model.covariance, loadings @ factor_cov @ loadings.T + np.diag(specific)
    )
    np.testing.assert_allclose(model.specific_risk, np.sqrt(specific))


def test_from_scenarios_uses_the_sample_mean_and_unbiased_covariance() -> None:
    rng = np.random.default_rng(3)
    scenarios = rng.normal(size=(40, 3))
    model = MarketModel.from_scenarios(IDS, scenarios)
    np.testing.assert_allclose(model.expected_returns, scenarios.mean(axis=0))
    np.testing.assert_allclose(model.covariance, np.cov(scenarios, rowvar=False))


def test_model_arrays_are_read_only() -> None:
    model = MarketModel.from_covariance(IDS, [0.05, 0.07, 0.06], COVARIANCE)
    with pytest.raises(ValueError, match="read-only"):
        model.expected_returns[0] = 1.0


def test_a_non_psd_covariance_is_rejected_with_its_smallest_eigenvalue() -> None:
    bad = np.array([[0.04, 0.05], [0.05, 0.04]])
    with pytest.raises(NonPsdCovarianceError, match="smallest eigenvalue"):
        MarketModel.from_covariance(("a", "b"), [0.1, 0.1], bad)


def test_an_asymmetric_covariance_is_rejected_naming_the_entry() -> None:
    bad = np.array([[0.04, 0.01], [0.02, 0.04]])
    with pytest.raises(NonPsdCovarianceError, match=r"not symmetric: entry \("):
        MarketModel.from_covariance(("a", "b"), [0.1, 0.1], bad)


def test_mismatched_expected_returns_are_named() -> None:
    with pytest.raises(DimensionMismatchError, match="expected_returns"):
        MarketModel.from_covariance(IDS, [0.1, 0.1], COVARIANCE)


def test_a_covariance_of_the_wrong_size_is_named() -> None:
    with pytest.raises(DimensionMismatchError, match="covariance"):
        MarketModel.from_covariance(("a", "b"), [0.1, 0.1], COVARIANCE)


def test_a_nan_expected_return_is_reported_with_its_index() -> None:
    with pytest.raises(InvalidInputError, match="index 1"):
        MarketModel.from_covariance(IDS, [0.1, math.nan, 0.1], COVARIANCE)


def test_duplicate_asset_ids_are_rejected() -> None:
    with pytest.raises(InvalidInputError, match="duplicate"):
        MarketModel.from_covariance(("a", "a", "c"), [0.1, 0.1, 0.1], COVARIANCE)


def test_negative_specific_variances_are_rejected() -> None:
    with pytest.raises(NonPsdCovarianceError, match="specific_variances"):
        MarketModel.from_factor_model(
            IDS, [0.1] * 3, np.ones((3, 1)), [[0.01]], [0.01, -0.01, 0.01]
        )


def test_a_single_scenario_is_not_enough() -> None:
    with pytest.raises(InvalidInputError, match="at least 2 scenarios"):
        MarketModel.from_scenarios(IDS, [[0.1, 0.2, 0.3]])


def test_a_factor_inconsistent_with_the_covariance_is_rejected() -> None:
    with pytest.raises(NonPsdCovarianceError, match="do not reproduce"):
        MarketModel(
            asset_ids=IDS,
            expected_returns=np.zeros(3),
            covariance=COVARIANCE,
            covariance_factor=np.eye(3),
            specific_risk=np.zeros(3),
        )


def test_with_expected_returns_keeps_the_risk_model() -> None:
    model = MarketModel.from_covariance(IDS, [0.05, 0.07, 0.06], COVARIANCE)
    other = model.with_expected_returns([0.0, 0.0, 0.1])
    np.testing.assert_array_equal(other.covariance, model.covariance)
    np.testing.assert_array_equal(other.expected_returns, [0.0, 0.0, 0.1])
    with pytest.raises(DimensionMismatchError):
        model.with_expected_returns([0.1])


def test_volatility_is_the_square_root_of_the_quadratic_form() -> None:
    model = MarketModel.from_covariance(IDS, [0.05, 0.07, 0.06], COVARIANCE)
    w = np.array([0.2, 0.3, 0.5])
    assert model.volatility(w) == pytest.approx(math.sqrt(w @ COVARIANCE @ w))
    with pytest.raises(DimensionMismatchError, match="weights"):
        model.volatility([0.5, 0.5])


def test_long_only_constraints_reject_a_negative_lower_bound() -> None:
    with pytest.raises(InvalidInputError, match="long_only"):
        PortfolioConstraints(lower_bound=-0.1)
    with pytest.raises(InvalidInputError, match="long_only"):
        PortfolioConstraints(asset_bounds={"a": (-0.1, 0.5)})


def test_turnover_limit_needs_current_weights() -> None:
    with pytest.raises(InvalidInputError, match="current_weights"):
        PortfolioConstraints(turnover_limit=0.2)


def test_tracking_error_limit_needs_a_benchmark() -> None:
    with pytest.raises(InvalidInputError, match="benchmark_weights"):
        PortfolioConstraints(tracking_error_limit=0.02)


def test_non_finite_and_non_positive_limits_are_rejected() -> None:
    with pytest.raises(InvalidInputError, match="budget"):
        PortfolioConstraints(budget=math.inf)
    with pytest.raises(InvalidInputError, match="gross_leverage"):
        PortfolioConstraints(long_only=False, gross_leverage=0.0)
    with pytest.raises(InvalidInputError, match="turnover_limit"):
        PortfolioConstraints(current_weights={"a": 1.0}, turnover_limit=-0.1)
    with pytest.raises(InvalidInputError, match="lower, upper"):
        PortfolioConstraints(asset_bounds={"a": (0.1,)})  # type: ignore[dict-item]


def test_group_limits_validate_their_fields() -> None:
    with pytest.raises(InvalidInputError, match="no assets"):
        GroupLimit("tech", (), maximum=0.3)
    with pytest.raises(InvalidInputError, match="minimum, a maximum"):
        GroupLimit("tech", ("a",))
    with pytest.raises(InvalidInputError, match="more than once"):
        GroupLimit("tech", ("a", "a"), maximum=0.3)
    with pytest.raises(InvalidInputError, match="unique"):
        PortfolioConstraints(
            groups=(GroupLimit("g", ("a",), maximum=0.3), GroupLimit("g", ("b",), maximum=0.3))
        )


def test_resolving_constraints_rejects_unknown_assets_by_name() -> None:
    with pytest.raises(UnknownAssetError, match="'zz'"):
        resolve_constraints(PortfolioConstraints(asset_bounds={"zz": (0.0, 0.1)}), IDS)
    with pytest.raises(UnknownAssetError, match="group 'g'"):
        resolve_constraints(
            PortfolioConstraints(groups=(GroupLimit("g", ("zz",), maximum=0.1),)), IDS
        )
    with pytest.raises(UnknownAssetError, match="current_weights"):
        resolve_constraints(
            PortfolioConstraints(current_weights={"zz": 1.0}, turnover_limit=0.1), IDS
        )


def test_resolved_constraints_apply_per_asset_overrides() -> None:
    resolved = resolve_constraints(
        PortfolioConstraints(upper_bound=0.5, asset_bounds={"b": (0.1, None)}), IDS
    )
    np.testing.assert_array_equal(resolved.lower, [0.0, 0.1, 0.0])
    np.testing.assert_array_equal(resolved.upper, [0.5, math.inf, 0.5])


def test_transaction_costs_reject_negative_coefficients() -> None:
    with pytest.raises(InvalidInputError, match="linear"):
        TransactionCosts(linear=-0.001)
    with pytest.raises(InvalidInputError, match=r"quadratic.*\['b'\]"):
        TransactionCosts(quadratic={"a": 0.1, "b": -0.1})
    with pytest.raises(UnknownAssetError, match="linear costs"):
        resolve_costs(TransactionCosts(linear={"zz": 0.001}), IDS)


def test_transaction_cost_is_linear_plus_quadratic_in_the_trade() -> None:
    costs = resolve_costs(TransactionCosts(linear=0.001, quadratic={"a": 0.5}), IDS)
    cost = costs.evaluate([0.5, 0.3, 0.2], [0.3, 0.3, 0.4])
    assert cost == pytest.approx(0.001 * 0.4 + 0.5 * 0.2**2)
