"""ProblemScaling: problems reach the solver in units of order one, by an exact change of units."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bounded_contexts.decision.domain.optimisation import (
    MarketModel,
    PortfolioConstraints,
    maximum_sharpe,
    minimum_variance,
)
from bounded_contexts.decision.domain.optimisation.constraints import resolve_constraints
from bounded_contexts.decision.domain.optimisation.costs import ResolvedCosts
from bounded_contexts.decision.domain.optimisation.scaling import ProblemScaling
from tests.decision.unit import optimisation_oracles as oracle


def daily_model(multiplier_exponent: int = 0) -> MarketModel:
    """The daily market with returns x 2^k and covariance x 4^k (Sharpe ratios unchanged)."""
    data = oracle.daily_market(11, 8)
    factor = math.ldexp(1.0, multiplier_exponent)
    return MarketModel.from_covariance(
        data.asset_ids,
        data.expected_returns * factor,
        data.covariance * factor * factor,
        1e-4 * factor,
    )


def test_the_unit_is_a_power_of_two_giving_a_mean_variance_near_one() -> None:
    model = daily_model()
    scaling = ProblemScaling.of_model(model)
    mantissa, _ = math.frexp(scaling.return_unit)
    assert mantissa == 0.5  # an exact power of two: dividing by it loses no bits
    assert scaling.variance_unit == scaling.return_unit**2
    assert 0.5 <= float(np.mean(np.diag(model.covariance))) / scaling.variance_unit <= 2.0
    returns = model.expected_returns
    assert np.array_equal(scaling.returns(returns) * scaling.return_unit, returns)


def test_a_riskless_universe_is_left_unscaled_and_extreme_scales_are_clamped() -> None:
    assert ProblemScaling.of_variances(np.zeros(3)).return_unit == 1.0
    assert ProblemScaling.of_variances(np.array([1e-320])).return_unit == 2.0**-500
    assert ProblemScaling.of_variances(np.array([1e300, 1e300])).return_unit == 2.0**498


def test_costs_and_the_tracking_error_limit_are_rescaled_and_weight_limits_are_not() -> None:
    scaling = ProblemScaling(2.0**-6)
    costs = scaling.costs(
        ResolvedCosts(linear=np.array([1e-4, 0.0]), quadratic=np.array([0.0, 3e-3]))
    )
    np.testing.assert_array_equal(costs.linear, [1e-4 * 64, 0.0])
    np.testing.assert_array_equal(costs.quadratic, [0.0, 3e-3 * 64])
    resolved = resolve_constraints(
        PortfolioConstraints(
            upper_bound=0.6,
            benchmark_weights={"a": 0.5, "b": 0.5},
            tracking_error_limit=0.002,
            current_weights={"a": 1.0},
            turnover_limit=0.5,
        ),
        ("a", "b"),
    )
    scaled = scaling.constraints(resolved)
    assert scaled.tracking_error_limit == 0.002 * 64
    assert scaled.turnover_limit == 0.5
    np.testing.assert_array_equal(scaled.upper, resolved.upper)
    unconstrained = resolve_constraints(PortfolioConstraints(), ("a", "b"))
    assert scaling.constraints(unconstrained) is unconstrained


@pytest.mark.parametrize("exponent", [-3, 4])
def test_rescaling_the_inputs_by_powers_of_two_changes_no_bit_of_the_weights(exponent: int) -> None:
    base, scaled = daily_model(), daily_model(exponent)
    low, low_scaled = minimum_variance(base), minimum_variance(scaled)
    np.testing.assert_array_equal(low_scaled.weights, low.weights)
    assert low_scaled.objective_value == low.objective_value * 4.0**exponent
    best, best_scaled = maximum_sharpe(base), maximum_sharpe(scaled)
    np.testing.assert_array_equal(best_scaled.weights, best.weights)
    assert best_scaled.objective_value == best.objective_value
