"""Minimum conditional value-at-risk over return scenarios (Rockafellar & Uryasev 2000).

With scenario returns ``R`` (``T x n``, one row per equally likely scenario), loss
``L_t(w) = -R_t w`` and confidence ``alpha``, the CVaR (expected shortfall) of the worst
``(1 - alpha)`` tail equals the optimum of the linear program::

    min_{w, zeta, u}  zeta + 1 / ((1 - alpha) T) * sum_t u_t
    s.t.              u_t >= -R_t w - zeta,   u_t >= 0,   w in C

and at the optimum ``zeta`` is the VaR at ``alpha`` (the lower end of the optimal interval when
``(1 - alpha) T`` is an integer). Transaction costs are added to the objective: a deterministic
cost ``c`` shifts every scenario loss by ``c``, so ``CVaR(net) = CVaR(gross) + c`` exactly.
Constraints are the same :class:`PortfolioConstraints` as mean-variance; the tracking-error
constraint uses the scenarios' sample covariance.

Both VaR and CVaR are reported as positive numbers for losses (fractions of equity).

Units: the LP is solved in volatility units (:mod:`.scaling`): scenario returns, costs, the target
and hence ``zeta``, ``u`` and the objective are divided by a power of two ``r`` near the scenarios'
typical standard deviation, and VaR / CVaR are multiplied back by ``r`` -- an exact change of units
that keeps daily-return scenarios (losses ~1e-2) away from the solver's absolute tolerances.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cvxpy as cp
import numpy as np
from numpy.typing import ArrayLike

from .constraints import PortfolioConstraints, resolve_constraints
from .costs import TransactionCosts, resolve_costs
from .errors import InvalidInputError
from .formulation import formulate
from .mean_variance import FAMILY_TARGET_RETURN, build_result
from .problem import MarketModel
from .results import PortfolioResult
from .scaling import ProblemScaling
from .solving import DEFAULT_SOLVER, check_solver, solve
from .validation import finite_scalar

FAMILY_CVAR_TAIL = "CVaR tail"


@dataclass(frozen=True, eq=False)
class CvarResult:
    """Minimum-CVaR portfolio with its scenario VaR and CVaR at ``confidence``.

    ``portfolio.expected_return`` and ``portfolio.volatility`` are the scenario mean and sample
    standard deviation; ``conditional_value_at_risk`` includes transaction costs.
    """

    portfolio: PortfolioResult
    value_at_risk: float
    conditional_value_at_risk: float
    confidence: float


def scenario_cvar(scenario_returns: ArrayLike, weights: ArrayLike, confidence: float) -> float:
    """Empirical CVaR of ``weights`` over equally likely scenarios (Acerbi-Tasche tail mean).

    The worst ``(1 - alpha) T`` losses are averaged, with the boundary scenario weighted
    fractionally when ``(1 - alpha) T`` is not an integer -- the value the Rockafellar-Uryasev LP
    attains.
    """
    alpha = _confidence(confidence)
    scenarios = np.asarray(scenario_returns, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if scenarios.ndim != 2 or w.ndim != 1 or scenarios.shape[1] != w.shape[0]:
        raise InvalidInputError(
            f"scenario_returns {scenarios.shape} and weights {w.shape} do not align (T x n, n)"
        )
    losses = np.sort(-(scenarios @ w))[::-1]
    tail = (1.0 - alpha) * losses.shape[0]
    whole = int(np.floor(tail + 1e-12))
    total = float(losses[:whole].sum())
    if whole < losses.shape[0]:
        total += (tail - whole) * float(losses[whole])
    return total / tail


def _confidence(confidence: float) -> float:
    alpha = finite_scalar("confidence", confidence)
    if not 0.0 < alpha < 1.0:
        raise InvalidInputError(f"confidence must lie strictly between 0 and 1, got {alpha}")
    return alpha


def minimum_cvar(
    asset_ids: Sequence[str],
    scenario_returns: ArrayLike,
    *,
    confidence: float = 0.95,
    constraints: PortfolioConstraints | None = None,
    costs: TransactionCosts | None = None,
    target_return: float | None = None,
    solver: str = DEFAULT_SOLVER,
) -> CvarResult:
    """Portfolio with the lowest CVaR at ``confidence`` over the scenarios (an LP).

    ``target_return`` (optional) adds ``mean scenario return - cost >= target``.
    """
    alpha = _confidence(confidence)
    check_solver(solver)
    model = MarketModel.from_scenarios(asset_ids, scenario_returns)
    scenarios = np.asarray(scenario_returns, dtype=np.float64)
    resolved = resolve_constraints(constraints or PortfolioConstraints(), model.asset_ids)
    resolved_costs = resolve_costs(costs, model.asset_ids)
    scaling = ProblemScaling.of_model(model)
    form = formulate(model, resolved, resolved_costs, scaling=scaling)
    count = scenarios.shape[0]
    threshold = cp.Variable(name="scaled_value_at_risk")
    excess_loss = cp.Variable(count, nonneg=True, name="scaled_tail_excess_loss")
    tail = [excess_loss >= -(scaling.returns(scenarios) @ form.weights) - threshold]
    families = (*form.families, FAMILY_CVAR_TAIL)
    if target_return is not None:
        target = finite_scalar("target_return", target_return)
        tail.append(form.expected_return - form.cost >= target / scaling.return_unit)
        families = (*families, FAMILY_TARGET_RETURN)
    cvar = threshold + cp.sum(excess_loss) / ((1.0 - alpha) * count)
    problem = cp.Problem(cp.Minimize(cvar + form.cost), form.constraints + tail)
    solve(problem, solver=solver, active_constraints=families)
    portfolio = build_result(
        model,
        np.asarray(form.weights.value, dtype=np.float64),
        resolved,
        resolved_costs,
        solver=solver,
        status=problem.status,
        objective_value=float(problem.value) * scaling.return_unit,
        active_constraints=families,
    )
    return CvarResult(
        portfolio=portfolio,
        value_at_risk=float(threshold.value) * scaling.return_unit,
        conditional_value_at_risk=float(problem.value) * scaling.return_unit,
        confidence=alpha,
    )
