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

Units: each problem is handed to the solver rescaled by :class:`~.scaling.ProblemScaling` -- returns
and volatilities divided by a power of two ``r`` near the assets' typical volatility, variances by
``r^2`` -- and its objective divided by the unit of its leading term (``r^2`` when it is a variance,
``r`` when it is a return). That is an exact change of units, so the optimum is the caller's, but
the solver now sees numbers of order one: without it, daily-return inputs (variances ~1e-4) met
CLARABEL's absolute stopping tolerances (1e-8) with weights 1e-5 to 2e-3 off. Weights are
measured afterwards with NumPy in the caller's units; ``objective_value`` is mapped back to them.
"""

from __future__ import annotations

import contextlib
import dataclasses
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
from .scaling import ProblemScaling
from .solving import DEFAULT_SOLVER, check_solver, check_weights_bounded, solve
from .validation import FloatArray, finite_scalar, non_negative_scalar, positive_scalar, read_only

FAMILY_TARGET_RETURN = "target return"
FAMILY_TARGET_RISK = "target volatility"
FAMILY_POSITIVE_EXCESS = "positive excess return (maximum Sharpe)"

#: ``efficient_risk`` refines its solution (see there) when the volatility reached is within this
#: fraction of the target, i.e. when the volatility limit binds.
BINDING_RISK_FRACTION = 1e-6

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


def _formulate(
    model: MarketModel,
    resolved: ResolvedConstraints,
    costs: ResolvedCosts,
    *,
    homogeneous: bool = False,
) -> Formulation:
    """The problem in volatility units (module docstring): unit mean variance, returns / ``r``."""
    return formulate(
        model, resolved, costs, scaling=ProblemScaling.of_model(model), homogeneous=homogeneous
    )


def _variance_objective(form: Formulation) -> cp.Expression:
    """``(w^T Sigma w + cost(w)) / r^2`` in the scaled units: ``|risk|^2 + (cost / r) / r``."""
    return cp.sum_squares(form.risk) + form.cost / form.scaling.return_unit


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
    objective_unit: float,
    solver: str,
) -> PortfolioResult:
    """Solve, then report ``objective_value`` in the caller's units (solver's value x unit)."""
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
        objective_value=float(problem.value) * objective_unit,
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
    form = _formulate(model, resolved, resolved_costs)
    return _solve_and_measure(
        model,
        form,
        cp.Minimize(_variance_objective(form)),
        resolved,
        resolved_costs,
        extra=[],
        extra_families=(),
        objective_unit=form.scaling.variance_unit,
        solver=solver,
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
    form = _formulate(model, resolved, resolved_costs)
    return _solve_and_measure(
        model,
        form,
        cp.Maximize(form.expected_return - form.cost),
        resolved,
        resolved_costs,
        extra=[],
        extra_families=(),
        objective_unit=form.scaling.return_unit,
        solver=solver,
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
    form = _formulate(model, resolved, resolved_costs)
    # Divided by r^2: (mu^T w - cost) / r^2 = (scaled return - scaled cost) / r.
    net_return = (form.expected_return - form.cost) / form.scaling.return_unit
    return _solve_and_measure(
        model,
        form,
        cp.Maximize(net_return - 0.5 * delta * cp.sum_squares(form.risk)),
        resolved,
        resolved_costs,
        extra=[],
        extra_families=(),
        objective_unit=form.scaling.variance_unit,
        solver=solver,
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
    form = _formulate(model, resolved, resolved_costs)
    scaled_target = target / form.scaling.return_unit
    return _solve_and_measure(
        model,
        form,
        cp.Minimize(_variance_objective(form)),
        resolved,
        resolved_costs,
        extra=[form.expected_return - form.cost >= scaled_target],
        extra_families=(FAMILY_TARGET_RETURN,),
        objective_unit=form.scaling.variance_unit,
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
    """Maximum net expected return subject to a volatility of at most ``target_volatility``.

    Solved in two steps when the volatility limit binds. The second-order-cone problem pins the
    best net return ``m*`` far more tightly than the weights: its objective is flat along the
    risk ellipsoid, so an interior-point solve left the weights up to ~3e-5 (1e-6 with tolerances
    of 1e-10) from the optimum on daily inputs. The minimum-variance portfolio earning ``m*`` -- a
    QP, solved to ~1e-10 -- is then solved for and returned: it earns ``m*`` and has no more
    variance than the first solution, so it is an optimum of the original problem (the unique one
    when it is unique, else the least risky). When the limit does not bind, the first solution is
    returned as is.
    """
    target = non_negative_scalar("target_volatility", target_volatility)
    resolved, resolved_costs = _setup(model, constraints, costs, solver)
    form = _formulate(model, resolved, resolved_costs)
    families = (*form.families, FAMILY_TARGET_RISK)
    net_return = form.expected_return - form.cost
    best_return = cp.Problem(
        cp.Maximize(net_return),
        [*form.constraints, cp.norm(form.risk, 2) <= target / form.scaling.return_unit],
    )
    solve(best_return, solver=solver, active_constraints=families)
    weights = np.asarray(form.weights.value, dtype=np.float64)
    statuses = {best_return.status}
    check_weights_bounded(weights, solver=solver, active_constraints=families)
    if model.volatility(weights) >= target * (1.0 - BINDING_RISK_FRACTION):
        least_risk = cp.Problem(
            cp.Minimize(cp.sum_squares(form.risk)),
            [*form.constraints, net_return >= float(net_return.value)],
        )
        solve(least_risk, solver=solver, active_constraints=families)
        weights = np.asarray(form.weights.value, dtype=np.float64)
        statuses.add(least_risk.status)
    return build_result(
        model,
        weights,
        resolved,
        resolved_costs,
        solver=solver,
        status=cp.OPTIMAL_INACCURATE if cp.OPTIMAL_INACCURATE in statuses else cp.OPTIMAL,
        objective_value=float(net_return.value) * form.scaling.return_unit,
        active_constraints=families,
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

    In the scaled units the homogenised variable is ``r y`` and ``(r y)^T (Sigma / r^2) (r y) =
    y^T Sigma y``: the solver's optimal value is the caller's, and ``w = y / kappa`` is unchanged.
    """
    resolved, resolved_costs = _setup(model, constraints, costs, solver)
    if resolved.budget <= 0.0:
        raise InvalidInputError(
            f"maximum Sharpe needs a positive budget, got {resolved.budget}: the Sharpe ratio of "
            "a zero or negative net investment is not defined"
        )
    form = _formulate(model, resolved, resolved_costs, homogeneous=True)
    assert form.kappa is not None  # homogeneous formulation always has kappa
    excess_returns = form.scaling.returns(model.expected_returns - model.risk_free_rate)
    excess = excess_returns @ form.weights - form.cost
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

    The end points are the minimum-variance and maximum-return portfolios themselves, not
    re-solved: at the minimum-variance return the target constraint is active with a zero
    multiplier (a degenerate point, where an interior-point solve converges slowly: it stopped
    ~5e-5 off in weights on daily inputs), and at the maximum return the feasible set of the
    target constraint has no interior (the interior-point solver then fails, or needs the target
    moved below the maximum, which moves the portfolio). The problems without the target
    constraint give the same portfolios -- exactly, when the maximum-return portfolio is unique;
    when several portfolios tie for the maximum return, the last point is the one
    :func:`maximum_return` returns.
    """
    if isinstance(points, bool) or not isinstance(points, int | np.integer) or points < 2:
        raise InvalidInputError(f"points must be an integer >= 2, got {points!r}")
    resolved, resolved_costs = _setup(model, constraints, costs, solver)
    lowest = minimum_variance(model, constraints, costs, solver=solver)
    highest = maximum_return(model, constraints, costs, solver=solver)
    low = lowest.expected_return - lowest.transaction_cost
    high = highest.expected_return - highest.transaction_cost
    targets = np.linspace(low, max(low, high), points)
    if high <= low:  # the minimum-variance portfolio already earns the most: a one-point frontier
        return _frontier([lowest] * points, targets)

    form = _formulate(model, resolved, resolved_costs)
    target = cp.Parameter(name="scaled_target_return")
    families = (*form.families, FAMILY_TARGET_RETURN)
    problem = cp.Problem(
        cp.Minimize(_variance_objective(form)),
        [*form.constraints, form.expected_return - form.cost >= target],
    )
    portfolios: list[PortfolioResult] = [lowest]
    for value in targets[1:-1]:
        target.value = float(value) / form.scaling.return_unit
        solve(problem, solver=solver, active_constraints=families, warm_start=True)
        portfolios.append(
            build_result(
                model,
                np.asarray(form.weights.value, dtype=np.float64),
                resolved,
                resolved_costs,
                solver=solver,
                status=problem.status,
                objective_value=float(problem.value) * form.scaling.variance_unit,
                active_constraints=families,
            )
        )
    # Reported with the frontier's objective (variance + cost), like every other point.
    top_objective = highest.volatility**2 + highest.transaction_cost
    portfolios.append(dataclasses.replace(highest, objective_value=top_objective))
    return _frontier(portfolios, targets)


def _frontier(portfolios: Sequence[PortfolioResult], targets: FloatArray) -> EfficientFrontier:
    return EfficientFrontier(
        portfolios=tuple(portfolios),
        target_returns=read_only(targets),
        expected_returns=read_only(np.array([p.expected_return for p in portfolios])),
        volatilities=read_only(np.array([p.volatility for p in portfolios])),
    )
