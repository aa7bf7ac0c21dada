"""Markowitz mean-variance optimisation with cvxpy.

Problems (``Sigma = F F^T + diag(s^2)``, ``cost`` from :mod:`.costs`, ``C`` = the constraint set):

* minimum variance      -- ``min w^T Sigma w + cost(w)``                       s.t. ``w in C``
* maximum return        -- ``max mu^T w - cost(w)``                            s.t. ``w in C``
* maximum utility       -- ``max mu^T w - cost(w) - (delta / 2) w^T Sigma w``  s.t. ``w in C``
* efficient return      -- ``min w^T Sigma w + cost(w)`` s.t. ``mu^T w - cost(w) >= target``, C
* efficient risk        -- ``max mu^T w - cost(w)`` s.t. ``sqrt(w^T Sigma w) <= target``, C
* maximum Sharpe        -- ``max (mu^T w - cost(w) - r_f b) / sqrt(w^T Sigma w)`` s.t. ``w in C``,
  solved as the convex homogenised problem (Cornuejols & Tutuncu 2007, sec. 8.2)::

      min y^T Sigma y   s.t.  (mu - r_f)^T y - cost_h(y, kappa) >= 1,  (y, kappa) in cone(C),
      kappa >= 0,       then  w = y / kappa

* efficient frontier    -- the efficient-return problem built once with the target as a cvxpy
  ``Parameter`` and re-solved for each target between the minimum-variance return and the maximum
  return; cvxpy caches the canonicalisation, so each extra point costs one solver call.

The target-return constraint is an inequality (``>=``), so targets below the minimum-variance
return give the minimum-variance portfolio -- the efficient part of the Markowitz bullet only.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence

import cvxpy as cp
import numpy as np

from .constraints import PortfolioConstraints, ResolvedConstraints, resolve_constraints
from .costs import ResolvedCosts, TransactionCosts, resolve_costs
from .errors import InfeasibleProblemError, InvalidInputError, UnboundedProblemError
from .formulation import Formulation, formulate
from .problem import MarketModel
from .results import EfficientFrontier, PortfolioResult, clip_long_only, weights_mapping
from .solving import DEFAULT_SOLVER, check_solver, check_weights_bounded, solve
from .validation import FloatArray, finite_scalar, non_negative_scalar, positive_scalar, read_only

FAMILY_TARGET_RETURN = "target return"
FAMILY_TARGET_RISK = "target volatility"
FAMILY_POSITIVE_EXCESS = "positive excess return (maximum Sharpe)"

#: Below this ``kappa`` the homogenised Sharpe solution cannot be scaled back to weights (a
#: zero-investment portfolio); a last guard behind the explicit ``kappa = 0`` comparison.
MIN_SHARPE_KAPPA = 1e-9


def _setup(
    model: MarketModel,
    constraints: PortfolioConstraints | None,
    costs: TransactionCosts | None,
    solver: str,
) -> tuple[ResolvedConstraints, ResolvedCosts]:
    if not isinstance(model, MarketModel):
        raise InvalidInputError(f"model must be a MarketModel, got {type(model).__name__}")
    check_solver(solver)
    resolved = resolve_constraints(constraints or PortfolioConstraints(), model.asset_ids)
    return resolved, resolve_costs(costs, model.asset_ids)


def build_result(
    model: MarketModel,
    raw_weights: FloatArray,
    resolved: ResolvedConstraints,
    costs: ResolvedCosts,
    *,
    solver: str,
    status: str,
    objective_value: float,
    active_constraints: Sequence[str],
) -> PortfolioResult:
    """Measure a solved weight vector with NumPy (not with the solver's own objective)."""
    check_weights_bounded(raw_weights, solver=solver, active_constraints=active_constraints)
    weights = clip_long_only(raw_weights) if resolved.long_only else read_only(raw_weights.copy())
    expected = float(model.expected_returns @ weights)
    volatility = model.volatility(weights)
    cost = costs.evaluate(weights, resolved.current)
    excess = expected - cost - model.risk_free_rate * float(np.sum(weights))
    sharpe = excess / volatility if volatility > 1e-12 else None
    return PortfolioResult(
        asset_ids=model.asset_ids,
        weights=weights,
        weights_by_asset=weights_mapping(model.asset_ids, weights),
        expected_return=expected,
        volatility=volatility,
        sharpe_ratio=sharpe,
        transaction_cost=cost,
        status=status,
        solver=solver,
        objective_value=objective_value,
    )


def _solve_and_measure(
    model: MarketModel,
    form: Formulation,
    objective: cp.Minimize | cp.Maximize,
    resolved: ResolvedConstraints,
    costs: ResolvedCosts,
    *,
    extra: list[cp.Constraint],
    extra_families: tuple[str, ...],
    solver: str,
) -> PortfolioResult:
    problem = cp.Problem(objective, form.constraints + extra)
    families = form.families + extra_families
    solve(problem, solver=solver, active_constraints=families)
    return build_result(
        model,
        np.asarray(form.weights.value, dtype=np.float64),
        resolved,
        costs,
        solver=solver,
        status=problem.status,
        objective_value=float(problem.value),
        active_constraints=families,
    )


def minimum_variance(
    model: MarketModel,
    constraints: PortfolioConstraints | None = None,
    costs: TransactionCosts | None = None,
    *,
    solver: str = DEFAULT_SOLVER,
) -> PortfolioResult:
    """Global minimum-variance portfolio under ``constraints`` (default: long-only, fully invested).

    Two-asset, unconstrained check: ``w1 = (s2^2 - s12) / (s1^2 + s2^2 - 2 s12)``.
    """
    resolved, resolved_costs = _setup(model, constraints, costs, solver)
    form = formulate(model, resolved, resolved_costs)
    objective = cp.Minimize(cp.sum_squares(form.risk) + form.cost)
    return _solve_and_measure(
        model, form, objective, resolved, resolved_costs, extra=[], extra_families=(), solver=solver
    )


def maximum_return(
    model: MarketModel,
    constraints: PortfolioConstraints | None = None,
    costs: TransactionCosts | None = None,
    *,
    solver: str = DEFAULT_SOLVER,
) -> PortfolioResult:
    """Highest net expected return ``mu^T w - cost(w)``; needs bounded constraints (an LP)."""
    resolved, resolved_costs = _setup(model, constraints, costs, solver)
    form = formulate(model, resolved, resolved_costs)
    objective = cp.Maximize(form.expected_return - form.cost)
    return _solve_and_measure(
        model, form, objective, resolved, resolved_costs, extra=[], extra_families=(), solver=solver
    )


def maximum_utility(
    model: MarketModel,
    risk_aversion: float,
    constraints: PortfolioConstraints | None = None,
    costs: TransactionCosts | None = None,
    *,
    solver: str = DEFAULT_SOLVER,
) -> PortfolioResult:
    """Quadratic utility ``mu^T w - cost(w) - (risk_aversion / 2) w^T Sigma w``, maximised."""
    delta = positive_scalar("risk_aversion", risk_aversion)
    resolved, resolved_costs = _setup(model, constraints, costs, solver)
    form = formulate(model, resolved, resolved_costs)
    objective = cp.Maximize(
        form.expected_return - form.cost - 0.5 * delta * cp.sum_squares(form.risk)
    )
    return _solve_and_measure(
        model, form, objective, resolved, resolved_costs, extra=[], extra_families=(), solver=solver
    )


def efficient_return(
    model: MarketModel,
    target_return: float,
    constraints: PortfolioConstraints | None = None,
    costs: TransactionCosts | None = None,
    *,
    solver: str = DEFAULT_SOLVER,
) -> PortfolioResult:
    """Minimum variance subject to a net expected return of at least ``target_return``."""
    target = finite_scalar("target_return", target_return)
    resolved, resolved_costs = _setup(model, constraints, costs, solver)
    form = formulate(model, resolved, resolved_costs)
    objective = cp.Minimize(cp.sum_squares(form.risk) + form.cost)
    return _solve_and_measure(
        model,
        form,
        objective,
        resolved,
        resolved_costs,
        extra=[form.expected_return - form.cost >= target],
        extra_families=(FAMILY_TARGET_RETURN,),
        solver=solver,
    )


def efficient_risk(
    model: MarketModel,
    target_volatility: float,
    constraints: PortfolioConstraints | None = None,
    costs: TransactionCosts | None = None,
    *,
    solver: str = DEFAULT_SOLVER,
) -> PortfolioResult:
    """Maximum net expected return subject to a volatility of at most ``target_volatility``."""
    target = non_negative_scalar("target_volatility", target_volatility)
    resolved, resolved_costs = _setup(model, constraints, costs, solver)
    form = formulate(model, resolved, resolved_costs)
    objective = cp.Maximize(form.expected_return - form.cost)
    return _solve_and_measure(
        model,
        form,
        objective,
        resolved,
        resolved_costs,
        extra=[cp.norm(form.risk, 2) <= target],
        extra_families=(FAMILY_TARGET_RISK,),
        solver=solver,
    )


ZERO_INVESTMENT_REASON = (
    "the Sharpe ratio is approached only by a zero-investment (self-financing) portfolio; no "
    "portfolio with the requested budget attains it -- add bounds or a leverage limit"
)


def _cone_excludes_zero_investment(resolved: ResolvedConstraints) -> bool:
    """True when ``kappa = 0`` forces ``y = 0`` (finite bounds everywhere or a leverage limit)."""
    bounded = bool(np.all(np.isfinite(resolved.lower)) and np.all(np.isfinite(resolved.upper)))
    return bounded or resolved.gross_leverage is not None


def _reject_zero_investment_sharpe(
    problem: cp.Problem,
    form: Formulation,
    excess: cp.Expression,
    solver: str,
    families: tuple[str, ...],
) -> None:
    """Raise when a ``kappa = 0`` (self-financing) direction does as well as the optimum.

    Then the supremum of the Sharpe ratio is reached only in the limit ``kappa -> 0``: unbounded
    weights, e.g. unconstrained long/short with ``1^T Sigma^-1 (mu - r_f) <= 0``. An interior-point
    solver returns a small positive ``kappa`` there, so the comparison is made explicitly.
    """
    assert form.kappa is not None
    limit = cp.Problem(problem.objective, [*form.constraints, excess >= 1.0, form.kappa == 0.0])
    with contextlib.suppress(InfeasibleProblemError):
        solve(limit, solver=solver, active_constraints=families)
        if float(limit.value) <= float(problem.value) * (1.0 + 1e-6) + 1e-12:
            raise UnboundedProblemError(ZERO_INVESTMENT_REASON, families)


def maximum_sharpe(
    model: MarketModel,
    constraints: PortfolioConstraints | None = None,
    costs: TransactionCosts | None = None,
    *,
    solver: str = DEFAULT_SOLVER,
) -> PortfolioResult:
    """Tangency portfolio: highest ``(mu^T w - cost - r_f sum(w)) / sigma`` under ``constraints``.

    Solved through the homogenised convex problem (module docstring). Unconstrained long/short it
    equals the closed form ``w = Sigma^-1 (mu - r_f) / 1^T Sigma^-1 (mu - r_f)``. Infeasible when no
    admissible portfolio earns more than the risk-free rate net of costs.
    """
    resolved, resolved_costs = _setup(model, constraints, costs, solver)
    if resolved.budget <= 0.0:
        raise InvalidInputError(
            f"maximum Sharpe needs a positive budget, got {resolved.budget}: the Sharpe ratio of "
            "a zero or negative net investment is not defined"
        )
    form = formulate(model, resolved, resolved_costs, homogeneous=True)
    assert form.kappa is not None  # homogeneous formulation always has kappa
    excess = (model.expected_returns - model.risk_free_rate) @ form.weights - form.cost
    problem = cp.Problem(cp.Minimize(cp.sum_squares(form.risk)), [*form.constraints, excess >= 1.0])
    families = (*form.families, FAMILY_POSITIVE_EXCESS)
    solve(problem, solver=solver, active_constraints=families)
    kappa = float(form.kappa.value)
    scaled_weights = np.asarray(form.weights.value, dtype=np.float64)
    status, variance = problem.status, float(problem.value)
    if not _cone_excludes_zero_investment(resolved):
        # Solves a second problem over the same variables: read the solution above first.
        _reject_zero_investment_sharpe(problem, form, excess, solver, families)
    if kappa < MIN_SHARPE_KAPPA:
        raise UnboundedProblemError(ZERO_INVESTMENT_REASON, families)
    return build_result(
        model,
        scaled_weights / kappa,
        resolved,
        resolved_costs,
        solver=solver,
        status=status,
        objective_value=1.0 / math.sqrt(max(variance, 1e-300)),
        active_constraints=families,
    )


def efficient_frontier(
    model: MarketModel,
    points: int,
    constraints: PortfolioConstraints | None = None,
    costs: TransactionCosts | None = None,
    *,
    solver: str = DEFAULT_SOLVER,
) -> EfficientFrontier:
    """``points`` efficient portfolios, evenly spaced in net return from min-variance to max-return.

    One cvxpy ``Problem`` with a ``Parameter`` target is compiled once and re-solved with
    ``warm_start=True`` (CLARABEL is an interior-point solver and restarts from its own initial
    point; the saving is the cached canonicalisation, which dominates for large universes).
    """
    if isinstance(points, bool) or not isinstance(points, int | np.integer) or points < 2:
        raise InvalidInputError(f"points must be an integer >= 2, got {points!r}")
    resolved, resolved_costs = _setup(model, constraints, costs, solver)
    lowest = minimum_variance(model, constraints, costs, solver=solver)
    highest = maximum_return(model, constraints, costs, solver=solver)
    low = lowest.expected_return - lowest.transaction_cost
    high = highest.expected_return - highest.transaction_cost
    # The top target sits on the boundary of the feasible set; a relative hair below it keeps the
    # interior-point solver's Slater condition without moving the point visibly.
    high_target = high - 1e-9 * max(1.0, abs(high))
    targets = np.linspace(low, max(low, high_target), points)

    form = formulate(model, resolved, resolved_costs)
    target = cp.Parameter(name="target_return")
    families = (*form.families, FAMILY_TARGET_RETURN)
    problem = cp.Problem(
        cp.Minimize(cp.sum_squares(form.risk) + form.cost),
        [*form.constraints, form.expected_return - form.cost >= target],
    )
    portfolios: list[PortfolioResult] = []
    for value in targets:
        target.value = float(value)
        solve(problem, solver=solver, active_constraints=families, warm_start=True)
        portfolios.append(
            build_result(
                model,
                np.asarray(form.weights.value, dtype=np.float64),
                resolved,
                resolved_costs,
                solver=solver,
                status=problem.status,
                objective_value=float(problem.value),
                active_constraints=families,
            )
        )
    return EfficientFrontier(
        portfolios=tuple(portfolios),
        target_returns=read_only(targets),
        expected_returns=read_only(np.array([p.expected_return for p in portfolios])),
        volatilities=read_only(np.array([p.volatility for p in portfolios])),
    )
