"""Every optimiser reaches the exact optimum on daily-return inputs (issue 11's defect).

Daily means are ~1e-4..1e-3 and daily variances ~1e-4, so an unscaled problem meets the solver's
absolute stopping tolerances (1e-8) long before the optimum: efficient return was 6.7e-4 off in
weights. Each test builds a seeded daily problem, computes the optimum independently in
``optimisation_oracles`` (closed forms, a KKT-certified active-set QP solve, HiGHS simplex,
coordinate descent) and asserts the package's weights agree to ``WEIGHT_TOLERANCE`` or better.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from bounded_contexts.decision.domain.optimisation import (
    InvalidInputError,
    MarketModel,
    NonPsdCovarianceError,
    PortfolioConstraints,
    TransactionCosts,
    View,
    black_litterman,
    efficient_frontier,
    efficient_return,
    efficient_risk,
    hierarchical_risk_parity,
    maximum_return,
    maximum_sharpe,
    maximum_utility,
    minimum_cvar,
    minimum_variance,
    risk_budgeting,
    scenario_cvar,
)
from tests.decision.unit import optimisation_oracles as oracle

#: Required agreement with the oracle, in weights (fractions of equity). Issue 11 asks for 1e-7.
#: Measured (``bench/accuracy_optimisation_daily.py``): 2.3e-10 or less for the LPs and QPs,
#: 1.5e-9 for efficient risk (a cone program); 1e-8 leaves a margin for other BLAS builds and
#: still fails the unscaled solves of before (1e-6 to 1e-3 off).
WEIGHT_TOLERANCE = 1e-8

LONG_ONLY = PortfolioConstraints()
CAPPED = PortfolioConstraints(upper_bound=0.25)
LONG_SHORT = PortfolioConstraints(long_only=False)
#: A daily risk-free rate (~2.5 % a year).
DAILY_RISK_FREE = 1e-4


def market(seed: int = 11, size: int = 10) -> tuple[oracle.DailyMarket, MarketModel]:
    data = oracle.daily_market(seed, size)
    model = MarketModel.from_covariance(
        data.asset_ids, data.expected_returns, data.covariance, DAILY_RISK_FREE
    )
    return data, model


def assert_weights(actual: np.ndarray, expected: np.ndarray, tolerance: float) -> None:
    """Compare weights; the failure message carries the largest error measured."""
    error = float(np.max(np.abs(np.asarray(actual) - expected)))
    assert error <= tolerance, f"weights are {error:.3g} from the oracle (allowed {tolerance:.0e})"


# -- mean-variance ---------------------------------------------------------------------------------


def test_unconstrained_efficient_return_matches_the_closed_form_in_daily_units() -> None:
    data, model = market()
    target = 6e-4
    # Lagrange: w = Sigma^-1 [1 mu] M^-1 [1, target], M = [1 mu]^T Sigma^-1 [1 mu].
    basis = np.column_stack([np.ones(model.size), data.expected_returns])
    inverse_basis = np.linalg.solve(data.covariance, basis)
    exact = inverse_basis @ np.linalg.solve(basis.T @ inverse_basis, [1.0, target])
    result = efficient_return(model, target, LONG_SHORT)
    assert_weights(result.weights, exact, 1e-10)


def test_unconstrained_minimum_variance_matches_sigma_inverse_ones_in_daily_units() -> None:
    data, model = market()
    inverse_ones = np.linalg.solve(data.covariance, np.ones(model.size))
    result = minimum_variance(model, LONG_SHORT)
    assert_weights(result.weights, inverse_ones / inverse_ones.sum(), 1e-10)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_long_only_minimum_variance_matches_the_certified_qp(seed: int) -> None:
    data, model = market(seed)
    exact = oracle.minimum_variance(data.covariance, lower=0.0, upper=None)
    assert_weights(minimum_variance(model).weights, exact, WEIGHT_TOLERANCE)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_long_only_efficient_return_matches_the_certified_qp(seed: int) -> None:
    data, model = market(seed)
    target = float(np.quantile(data.expected_returns, 0.7))
    exact = oracle.efficient_return(data.covariance, data.expected_returns, target, upper=0.25)
    result = efficient_return(model, target, CAPPED)
    assert_weights(result.weights, exact, WEIGHT_TOLERANCE)
    assert result.expected_return == pytest.approx(target, abs=1e-12)


def test_capped_maximum_return_matches_the_greedy_closed_form() -> None:
    data, model = market()
    exact = oracle.maximum_return_long_only(data.expected_returns, 0.25)
    assert_weights(maximum_return(model, CAPPED).weights, exact, WEIGHT_TOLERANCE)


@pytest.mark.parametrize("risk_aversion", [2.0, 8.0])
def test_long_only_maximum_utility_matches_the_certified_qp(risk_aversion: float) -> None:
    data, model = market()
    exact = oracle.maximum_utility(
        data.covariance, data.expected_returns, risk_aversion, lower=0.0, upper=None
    )
    result = maximum_utility(model, risk_aversion, LONG_ONLY)
    assert_weights(result.weights, exact, WEIGHT_TOLERANCE)
    utility = exact @ data.expected_returns - 0.5 * risk_aversion * exact @ data.covariance @ exact
    assert result.objective_value == pytest.approx(utility, rel=1e-9)


@pytest.mark.parametrize("above_minimum", [1.05, 1.15, 1.5])
def test_long_only_efficient_risk_matches_the_oracle_frontier(above_minimum: float) -> None:
    data, model = market()
    lowest = minimum_variance(model, CAPPED).volatility
    target = above_minimum * lowest
    exact = oracle.efficient_risk(data.covariance, data.expected_returns, target, upper=0.25)
    result = efficient_risk(model, target, CAPPED)
    assert_weights(result.weights, exact, WEIGHT_TOLERANCE)
    # A cone program, solved to 1e-9 (solving.CONE_TOLERANCE): the limit holds to that.
    assert result.volatility == pytest.approx(target, rel=1e-8)


def test_efficient_risk_with_a_slack_limit_is_the_maximum_return_portfolio() -> None:
    data, model = market()
    exact = oracle.maximum_return_long_only(data.expected_returns, 0.25)
    generous = 2.0 * math.sqrt(exact @ data.covariance @ exact)
    result = efficient_risk(model, generous, CAPPED)
    assert_weights(result.weights, exact, WEIGHT_TOLERANCE)
    assert result.volatility < 0.6 * generous


def test_unconstrained_maximum_sharpe_is_the_daily_tangency_portfolio() -> None:
    data, model = market()
    exact = oracle.tangency(data.covariance, data.expected_returns, DAILY_RISK_FREE)
    result = maximum_sharpe(model, LONG_SHORT)
    assert_weights(result.weights, exact, 1e-10)


@pytest.mark.parametrize("upper", [None, 0.3])
def test_long_only_maximum_sharpe_matches_the_homogenised_qp(upper: float | None) -> None:
    data, model = market()
    exact = oracle.maximum_sharpe(data.covariance, data.expected_returns, DAILY_RISK_FREE, upper)
    result = maximum_sharpe(model, PortfolioConstraints(upper_bound=upper))
    assert_weights(result.weights, exact, WEIGHT_TOLERANCE)
    excess = exact @ data.expected_returns - DAILY_RISK_FREE
    sharpe = excess / math.sqrt(exact @ data.covariance @ exact)
    assert result.objective_value == pytest.approx(sharpe, rel=1e-9)


def test_every_frontier_point_matches_the_certified_qp_at_its_target() -> None:
    data, model = market()
    frontier = efficient_frontier(model, 6, CAPPED)
    for target, portfolio in zip(frontier.target_returns, frontier.portfolios, strict=True):
        exact = oracle.efficient_return(
            data.covariance, data.expected_returns, float(target), upper=0.25
        )
        assert_weights(portfolio.weights, exact, WEIGHT_TOLERANCE)
    # The ends are the minimum-variance and maximum-return portfolios themselves.
    lowest = oracle.minimum_variance(data.covariance, lower=0.0, upper=0.25)
    assert_weights(frontier.portfolios[0].weights, lowest, WEIGHT_TOLERANCE)
    highest = oracle.maximum_return_long_only(data.expected_returns, 0.25)
    assert_weights(frontier.portfolios[-1].weights, highest, WEIGHT_TOLERANCE)


def test_maximum_return_under_a_daily_tracking_error_limit_matches_the_closed_form() -> None:
    data, model = market()
    benchmark = np.full(model.size, 1.0 / model.size)
    limit = 0.002  # 20 bp a day of active risk
    constraints = PortfolioConstraints(
        long_only=False,
        benchmark_weights=dict(zip(model.asset_ids, benchmark, strict=True)),
        tracking_error_limit=limit,
    )
    exact = oracle.maximum_return_under_tracking_error(
        data.covariance, data.expected_returns, benchmark, limit
    )
    assert_weights(maximum_return(model, constraints).weights, exact, WEIGHT_TOLERANCE)


def test_a_tiny_intraday_scale_is_solved_as_accurately_as_a_daily_one() -> None:
    data, _ = market()
    per_second = 1.0 / (6.5 * 3600)  # one second of a trading day: variances ~1e-9
    model = MarketModel.from_covariance(
        data.asset_ids, data.expected_returns * per_second, data.covariance * per_second
    )
    exact = oracle.efficient_return(
        data.covariance * per_second,
        data.expected_returns * per_second,
        6e-4 * per_second,
        upper=0.25,
    )
    result = efficient_return(model, 6e-4 * per_second, CAPPED)
    assert_weights(result.weights, exact, WEIGHT_TOLERANCE)


# -- rebalancing with transaction costs ------------------------------------------------------------


def current_book(size: int) -> np.ndarray:
    book = np.random.default_rng(3).dirichlet(np.ones(size))
    return book


def test_utility_rebalance_with_costs_and_turnover_matches_the_certified_qp() -> None:
    data, model = market()
    current = current_book(model.size)
    linear, quadratic, turnover = 2e-4, 2e-3, 0.4
    constraints = PortfolioConstraints(
        current_weights=dict(zip(model.asset_ids, current, strict=True)), turnover_limit=turnover
    )
    costs = TransactionCosts(linear=linear, quadratic=quadratic)
    exact = oracle.rebalance_utility(
        data.covariance, data.expected_returns, 4.0, current, linear, quadratic, turnover
    )
    result = maximum_utility(model, 4.0, constraints, costs)
    assert_weights(result.weights, exact, WEIGHT_TOLERANCE)
    # The case is non-trivial: some assets are bought, some sold, some left alone.
    trades = exact - current
    assert np.any(trades > 1e-6) and np.any(trades < -1e-6)


def test_efficient_return_net_of_linear_costs_matches_the_certified_qp() -> None:
    data, model = market()
    current = current_book(model.size)
    linear = 5e-5  # 0.5 bp: costs of the order of a daily return (5 bp could not reach the target)
    book_return = float(data.expected_returns @ current)
    target = book_return + 0.5 * (float(data.expected_returns.max()) - book_return)
    constraints = PortfolioConstraints(
        current_weights=dict(zip(model.asset_ids, current, strict=True))
    )
    exact = oracle.efficient_return_with_costs(
        data.covariance, data.expected_returns, target, current, linear
    )
    result = efficient_return(model, target, constraints, TransactionCosts(linear=linear))
    assert_weights(result.weights, exact, WEIGHT_TOLERANCE)
    trades = exact - current
    assert np.any(trades > 1e-6) and np.any(trades < -1e-6) and np.any(np.abs(trades) < 1e-12)


def test_maximum_sharpe_net_of_linear_costs_matches_the_homogenised_split_qp() -> None:
    data, model = market()
    current = current_book(model.size)
    linear = 5e-5
    constraints = PortfolioConstraints(
        current_weights=dict(zip(model.asset_ids, current, strict=True))
    )
    exact = oracle.maximum_sharpe_with_costs(
        data.covariance, data.expected_returns, DAILY_RISK_FREE, current, linear
    )
    result = maximum_sharpe(model, constraints, TransactionCosts(linear=linear))
    assert_weights(result.weights, exact, WEIGHT_TOLERANCE)
    trades = exact - current
    assert np.any(trades > 1e-6) and np.any(trades < -1e-6)


# -- Black-Litterman posterior into an optimiser ---------------------------------------------------


def test_black_litterman_posterior_in_daily_units_feeds_an_exact_optimum() -> None:
    data, _ = market()
    ids = data.asset_ids
    market_weights = np.random.default_rng(5).dirichlet(np.ones(len(ids)) * 5.0)
    views = (View.absolute(ids[0], 8e-4), View.relative(ids[1], ids[2], 3e-4, confidence=0.6))
    posterior = black_litterman(
        ids, data.covariance, dict(zip(ids, market_weights, strict=True)), views
    )
    exact_mean = oracle.black_litterman_mixed_estimate(
        data.covariance,
        2.5 * data.covariance @ market_weights,
        posterior.pick_matrix,
        posterior.view_returns,
        posterior.omega,
        0.05,
    )
    np.testing.assert_allclose(posterior.posterior_returns, exact_mean, rtol=1e-9, atol=1e-15)

    model = posterior.market_model(DAILY_RISK_FREE)
    exact = oracle.maximum_utility(
        posterior.posterior_covariance,
        posterior.posterior_returns + DAILY_RISK_FREE,
        2.5,
        lower=0.0,
        upper=None,
    )
    assert_weights(maximum_utility(model, 2.5).weights, exact, WEIGHT_TOLERANCE)


# -- minimum CVaR ----------------------------------------------------------------------------------


def daily_scenarios(seed: int = 21, count: int = 250, size: int = 6) -> np.ndarray:
    data = oracle.daily_market(seed, size)
    rng = np.random.default_rng(seed)
    # Student-t (4 dof) daily returns: fat tails, the case CVaR is for.
    shocks = rng.standard_t(4, size=(count, size)) / math.sqrt(2.0)
    return data.expected_returns + shocks @ np.linalg.cholesky(data.covariance).T


def test_minimum_cvar_on_daily_scenarios_matches_the_simplex_vertex() -> None:
    scenarios = daily_scenarios()
    ids = tuple(f"d{i}" for i in range(scenarios.shape[1]))
    # (1 - 0.95) * 250 = 12.5 tail scenarios: VaR and the optimal weights are unique.
    exact = oracle.minimum_cvar(scenarios, 0.95, upper=0.4)
    result = minimum_cvar(
        ids, scenarios, confidence=0.95, constraints=PortfolioConstraints(upper_bound=0.4)
    )
    assert_weights(result.portfolio.weights, exact.weights, WEIGHT_TOLERANCE)
    assert result.value_at_risk == pytest.approx(exact.value_at_risk, abs=1e-10)
    assert result.conditional_value_at_risk == pytest.approx(
        exact.conditional_value_at_risk, abs=1e-10
    )
    assert scenario_cvar(scenarios, exact.weights, 0.95) == pytest.approx(
        exact.conditional_value_at_risk, abs=1e-12
    )


# -- risk budgeting and HRP (no cvxpy; checked in daily units all the same) ------------------------


def test_risk_budgeting_in_daily_units_matches_coordinate_descent() -> None:
    data, _ = market()
    budgets = np.linspace(1.0, 2.0, len(data.asset_ids))
    budgets /= budgets.sum()
    exact = oracle.risk_budget_weights(data.covariance, budgets)
    result = risk_budgeting(data.asset_ids, data.covariance, budgets)
    assert_weights(result.weights, exact, 1e-12)
    np.testing.assert_allclose(result.risk_contributions, budgets, atol=1e-12)


def test_hierarchical_risk_parity_does_not_depend_on_the_period_of_the_inputs() -> None:
    data, _ = market()
    daily = hierarchical_risk_parity(data.asset_ids, data.covariance)
    annual = hierarchical_risk_parity(data.asset_ids, 252.0 * data.covariance)
    assert_weights(daily.weights, annual.weights, 1e-12)


# -- bad input in daily units still gets the clear errors ------------------------------------------


def test_a_non_psd_daily_covariance_is_rejected_before_any_solve() -> None:
    data, _ = market()
    broken = data.covariance.copy()
    broken[0, 1] = broken[1, 0] = 3.0 * math.sqrt(broken[0, 0] * broken[1, 1])
    with pytest.raises(NonPsdCovarianceError, match="not positive semi-definite"):
        MarketModel.from_covariance(data.asset_ids, data.expected_returns, broken)
    with pytest.raises(NonPsdCovarianceError, match="not positive semi-definite"):
        risk_budgeting(data.asset_ids, broken)


def test_a_nan_in_daily_inputs_is_rejected_with_its_position() -> None:
    data, _ = market()
    broken = data.covariance.copy()
    broken[2, 3] = math.nan
    with pytest.raises(InvalidInputError, match=r"non-finite value nan at position \(2, 3\)"):
        MarketModel.from_covariance(data.asset_ids, data.expected_returns, broken)
    scenarios = daily_scenarios()
    scenarios[7, 1] = math.nan
    with pytest.raises(InvalidInputError, match="non-finite"):
        minimum_cvar(tuple(f"d{i}" for i in range(scenarios.shape[1])), scenarios)
