"""Mean-variance optimisers: closed forms, constraint families, costs, errors, properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bounded_contexts.decision.domain.optimisation import (
    GroupLimit,
    InfeasibleProblemError,
    InvalidInputError,
    MarketModel,
    PortfolioConstraints,
    TransactionCosts,
    UnboundedProblemError,
    UnknownAssetError,
    efficient_frontier,
    efficient_return,
    efficient_risk,
    maximum_return,
    maximum_sharpe,
    maximum_utility,
    minimum_variance,
)

LONG_SHORT = PortfolioConstraints(long_only=False)
IDS = ("a", "b", "c", "d", "e")


def random_model(seed: int, n: int = 5, risk_free_rate: float = 0.01) -> MarketModel:
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(n, n))
    covariance = 0.02 * factors @ factors.T / n + np.diag(rng.uniform(0.005, 0.03, n))
    expected = rng.uniform(0.03, 0.12, n)
    return MarketModel.from_covariance(
        [f"x{i}" for i in range(n)], expected, covariance, risk_free_rate
    )


@pytest.fixture
def model() -> MarketModel:
    return random_model(7)


def test_two_asset_minimum_variance_matches_the_closed_form() -> None:
    s1, s2, s12 = 0.2, 0.3, 0.2 * 0.3 * 0.4
    covariance = np.array([[s1**2, s12], [s12, s2**2]])
    model = MarketModel.from_covariance(("a", "b"), [0.05, 0.08], covariance)
    result = minimum_variance(model, LONG_SHORT)
    expected_first = (s2**2 - s12) / (s1**2 + s2**2 - 2 * s12)
    assert result.weights[0] == pytest.approx(expected_first, abs=1e-7)
    assert result.weights_by_asset["b"] == pytest.approx(1 - expected_first, abs=1e-7)


def test_unconstrained_minimum_variance_matches_sigma_inverse_ones(model: MarketModel) -> None:
    inverse_ones = np.linalg.solve(model.covariance, np.ones(model.size))
    result = minimum_variance(model, LONG_SHORT)
    np.testing.assert_allclose(result.weights, inverse_ones / inverse_ones.sum(), atol=1e-7)


def test_unconstrained_maximum_sharpe_is_the_tangency_portfolio(model: MarketModel) -> None:
    direction = np.linalg.solve(model.covariance, model.expected_returns - model.risk_free_rate)
    tangency = direction / direction.sum()
    result = maximum_sharpe(model, LONG_SHORT)
    np.testing.assert_allclose(result.weights, tangency, atol=1e-6)
    excess = model.expected_returns - model.risk_free_rate
    closed_form_sharpe = math.sqrt(excess @ np.linalg.solve(model.covariance, excess))
    assert result.sharpe_ratio == pytest.approx(closed_form_sharpe, rel=1e-7)


def test_long_only_maximum_sharpe_beats_every_frontier_point(model: MarketModel) -> None:
    best = maximum_sharpe(model)
    frontier = efficient_frontier(model, 15)
    assert best.sharpe_ratio is not None
    assert all(
        p.sharpe_ratio is None or p.sharpe_ratio <= best.sharpe_ratio + 1e-7
        for p in frontier.portfolios
    )
    assert np.all(best.weights >= 0.0)


def test_efficient_frontier_runs_from_minimum_variance_to_maximum_return(
    model: MarketModel,
) -> None:
    frontier = efficient_frontier(model, 8)
    lowest, highest = minimum_variance(model), maximum_return(model)
    assert len(frontier.portfolios) == 8
    assert frontier.volatilities[0] == pytest.approx(lowest.volatility, rel=1e-6)
    assert frontier.expected_returns[-1] == pytest.approx(highest.expected_return, abs=1e-6)
    assert np.all(np.diff(frontier.expected_returns) > 0)
    assert np.all(np.diff(frontier.volatilities) > -1e-9)
    assert frontier.weights.shape == (8, model.size)


def test_efficient_return_reaches_its_target_with_minimum_risk(model: MarketModel) -> None:
    target = 0.09
    result = efficient_return(model, target)
    assert result.expected_return == pytest.approx(target, abs=1e-7)
    direct = efficient_frontier(model, 3)
    assert result.volatility <= direct.volatilities[-1] + 1e-9


def test_efficient_risk_spends_exactly_its_risk_budget(model: MarketModel) -> None:
    low = minimum_variance(model).volatility
    result = efficient_risk(model, low * 1.2)
    assert result.volatility == pytest.approx(low * 1.2, rel=1e-6)
    same_risk = efficient_return(model, result.expected_return)
    assert same_risk.volatility == pytest.approx(result.volatility, rel=1e-5)


def test_maximum_utility_unconstrained_matches_the_lagrangian_closed_form(
    model: MarketModel,
) -> None:
    delta = 4.0
    sigma_inv_mu = np.linalg.solve(model.covariance, model.expected_returns)
    sigma_inv_one = np.linalg.solve(model.covariance, np.ones(model.size))
    multiplier = (delta - sigma_inv_mu.sum()) / sigma_inv_one.sum()
    expected = (sigma_inv_mu + multiplier * sigma_inv_one) / delta
    result = maximum_utility(model, delta, LONG_SHORT)
    np.testing.assert_allclose(result.weights, expected, atol=1e-6)


def test_maximum_return_with_a_cap_fills_the_best_assets_first(model: MarketModel) -> None:
    result = maximum_return(model, PortfolioConstraints(upper_bound=0.4))
    best_first = np.argsort(model.expected_returns)[::-1]
    np.testing.assert_allclose(result.weights[best_first[:3]], [0.4, 0.4, 0.2], atol=1e-7)


def test_asset_bounds_and_group_limits_hold(model: MarketModel) -> None:
    constraints = PortfolioConstraints(
        upper_bound=0.35,
        asset_bounds={"x0": (0.1, 0.2)},
        groups=(GroupLimit("tech", ("x1", "x2"), minimum=0.3, maximum=0.45),),
    )
    result = maximum_sharpe(model, constraints)
    w = result.weights_by_asset
    assert 0.1 - 1e-8 <= w["x0"] <= 0.2 + 1e-8
    assert 0.3 - 1e-8 <= w["x1"] + w["x2"] <= 0.45 + 1e-8
    assert max(w.values()) <= 0.35 + 1e-8


def test_gross_leverage_limits_the_sum_of_absolute_weights() -> None:
    model = random_model(7, risk_free_rate=0.045)
    free = maximum_sharpe(model, LONG_SHORT)
    assert np.abs(free.weights).sum() > 1.2
    capped = maximum_sharpe(model, PortfolioConstraints(long_only=False, gross_leverage=1.2))
    assert np.abs(capped.weights).sum() <= 1.2 + 1e-7
    assert capped.sharpe_ratio is not None
    assert free.sharpe_ratio is not None
    assert capped.sharpe_ratio < free.sharpe_ratio
    assert capped.weights.sum() == pytest.approx(1.0, abs=1e-8)


def test_turnover_limit_bounds_the_distance_from_current_weights(model: MarketModel) -> None:
    current = {"x0": 0.5, "x1": 0.5}
    constraints = PortfolioConstraints(current_weights=current, turnover_limit=0.3)
    result = minimum_variance(model, constraints)
    w0 = np.array([0.5, 0.5, 0.0, 0.0, 0.0])
    assert np.abs(result.weights - w0).sum() <= 0.3 + 1e-7


def test_tracking_error_limit_keeps_the_portfolio_near_its_benchmark(model: MarketModel) -> None:
    benchmark = {"x3": 0.6, "x4": 0.4}
    constraints = PortfolioConstraints(benchmark_weights=benchmark, tracking_error_limit=0.01)
    result = maximum_return(model, constraints)
    active = result.weights - np.array([0.0, 0.0, 0.0, 0.6, 0.4])
    assert math.sqrt(active @ model.covariance @ active) <= 0.01 + 1e-7


def test_a_dollar_neutral_budget_sums_to_zero(model: MarketModel) -> None:
    constraints = PortfolioConstraints(
        budget=0.0, long_only=False, gross_leverage=2.0, lower_bound=-0.5, upper_bound=0.5
    )
    result = maximum_return(model, constraints)
    assert result.weights.sum() == pytest.approx(0.0, abs=1e-8)


def test_linear_costs_keep_the_portfolio_at_its_current_weights_when_expensive(
    model: MarketModel,
) -> None:
    current = dict(zip(model.asset_ids, [0.2] * 5, strict=True))
    constraints = PortfolioConstraints(current_weights=current)
    result = maximum_sharpe(model, constraints, TransactionCosts(linear=10.0))
    np.testing.assert_allclose(result.weights, [0.2] * 5, atol=1e-6)
    assert result.transaction_cost == pytest.approx(0.0, abs=1e-5)


def test_costs_reduce_the_trade_and_are_reported(model: MarketModel) -> None:
    current = dict(zip(model.asset_ids, [0.2] * 5, strict=True))
    constraints = PortfolioConstraints(current_weights=current)
    free = maximum_utility(model, 3.0, constraints)
    costly = maximum_utility(model, 3.0, constraints, TransactionCosts(0.002, quadratic=0.05))
    w0 = np.full(5, 0.2)
    assert np.abs(costly.weights - w0).sum() < np.abs(free.weights - w0).sum()
    trade = costly.weights - w0
    expected_cost = 0.002 * np.abs(trade).sum() + 0.05 * (trade**2).sum()
    assert costly.transaction_cost == pytest.approx(expected_cost, rel=1e-9)


def test_maximum_sharpe_with_costs_is_net_of_costs(model: MarketModel) -> None:
    current = dict(zip(model.asset_ids, [0.2] * 5, strict=True))
    constraints = PortfolioConstraints(current_weights=current)
    costs = TransactionCosts(linear=0.003, quadratic=0.02)
    result = maximum_sharpe(model, constraints, costs)
    net = result.expected_return - result.transaction_cost - model.risk_free_rate
    assert result.sharpe_ratio == pytest.approx(net / result.volatility)
    for alternative in efficient_frontier(model, 6, constraints, costs).portfolios:
        assert alternative.sharpe_ratio is not None
        assert alternative.sharpe_ratio <= result.sharpe_ratio + 1e-6


def test_a_frontier_with_costs_is_net_of_costs_and_increasing(model: MarketModel) -> None:
    current = dict(zip(model.asset_ids, [0.2] * 5, strict=True))
    constraints = PortfolioConstraints(current_weights=current)
    costs = TransactionCosts(linear=0.002, quadratic=0.01)
    frontier = efficient_frontier(model, 5, constraints, costs)
    net = np.array([p.expected_return - p.transaction_cost for p in frontier.portfolios])
    # The first target is the minimum-variance point's own return: there the constraint need not
    # bind; from then on it does.
    assert np.all(net >= frontier.target_returns - 1e-7)
    np.testing.assert_allclose(net[1:], frontier.target_returns[1:], atol=1e-6)
    assert np.all(np.diff(net) > 0)


def test_long_only_weights_have_no_tiny_negative_entries(model: MarketModel) -> None:
    result = maximum_return(model, PortfolioConstraints(upper_bound=0.4))
    assert np.all(result.weights >= 0.0)
    assert np.all((result.weights == 0.0) | (np.abs(result.weights) >= 1e-9))


def test_results_are_frozen_with_read_only_arrays(model: MarketModel) -> None:
    result = minimum_variance(model)
    with pytest.raises(ValueError, match="read-only"):
        result.weights[0] = 0.0
    with pytest.raises(TypeError):
        result.weights_by_asset["x0"] = 1.0  # type: ignore[index]
    assert result.status == "optimal"
    assert result.solver == "CLARABEL"


def test_an_explicitly_named_solver_is_used(model: MarketModel) -> None:
    clarabel = minimum_variance(model)
    osqp = minimum_variance(model, solver="SCS")
    assert osqp.solver == "SCS"
    np.testing.assert_allclose(osqp.weights, clarabel.weights, atol=1e-3)


def test_a_solver_that_is_not_installed_is_named(model: MarketModel) -> None:
    with pytest.raises(InvalidInputError, match="'MOSEK' is not installed"):
        minimum_variance(model, solver="MOSEK")


def test_lower_bounds_above_the_budget_fail_the_precheck(model: MarketModel) -> None:
    with pytest.raises(InfeasibleProblemError, match=r"sum of lower bounds 1\.25 exceeds") as info:
        minimum_variance(model, PortfolioConstraints(lower_bound=0.25))
    assert "asset bounds" in info.value.active_constraints


def test_upper_bounds_below_the_budget_fail_the_precheck(model: MarketModel) -> None:
    with pytest.raises(InfeasibleProblemError, match="sum of upper bounds"):
        minimum_variance(model, PortfolioConstraints(upper_bound=0.1))


def test_crossed_asset_bounds_name_the_asset(model: MarketModel) -> None:
    with pytest.raises(InfeasibleProblemError, match=r"asset 'x2' has lower bound 0\.3"):
        minimum_variance(model, PortfolioConstraints(asset_bounds={"x2": (0.3, 0.2)}))


def test_group_prechecks_name_the_group(model: MarketModel) -> None:
    impossible = GroupLimit("energy", ("x0", "x1"), minimum=0.5)
    with pytest.raises(InfeasibleProblemError, match="group 'energy' minimum"):
        minimum_variance(model, PortfolioConstraints(upper_bound=0.2, groups=(impossible,)))
    crossed = GroupLimit("energy", ("x0",), minimum=0.5, maximum=0.4)
    with pytest.raises(InfeasibleProblemError, match="above its maximum"):
        minimum_variance(model, PortfolioConstraints(groups=(crossed,)))


def test_leverage_below_the_budget_fails_the_precheck(model: MarketModel) -> None:
    with pytest.raises(InfeasibleProblemError, match=r"gross leverage limit 0\.8"):
        minimum_variance(model, PortfolioConstraints(long_only=False, gross_leverage=0.8))


def test_turnover_too_small_to_reach_the_budget_fails_the_precheck(model: MarketModel) -> None:
    constraints = PortfolioConstraints(current_weights={"x0": 0.5}, turnover_limit=0.2)
    with pytest.raises(InfeasibleProblemError, match=r"turnover limit 0\.2") as info:
        minimum_variance(model, constraints)
    assert "turnover" in info.value.active_constraints


def test_a_negative_long_only_budget_fails_the_precheck(model: MarketModel) -> None:
    with pytest.raises(InfeasibleProblemError, match="negative budget"):
        minimum_variance(model, PortfolioConstraints(budget=-1.0))


def test_solver_infeasibility_names_the_active_constraint_families(model: MarketModel) -> None:
    benchmark = {"x0": 1.0}
    constraints = PortfolioConstraints(
        asset_bounds={"x0": (0.0, 0.1)}, benchmark_weights=benchmark, tracking_error_limit=0.001
    )
    with pytest.raises(InfeasibleProblemError, match="tracking error") as info:
        minimum_variance(model, constraints)
    assert info.value.active_constraints == (
        "budget",
        "long-only",
        "asset bounds",
        "tracking error",
    )


def test_an_unreachable_target_return_is_infeasible(model: MarketModel) -> None:
    with pytest.raises(InfeasibleProblemError, match="target return"):
        efficient_return(model, 0.5)


def test_a_target_volatility_below_the_minimum_is_infeasible(model: MarketModel) -> None:
    with pytest.raises(InfeasibleProblemError, match="target volatility"):
        efficient_risk(model, minimum_variance(model).volatility * 0.5)


def test_maximum_return_without_bounds_is_unbounded(model: MarketModel) -> None:
    with pytest.raises(UnboundedProblemError, match="add bounds or a leverage limit"):
        maximum_return(model, LONG_SHORT)


def test_maximum_sharpe_without_any_positive_excess_return_is_infeasible() -> None:
    model = random_model(7, risk_free_rate=0.5)
    with pytest.raises(InfeasibleProblemError, match="positive excess return"):
        maximum_sharpe(model)


def test_maximum_sharpe_rejects_a_non_positive_budget(model: MarketModel) -> None:
    with pytest.raises(InvalidInputError, match="positive budget"):
        maximum_sharpe(model, PortfolioConstraints(budget=0.0, long_only=False))


def test_maximum_sharpe_attained_only_at_zero_investment_is_reported() -> None:
    covariance = np.diag([0.04, 0.04])
    model = MarketModel.from_covariance(("a", "b"), [0.10, -0.10], covariance)
    with pytest.raises(UnboundedProblemError, match="zero-investment"):
        maximum_sharpe(model, LONG_SHORT)


def test_bad_scalar_arguments_are_named(model: MarketModel) -> None:
    with pytest.raises(InvalidInputError, match="target_return"):
        efficient_return(model, math.nan)
    with pytest.raises(InvalidInputError, match="target_volatility"):
        efficient_risk(model, -0.1)
    with pytest.raises(InvalidInputError, match="risk_aversion"):
        maximum_utility(model, 0.0)
    with pytest.raises(InvalidInputError, match="points"):
        efficient_frontier(model, 1)
    with pytest.raises(InvalidInputError, match="MarketModel"):
        minimum_variance("not a model")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="not installed"):
        maximum_return(model, PortfolioConstraints(upper_bound=0.5), solver="NOPE")
    with pytest.raises(InvalidInputError, match="not installed"):
        maximum_sharpe(model, solver="NOPE")


def test_constraints_on_unknown_assets_are_named(model: MarketModel) -> None:
    with pytest.raises(UnknownAssetError, match="'AAPL'"):
        maximum_sharpe(model, PortfolioConstraints(asset_bounds={"AAPL": (0.0, 0.1)}))
    with pytest.raises(UnknownAssetError, match="linear costs"):
        minimum_variance(model, costs=TransactionCosts(linear={"AAPL": 0.01}))


def test_a_factor_model_gives_the_same_answer_as_its_dense_covariance() -> None:
    rng = np.random.default_rng(11)
    n, k = 12, 3
    loadings = rng.normal(size=(n, k))
    factor_cov = np.diag([0.02, 0.01, 0.005])
    specific = rng.uniform(0.01, 0.04, n)
    expected = rng.uniform(0.02, 0.1, n)
    ids = [f"s{i}" for i in range(n)]
    factored = MarketModel.from_factor_model(ids, expected, loadings, factor_cov, specific)
    dense = MarketModel.from_covariance(ids, expected, factored.covariance)
    constraints = PortfolioConstraints(upper_bound=0.2)
    np.testing.assert_allclose(
        maximum_sharpe(factored, constraints).weights,
        maximum_sharpe(dense, constraints).weights,
        atol=1e-6,
    )


bounds_strategy = st.tuples(
    st.integers(min_value=0, max_value=10_000),
    st.floats(min_value=0.0, max_value=0.15),
    st.floats(min_value=0.25, max_value=1.0),
    st.floats(min_value=0.5, max_value=2.0),
)


@settings(max_examples=15, deadline=None)
@given(bounds_strategy)
def test_minimum_variance_weights_sum_to_the_budget_and_respect_bounds(
    case: tuple[int, float, float, float],
) -> None:
    seed, lower, upper, budget = case
    upper = max(upper * budget, lower)
    model = random_model(seed)
    constraints = PortfolioConstraints(lower_bound=lower, upper_bound=upper, budget=budget)
    if 5 * lower > budget or 5 * upper < budget:
        with pytest.raises(InfeasibleProblemError):
            minimum_variance(model, constraints)
        return
    result = minimum_variance(model, constraints)
    assert result.weights.sum() == pytest.approx(budget, abs=1e-7)
    assert np.all(result.weights >= lower - 1e-8)
    assert np.all(result.weights <= upper + 1e-8)


@settings(max_examples=10, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.floats(min_value=1.0, max_value=3.0))
def test_long_short_maximum_sharpe_respects_budget_and_leverage(seed: int, leverage: float) -> None:
    model = random_model(seed)
    constraints = PortfolioConstraints(
        long_only=False, gross_leverage=leverage, lower_bound=-0.5, upper_bound=0.8
    )
    result = maximum_sharpe(model, constraints)
    assert result.weights.sum() == pytest.approx(1.0, abs=1e-7)
    assert np.abs(result.weights).sum() <= leverage + 1e-7
    assert np.all(result.weights >= -0.5 - 1e-8)
    assert np.all(result.weights <= 0.8 + 1e-8)
