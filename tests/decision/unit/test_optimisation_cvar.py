"""Minimum CVaR (Rockafellar-Uryasev LP) over return scenarios."""

from __future__ import annotations

import numpy as np
import pytest

from bounded_contexts.decision.domain.optimisation import (
    DimensionMismatchError,
    InfeasibleProblemError,
    InvalidInputError,
    PortfolioConstraints,
    TransactionCosts,
    UnknownAssetError,
    minimum_cvar,
    scenario_cvar,
)

IDS = ("a", "b", "c")


def scenarios(seed: int = 5, count: int = 200) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal([0.004, 0.006, 0.008], [0.01, 0.02, 0.035], size=(count, 3))


def test_a_riskless_asset_absorbs_the_whole_portfolio() -> None:
    returns = scenarios()
    returns[:, 0] = 0.001
    result = minimum_cvar(IDS, returns, confidence=0.95)
    np.testing.assert_allclose(result.portfolio.weights, [1.0, 0.0, 0.0], atol=1e-7)
    assert result.conditional_value_at_risk == pytest.approx(-0.001, abs=1e-9)
    assert result.value_at_risk == pytest.approx(-0.001, abs=1e-7)


def test_lp_cvar_equals_the_mean_of_the_worst_tail_losses() -> None:
    returns = scenarios()
    result = minimum_cvar(IDS, returns, confidence=0.95)
    losses = np.sort(-(returns @ result.portfolio.weights))[::-1]
    assert result.conditional_value_at_risk == pytest.approx(losses[:10].mean(), abs=1e-8)
    assert losses[10] - 1e-7 <= result.value_at_risk <= losses[9] + 1e-7


def test_no_other_portfolio_has_lower_scenario_cvar() -> None:
    returns = scenarios(9)
    best = minimum_cvar(IDS, returns, confidence=0.9)
    rng = np.random.default_rng(0)
    for candidate in rng.dirichlet(np.ones(3), size=200):
        assert scenario_cvar(returns, candidate, 0.9) >= best.conditional_value_at_risk - 1e-9


def test_fractional_tail_matches_the_lp_value() -> None:
    returns = scenarios(3, count=130)
    result = minimum_cvar(IDS, returns, confidence=0.97)
    direct = scenario_cvar(returns, result.portfolio.weights, 0.97)
    assert result.conditional_value_at_risk == pytest.approx(direct, abs=1e-8)


def test_a_target_return_moves_the_portfolio_to_riskier_assets() -> None:
    returns = scenarios()
    loose = minimum_cvar(IDS, returns)
    mean = returns.mean(axis=0)
    target = 0.5 * (loose.portfolio.expected_return + mean.max())
    tight = minimum_cvar(IDS, returns, target_return=target)
    assert tight.portfolio.expected_return >= target - 1e-8
    assert tight.conditional_value_at_risk > loose.conditional_value_at_risk


def test_constraints_and_costs_apply_to_cvar() -> None:
    returns = scenarios()
    current = {"c": 1.0}
    constraints = PortfolioConstraints(upper_bound=0.7, current_weights=current, turnover_limit=0.8)
    result = minimum_cvar(IDS, returns, constraints=constraints, costs=TransactionCosts(0.001))
    w = result.portfolio.weights
    assert w.max() <= 0.7 + 1e-8
    assert np.abs(w - [0.0, 0.0, 1.0]).sum() <= 0.8 + 1e-7
    gross = scenario_cvar(returns, w, 0.95)
    assert result.conditional_value_at_risk == pytest.approx(
        gross + result.portfolio.transaction_cost, abs=1e-8
    )


def test_an_unreachable_target_return_is_infeasible_and_names_the_target() -> None:
    with pytest.raises(InfeasibleProblemError, match="target return"):
        minimum_cvar(IDS, scenarios(), target_return=1.0)


def test_minimum_cvar_rejects_bad_input() -> None:
    with pytest.raises(InvalidInputError, match="confidence"):
        minimum_cvar(IDS, scenarios(), confidence=1.0)
    with pytest.raises(DimensionMismatchError, match="scenario_returns"):
        minimum_cvar(("a", "b"), scenarios())
    with pytest.raises(InvalidInputError, match="non-finite"):
        bad = scenarios()
        bad[3, 1] = np.nan
        minimum_cvar(IDS, bad)
    with pytest.raises(UnknownAssetError, match="'z'"):
        minimum_cvar(IDS, scenarios(), constraints=PortfolioConstraints(asset_bounds={"z": (0, 1)}))
    with pytest.raises(InvalidInputError, match="target_return"):
        minimum_cvar(IDS, scenarios(), target_return=np.inf)
    with pytest.raises(InvalidInputError, match="not installed"):
        minimum_cvar(IDS, scenarios(), solver="NOPE")


def test_scenario_cvar_rejects_misaligned_input() -> None:
    with pytest.raises(InvalidInputError, match="do not align"):
        scenario_cvar(scenarios(), [0.5, 0.5], 0.95)
    with pytest.raises(InvalidInputError, match="confidence"):
        scenario_cvar(scenarios(), [0.5, 0.25, 0.25], 0.0)
