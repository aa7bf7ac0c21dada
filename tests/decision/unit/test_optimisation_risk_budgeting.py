"""Risk budgeting / risk parity by Spinu's Newton method."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bounded_contexts.decision.domain.optimisation import (
    DimensionMismatchError,
    InvalidInputError,
    NonPsdCovarianceError,
    SolverFailureError,
    UnknownAssetError,
    risk_budgeting,
    risk_contributions,
)


def random_covariance(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    returns = rng.normal(size=(n + 10, n)) * rng.uniform(0.05, 0.4, n)
    return np.cov(returns, rowvar=False)


def test_risk_parity_of_uncorrelated_assets_is_inverse_volatility() -> None:
    vols = np.array([0.1, 0.2, 0.25, 0.4])
    result = risk_budgeting(("a", "b", "c", "d"), np.diag(vols**2))
    inverse = (1 / vols) / (1 / vols).sum()
    np.testing.assert_allclose(result.weights, inverse, atol=1e-12)
    np.testing.assert_allclose(result.risk_contributions, np.full(4, 0.25), atol=1e-12)


def test_two_correlated_assets_get_inverse_volatility_weights() -> None:
    # With two assets ERC is inverse volatility for any correlation (Maillard et al. 2010).
    s1, s2, rho = 0.15, 0.3, 0.6
    covariance = np.array([[s1**2, rho * s1 * s2], [rho * s1 * s2, s2**2]])
    result = risk_budgeting(("a", "b"), covariance)
    assert result.weights_by_asset["a"] == pytest.approx(s2 / (s1 + s2), abs=1e-12)


def test_uncorrelated_budgets_give_weights_proportional_to_sqrt_budget_over_vol() -> None:
    vols = np.array([0.1, 0.2, 0.3])
    budgets = np.array([0.5, 0.3, 0.2])
    result = risk_budgeting(("a", "b", "c"), np.diag(vols**2), budgets)
    expected = np.sqrt(budgets) / vols
    np.testing.assert_allclose(result.weights, expected / expected.sum(), atol=1e-12)


def test_budgets_can_be_keyed_by_asset_id() -> None:
    covariance = random_covariance(1, 3)
    by_id = risk_budgeting(("a", "b", "c"), covariance, {"a": 0.2, "b": 0.3, "c": 0.5})
    by_array = risk_budgeting(("a", "b", "c"), covariance, [0.2, 0.3, 0.5])
    np.testing.assert_allclose(by_id.weights, by_array.weights)


@settings(max_examples=25, deadline=None)
@given(
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=2, max_value=12),
    st.data(),
)
def test_risk_contributions_equal_the_budgets(seed: int, n: int, data: st.DataObject) -> None:
    raw = data.draw(st.lists(st.floats(0.05, 1.0), min_size=n, max_size=n))
    budgets = np.array(raw) / sum(raw)
    covariance = random_covariance(seed, n)
    result = risk_budgeting([f"x{i}" for i in range(n)], covariance, budgets)
    np.testing.assert_allclose(result.risk_contributions, budgets, atol=1e-9)
    assert result.weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(result.weights > 0)
    assert result.volatility == pytest.approx(
        math.sqrt(result.weights @ covariance @ result.weights)
    )


def test_a_singular_covariance_still_converges() -> None:
    loadings = np.array([[0.1, 0.0], [0.2, 0.05], [0.15, 0.1]])
    result = risk_budgeting(("a", "b", "c"), loadings @ loadings.T)
    np.testing.assert_allclose(result.risk_contributions, np.full(3, 1 / 3), atol=1e-9)


def test_risk_contributions_sum_to_one_and_follow_the_euler_split() -> None:
    covariance = random_covariance(4, 4)
    w = np.array([0.4, 0.3, 0.2, 0.1])
    rc = risk_contributions(covariance, w)
    assert rc.sum() == pytest.approx(1.0)
    assert rc[0] == pytest.approx(w[0] * (covariance @ w)[0] / (w @ covariance @ w))


def test_risk_contributions_reject_bad_input() -> None:
    with pytest.raises(InvalidInputError, match="zero-variance"):
        risk_contributions(np.eye(2), [0.0, 0.0])
    with pytest.raises(DimensionMismatchError, match="covariance"):
        risk_contributions(np.eye(3), [0.5, 0.5])


def test_budgets_must_be_positive_and_sum_to_one() -> None:
    covariance = np.eye(3) * 0.04
    with pytest.raises(InvalidInputError, match="sum to 1"):
        risk_budgeting(("a", "b", "c"), covariance, [0.3, 0.3, 0.3])
    with pytest.raises(InvalidInputError, match="risk budget for 'b' must be > 0"):
        risk_budgeting(("a", "b", "c"), covariance, [0.5, 0.0, 0.5])
    with pytest.raises(UnknownAssetError, match="'z'"):
        risk_budgeting(("a", "b", "c"), covariance, {"a": 0.5, "z": 0.5})
    with pytest.raises(DimensionMismatchError, match="risk_budgets"):
        risk_budgeting(("a", "b", "c"), covariance, [0.5, 0.5])


def test_risk_budgeting_rejects_bad_covariances_and_settings() -> None:
    with pytest.raises(InvalidInputError, match="'b' has zero variance"):
        risk_budgeting(("a", "b"), np.diag([0.04, 0.0]))
    with pytest.raises(NonPsdCovarianceError):
        risk_budgeting(("a", "b"), [[0.04, 0.05], [0.05, 0.04]])
    with pytest.raises(InvalidInputError, match="tolerance"):
        risk_budgeting(("a", "b"), np.eye(2), tolerance=0.0)
    with pytest.raises(InvalidInputError, match="max_iterations"):
        risk_budgeting(("a", "b"), np.eye(2), max_iterations=0)


def test_not_converging_within_the_iteration_limit_is_an_error() -> None:
    with pytest.raises(SolverFailureError, match="did not converge in 1 iterations"):
        risk_budgeting(("a", "b", "c"), random_covariance(2, 3), [0.7, 0.2, 0.1], max_iterations=1)
