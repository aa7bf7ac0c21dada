"""Translate a market model, constraints and costs into cvxpy expressions.

One builder serves every problem. For the maximum-Sharpe problem it runs in *homogeneous* mode
(Cornuejols & Tutuncu, *Optimization Methods in Finance*, 2007, sec. 8.2): weights ``w`` are
replaced by ``y = kappa * w`` with ``kappa >= 0`` and every constraint is rewritten so that it is
positively homogeneous in ``(y, kappa)``::

    l <= w <= u             ->  kappa l <= y <= kappa u
    sum w = b               ->  sum y = kappa b
    sum |w| <= L            ->  sum |y| <= kappa L
    sum |w - w0| <= T       ->  sum |y - kappa w0| <= kappa T
    ||F^T (w - b)|| <= TE   ->  ||F^T (y - kappa b)|| <= kappa TE
    c |w - w0| + k (w-w0)^2 ->  c |y - kappa w0| + k (y - kappa w0)^2 / kappa   (perspective)

so that every constraint set stays convex. In normal mode ``kappa`` is the constant 1.

Every expression is built in the units of a :class:`~.scaling.ProblemScaling` (returns, costs and
volatilities divided by a power of two ``r``, variances by ``r^2``; see :mod:`.scaling` for why):
``risk``, ``cost`` and ``expected_return`` of the :class:`Formulation` are in those units, and the
optimisers map objective values back. Weight constraints are unit-free and unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from .constraints import ResolvedConstraints
from .costs import ResolvedCosts
from .problem import MarketModel
from .scaling import ProblemScaling


@dataclass(frozen=True, eq=False)
class Formulation:
    """Variables, constraints and the shared risk / cost expressions of one problem.

    ``risk`` (squared norm = variance / r^2), ``cost`` and ``expected_return`` (both / r) are in the
    units of ``scaling``.
    """

    weights: cp.Variable
    kappa: cp.Variable | None
    constraints: list[cp.Constraint]
    families: tuple[str, ...]
    risk: cp.Expression
    cost: cp.Expression
    expected_return: cp.Expression
    scaling: ProblemScaling


def risk_vector(
    model: MarketModel, weights: cp.Expression, scaling: ProblemScaling
) -> cp.Expression:
    """Vector with squared norm ``w^T Sigma w / r^2`` (factor part stacked on the specific part).

    The factor and the specific risks are divided by ``r`` here, in NumPy, so the solver receives
    coefficients of order one (an exact division: ``r`` is a power of two).
    """
    factor_part = scaling.returns(model.covariance_factor).T @ weights
    specific = scaling.returns(model.specific_risk)
    nonzero = np.flatnonzero(specific > 0.0)
    if nonzero.size == 0:
        return factor_part
    return cp.hstack([factor_part, cp.multiply(specific[nonzero], weights[nonzero])])


def formulate(
    model: MarketModel,
    constraints: ResolvedConstraints,
    costs: ResolvedCosts,
    *,
    scaling: ProblemScaling,
    homogeneous: bool = False,
) -> Formulation:
    """Build the constraint list and the risk / cost / return expressions in ``scaling``'s units."""
    constraints = scaling.constraints(constraints)
    costs = scaling.costs(costs)
    n = model.size
    weights = cp.Variable(n, name="weights")
    kappa = cp.Variable(nonneg=True, name="kappa") if homogeneous else None
    scale: cp.Expression | float = kappa if kappa is not None else 1.0
    cons: list[cp.Constraint] = [cp.sum(weights) == constraints.budget * scale]

    finite_low = np.flatnonzero(np.isfinite(constraints.lower))
    if finite_low.size:
        cons.append(weights[finite_low] >= scale * constraints.lower[finite_low])
    finite_high = np.flatnonzero(np.isfinite(constraints.upper))
    if finite_high.size:
        cons.append(weights[finite_high] <= scale * constraints.upper[finite_high])
    if constraints.gross_leverage is not None:
        cons.append(cp.norm1(weights) <= scale * constraints.gross_leverage)
    if constraints.group_names:
        group_sums = constraints.group_members @ weights
        has_min = np.flatnonzero(np.isfinite(constraints.group_minimum))
        has_max = np.flatnonzero(np.isfinite(constraints.group_maximum))
        if has_min.size:
            cons.append(group_sums[has_min] >= scale * constraints.group_minimum[has_min])
        if has_max.size:
            cons.append(group_sums[has_max] <= scale * constraints.group_maximum[has_max])
    trade = weights - scale * constraints.current
    if constraints.turnover_limit is not None:
        cons.append(cp.norm1(trade) <= scale * constraints.turnover_limit)
    if constraints.tracking_error_limit is not None and constraints.benchmark is not None:
        active = risk_vector(model, weights - scale * constraints.benchmark, scaling)
        cons.append(cp.norm(active, 2) <= scale * constraints.tracking_error_limit)

    cost_terms: list[cp.Expression] = []
    charged = np.flatnonzero(costs.linear > 0.0)
    if charged.size:
        cost_terms.append(costs.linear[charged] @ cp.abs(trade[charged]))
    impacted = np.flatnonzero(costs.quadratic > 0.0)
    if impacted.size:
        scaled_trade = cp.multiply(np.sqrt(costs.quadratic[impacted]), trade[impacted])
        if kappa is None:
            cost_terms.append(cp.sum_squares(scaled_trade))
        else:
            cost_terms.append(cp.quad_over_lin(scaled_trade, kappa))
    cost = cp.sum(cp.hstack(cost_terms)) if cost_terms else cp.Constant(0.0)

    return Formulation(
        weights=weights,
        kappa=kappa,
        constraints=cons,
        families=constraints.families,
        risk=risk_vector(model, weights, scaling),
        cost=cost,
        expected_return=scaling.returns(model.expected_returns) @ weights,
        scaling=scaling,
    )
