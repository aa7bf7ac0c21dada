"""Black-Litterman: equilibrium, posterior formulas, Idzorek confidence, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bounded_contexts.decision.domain.optimisation import (
    DimensionMismatchError,
    InvalidInputError,
    MarketModel,
    NonPsdCovarianceError,
    UnknownAssetError,
    View,
    black_litterman,
    equilibrium_returns,
    implied_risk_aversion,
    maximum_utility,
)
from bounded_contexts.decision.domain.optimisation.constraints import PortfolioConstraints

IDS = ("us", "eu", "jp", "em")
COVARIANCE = np.array(
    [
        [0.0400, 0.0180, 0.0120, 0.0240],
        [0.0180, 0.0361, 0.0114, 0.0205],
        [0.0120, 0.0114, 0.0289, 0.0136],
        [0.0240, 0.0205, 0.0136, 0.0625],
    ]
)
MARKET = {"us": 0.5, "eu": 0.25, "jp": 0.1, "em": 0.15}
MARKET_VECTOR = np.array([0.5, 0.25, 0.1, 0.15])


def test_equilibrium_returns_are_delta_sigma_w() -> None:
    pi = equilibrium_returns(COVARIANCE, MARKET_VECTOR, 2.5)
    np.testing.assert_allclose(pi, 2.5 * COVARIANCE @ MARKET_VECTOR)


def test_implied_risk_aversion_is_excess_return_over_variance() -> None:
    assert implied_risk_aversion(0.06, 0.04) == pytest.approx(1.5)
    with pytest.raises(InvalidInputError, match="market_variance"):
        implied_risk_aversion(0.06, 0.0)


def test_without_views_the_posterior_is_the_equilibrium() -> None:
    result = black_litterman(IDS, COVARIANCE, MARKET, risk_aversion=3.0, tau=0.025)
    np.testing.assert_allclose(result.posterior_returns, 3.0 * COVARIANCE @ MARKET_VECTOR)
    np.testing.assert_allclose(result.posterior_covariance, 1.025 * COVARIANCE)
    assert result.pick_matrix.shape == (0, 4)


def test_the_equilibrium_reverse_optimises_to_the_market_portfolio() -> None:
    result = black_litterman(IDS, COVARIANCE, MARKET, risk_aversion=2.5)
    unconstrained = np.linalg.solve(2.5 * COVARIANCE, result.equilibrium_returns)
    np.testing.assert_allclose(unconstrained, MARKET_VECTOR, atol=1e-12)
    prior_model = MarketModel.from_covariance(IDS, result.equilibrium_returns, COVARIANCE)
    chosen = maximum_utility(prior_model, 2.5, PortfolioConstraints(long_only=False))
    np.testing.assert_allclose(chosen.weights, MARKET_VECTOR, atol=1e-6)


def test_fully_confident_views_are_reproduced_exactly() -> None:
    views = [View.absolute("jp", 0.08, confidence=1.0), View.relative("us", "eu", 0.02, 1.0)]
    result = black_litterman(IDS, COVARIANCE, MARKET, views)
    np.testing.assert_allclose(result.pick_matrix @ result.posterior_returns, [0.08, 0.02])
    np.testing.assert_allclose(np.diag(result.omega), [0.0, 0.0])


def test_a_zero_confidence_view_is_dropped_and_leaves_the_equilibrium() -> None:
    result = black_litterman(IDS, COVARIANCE, MARKET, [View.absolute("jp", 0.5, confidence=0.0)])
    np.testing.assert_allclose(result.posterior_returns, result.equilibrium_returns)
    assert result.dropped_views == (0,)


def test_he_litterman_default_omega_is_tau_p_sigma_p() -> None:
    view = View({"us": 0.5, "eu": 0.5, "em": -1.0}, 0.01)
    result = black_litterman(IDS, COVARIANCE, MARKET, [view], tau=0.05)
    p = np.array([0.5, 0.5, 0.0, -1.0])
    assert result.omega[0, 0] == pytest.approx(0.05 * p @ COVARIANCE @ p)


def test_posterior_matches_the_textbook_formula_for_explicit_omega() -> None:
    views = [View.absolute("em", 0.10, variance=0.002), View.relative("eu", "jp", 0.03)]
    tau, delta = 0.05, 2.5
    result = black_litterman(IDS, COVARIANCE, MARKET, views, risk_aversion=delta, tau=tau)
    p = np.array([[0, 0, 0, 1.0], [0, 1.0, -1.0, 0]])
    q = np.array([0.10, 0.03])
    omega = np.diag([0.002, tau * p[1] @ COVARIANCE @ p[1]])
    pi = delta * COVARIANCE @ MARKET_VECTOR
    # Original Black-Litterman precision-weighted form (needs Omega invertible).
    precision = np.linalg.inv(tau * COVARIANCE) + p.T @ np.linalg.inv(omega) @ p
    mean = np.linalg.solve(
        precision, np.linalg.inv(tau * COVARIANCE) @ pi + p.T @ np.linalg.inv(omega) @ q
    )
    np.testing.assert_allclose(result.posterior_returns, mean, atol=1e-12)
    np.testing.assert_allclose(
        result.posterior_covariance, COVARIANCE + np.linalg.inv(precision), atol=1e-12
    )


@settings(max_examples=20, deadline=None)
@given(st.floats(min_value=0.05, max_value=0.95), st.floats(min_value=-0.05, max_value=0.15))
def test_idzorek_confidence_tilts_weights_by_that_fraction_of_the_full_tilt(
    confidence: float, view_return: float
) -> None:
    delta = 2.5
    full = black_litterman(IDS, COVARIANCE, MARKET, [View.absolute("em", view_return, 1.0)])
    partial = black_litterman(
        IDS, COVARIANCE, MARKET, [View.absolute("em", view_return, confidence)]
    )

    def weights(posterior: np.ndarray) -> np.ndarray:
        return np.linalg.solve(delta * COVARIANCE, posterior)

    full_tilt = weights(full.posterior_returns) - MARKET_VECTOR
    partial_tilt = weights(partial.posterior_returns) - MARKET_VECTOR
    np.testing.assert_allclose(partial_tilt, confidence * full_tilt, atol=1e-12)


def test_half_confidence_equals_the_he_litterman_default() -> None:
    idzorek = black_litterman(IDS, COVARIANCE, MARKET, [View.absolute("eu", 0.09, 0.5)])
    default = black_litterman(IDS, COVARIANCE, MARKET, [View.absolute("eu", 0.09)])
    np.testing.assert_allclose(idzorek.posterior_returns, default.posterior_returns)


def test_market_model_adds_back_the_risk_free_rate() -> None:
    result = black_litterman(IDS, COVARIANCE, MARKET, [View.absolute("us", 0.07)])
    model = result.market_model(risk_free_rate=0.02)
    np.testing.assert_allclose(model.expected_returns, result.posterior_returns + 0.02)
    assert model.risk_free_rate == 0.02
    np.testing.assert_allclose(model.covariance, result.posterior_covariance)


def test_a_view_on_an_unknown_asset_names_the_view_and_the_asset() -> None:
    with pytest.raises(UnknownAssetError, match=r"views\[1\].*'cn'"):
        black_litterman(
            IDS, COVARIANCE, MARKET, [View.absolute("us", 0.05), View.relative("cn", "jp", 0.01)]
        )


def test_market_weights_on_an_unknown_asset_are_rejected() -> None:
    with pytest.raises(UnknownAssetError, match="market_weights"):
        black_litterman(IDS, COVARIANCE, {"us": 0.6, "uk": 0.4})


def test_conflicting_certain_views_are_reported_as_degenerate() -> None:
    views = [View.absolute("us", 0.05, 1.0), View.absolute("us", 0.07, 1.0)]
    with pytest.raises(InvalidInputError, match="degenerate"):
        black_litterman(IDS, COVARIANCE, MARKET, views)


def test_view_fields_are_validated() -> None:
    with pytest.raises(InvalidInputError, match=r"\[0, 1\]"):
        View.absolute("us", 0.05, confidence=1.2)
    with pytest.raises(InvalidInputError, match="not both"):
        View({"us": 1.0}, 0.05, confidence=0.5, variance=0.01)
    with pytest.raises(InvalidInputError, match="variance"):
        View({"us": 1.0}, 0.05, variance=-0.01)
    with pytest.raises(InvalidInputError, match="at least one"):
        View({}, 0.05)
    with pytest.raises(InvalidInputError, match="all be zero"):
        View({"us": 0.0}, 0.05)
    with pytest.raises(InvalidInputError, match="expected_return"):
        View.absolute("us", math.nan)
    with pytest.raises(InvalidInputError, match="two different"):
        View.relative("us", "us", 0.01)


def test_black_litterman_validates_its_numeric_inputs() -> None:
    with pytest.raises(InvalidInputError, match="tau"):
        black_litterman(IDS, COVARIANCE, MARKET, tau=0.0)
    with pytest.raises(InvalidInputError, match="risk_aversion"):
        black_litterman(IDS, COVARIANCE, MARKET, risk_aversion=-1.0)
    with pytest.raises(DimensionMismatchError, match="market_weights"):
        black_litterman(IDS, COVARIANCE, [0.5, 0.5])
    with pytest.raises(NonPsdCovarianceError):
        black_litterman(IDS, -COVARIANCE, MARKET)
    with pytest.raises(InvalidInputError, match=r"views\[0\] must be a View"):
        black_litterman(IDS, COVARIANCE, MARKET, [("us", 0.05)])  # type: ignore[list-item]


def test_equilibrium_returns_validates_its_inputs() -> None:
    with pytest.raises(DimensionMismatchError, match="covariance"):
        equilibrium_returns(COVARIANCE, [0.5, 0.5], 2.5)
    with pytest.raises(InvalidInputError, match="risk_aversion"):
        equilibrium_returns(COVARIANCE, MARKET_VECTOR, math.inf)
