"""Hierarchical risk parity (Lopez de Prado 2016)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bounded_contexts.decision.domain.optimisation import (
    InvalidInputError,
    NonPsdCovarianceError,
    hierarchical_risk_parity,
)
from bounded_contexts.decision.domain.optimisation.hrp import recursive_bisection


def block(var1: float, var2: float, rho: float) -> np.ndarray:
    cov = rho * np.sqrt(var1 * var2)
    return np.array([[var1, cov], [cov, var2]])


def ivp_variance(cov: np.ndarray) -> float:
    w = (1 / np.diag(cov)) / (1 / np.diag(cov)).sum()
    return float(w @ cov @ w)


def test_block_diagonal_covariance_is_split_between_blocks_then_inverse_variance() -> None:
    first, second = block(0.04, 0.09, 0.5), block(0.01, 0.0225, 0.4)
    covariance = np.zeros((4, 4))
    covariance[:2, :2], covariance[2:, 2:] = first, second
    # Interleave the assets so that clustering has to find the blocks.
    order = [0, 2, 1, 3]
    ids = ("a1", "b1", "a2", "b2")
    result = hierarchical_risk_parity(ids, covariance[np.ix_(order, order)])

    assert {result.order[0], result.order[1]} in ({"a1", "a2"}, {"b1", "b2"})
    v1, v2 = ivp_variance(first), ivp_variance(second)
    alpha = 1 - v1 / (v1 + v2)
    w = result.weights_by_asset
    assert w["a1"] + w["a2"] == pytest.approx(alpha)
    assert w["a1"] == pytest.approx(alpha * 0.09 / (0.04 + 0.09))
    assert w["b1"] == pytest.approx((1 - alpha) * 0.0225 / (0.01 + 0.0225))


def test_identical_uncorrelated_assets_get_equal_weights() -> None:
    result = hierarchical_risk_parity(("a", "b", "c", "d"), np.eye(4) * 0.04)
    np.testing.assert_allclose(result.weights, np.full(4, 0.25))


def test_two_assets_get_inverse_variance_weights() -> None:
    result = hierarchical_risk_parity(("a", "b"), block(0.04, 0.01, 0.3))
    np.testing.assert_allclose(result.weights, [0.2, 0.8])


def test_a_single_asset_gets_everything() -> None:
    result = hierarchical_risk_parity(("a",), [[0.04]])
    np.testing.assert_allclose(result.weights, [1.0])
    assert result.order == ("a",)


def test_recursive_bisection_halves_the_ordered_list() -> None:
    covariance = np.diag([1.0, 2.0, 3.0])
    weights = recursive_bisection(covariance, [0, 1, 2])
    # First split [0] | [1, 2]: V_left = 1, V_right = 1 / (1/2 + 1/3) = 1.2.
    alpha = 1 - 1.0 / 2.2
    np.testing.assert_allclose(weights, [alpha, (1 - alpha) * 0.6, (1 - alpha) * 0.4])


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 15), st.sampled_from(["single", "average", "ward"]))
def test_hrp_weights_are_positive_and_sum_to_one(seed: int, n: int, method: str) -> None:
    rng = np.random.default_rng(seed)
    returns = rng.normal(size=(n + 20, n)) * rng.uniform(0.05, 0.3, n)
    covariance = np.cov(returns, rowvar=False)
    result = hierarchical_risk_parity(
        [f"x{i}" for i in range(n)], covariance, linkage_method=method
    )
    assert result.weights.sum() == pytest.approx(1.0)
    assert np.all(result.weights > 0)
    assert sorted(result.order) == sorted(result.asset_ids)
    assert result.linkage_matrix.shape == (n - 1, 4)


def test_hrp_rejects_bad_input() -> None:
    with pytest.raises(InvalidInputError, match="linkage_method"):
        hierarchical_risk_parity(("a", "b"), np.eye(2), linkage_method="centroid-ish")
    with pytest.raises(InvalidInputError, match="'b' has zero variance"):
        hierarchical_risk_parity(("a", "b"), np.diag([0.04, 0.0]))
    with pytest.raises(NonPsdCovarianceError):
        hierarchical_risk_parity(("a", "b"), [[0.04, 0.05], [0.05, 0.04]])
    with pytest.raises(InvalidInputError, match="at least one"):
        hierarchical_risk_parity((), np.zeros((0, 0)))
