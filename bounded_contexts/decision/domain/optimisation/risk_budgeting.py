"""Risk budgeting (risk parity) by Spinu's convex formulation and damped Newton method.

A long-only, fully invested portfolio whose risk contributions
``RC_i = w_i (Sigma w)_i / (w^T Sigma w)`` equal given budgets ``b_i`` (``b_i > 0``, ``sum b = 1``)
is found from the strictly convex problem (Spinu 2013, "An algorithm for computing risk parity
weights"; Roncalli 2013, *Introduction to Risk Parity and Budgeting*, sec. 2.3)::

    min_y  f(y) = 1/2 y^T Sigma y - sum_i b_i log y_i ,   y > 0

whose first-order condition ``(Sigma y)_i = b_i / y_i`` says ``y_i (Sigma y)_i = b_i``; normalising
``w = y / sum(y)`` gives ``RC_i = b_i``. Newton steps ``H^-1 g`` with ``g = Sigma y - b / y`` and
``H = Sigma + diag(b / y^2)`` (positive definite even for singular ``Sigma``) are damped by
``1 / (1 + lambda)`` while the Newton decrement ``lambda = sqrt(g^T H^-1 g)`` exceeds 0.25, which
keeps ``y > 0`` (self-concordance) and converges quadratically near the optimum.

Equal budgets give equal-risk-contribution (ERC) risk parity; for uncorrelated assets that is the
inverse-volatility portfolio ``w_i ~ 1 / sigma_i``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .errors import InvalidInputError, SolverFailureError
from .results import weights_mapping
from .validation import (
    FloatArray,
    asset_id_tuple,
    covariance_matrix,
    finite_vector,
    read_only,
    vector_from_mapping,
)

NEWTON_DECREMENT_DAMPING_THRESHOLD = 0.25
DEFAULT_TOLERANCE = 1e-12
DEFAULT_MAX_ITERATIONS = 200
BUDGET_SUM_TOLERANCE = 1e-9


@dataclass(frozen=True, eq=False)
class RiskBudgetResult:
    """Weights, their fractional risk contributions (summing to 1) and the portfolio volatility."""

    asset_ids: tuple[str, ...]
    weights: FloatArray
    weights_by_asset: Mapping[str, float]
    risk_budgets: FloatArray
    risk_contributions: FloatArray
    volatility: float
    iterations: int


def risk_contributions(covariance: ArrayLike, weights: ArrayLike) -> FloatArray:
    """Fractional (Euler) risk contributions ``w_i (Sigma w)_i / (w^T Sigma w)``; they sum to 1."""
    w = finite_vector("weights", weights)
    sigma = covariance_matrix("covariance", covariance, w.shape[0])
    marginal = sigma @ w
    variance = float(w @ marginal)
    if variance <= 0.0:
        raise InvalidInputError("risk contributions are undefined for a zero-variance portfolio")
    return read_only(w * marginal / variance)


def _budget_vector(
    budgets: Mapping[str, float] | ArrayLike | None, asset_ids: tuple[str, ...]
) -> FloatArray:
    n = len(asset_ids)
    if budgets is None:
        return np.full(n, 1.0 / n)
    if isinstance(budgets, Mapping):
        vector = vector_from_mapping("risk_budgets", budgets, asset_ids, 0.0)
    else:
        vector = finite_vector("risk_budgets", budgets, n)
    not_positive = np.flatnonzero(vector <= 0.0)
    if not_positive.size:
        i = int(not_positive[0])
        raise InvalidInputError(
            f"risk budget for {asset_ids[i]!r} must be > 0, got {vector[i]} (a zero budget has no "
            "log-barrier solution; drop the asset instead)"
        )
    total = float(vector.sum())
    if abs(total - 1.0) > BUDGET_SUM_TOLERANCE:
        raise InvalidInputError(f"risk budgets must sum to 1, got {total}")
    return vector


def risk_budgeting(
    asset_ids: Sequence[str],
    covariance: ArrayLike,
    risk_budgets: Mapping[str, float] | ArrayLike | None = None,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
) -> RiskBudgetResult:
    """Long-only, fully invested weights whose risk contributions equal ``risk_budgets``.

    ``risk_budgets`` defaults to equal budgets (risk parity). Stops when the squared Newton
    decrement ``lambda^2 / 2`` (an upper bound on the remaining objective gap near the optimum) is
    below ``tolerance``; not converging within ``max_iterations`` raises
    :class:`SolverFailureError`.
    """
    ids = asset_id_tuple("asset_ids", asset_ids)
    sigma = covariance_matrix("covariance", covariance, len(ids))
    zero_variance = np.flatnonzero(np.diag(sigma) <= 0.0)
    if zero_variance.size:
        raise InvalidInputError(
            f"asset {ids[int(zero_variance[0])]!r} has zero variance: it has no risk to budget"
        )
    budgets = _budget_vector(risk_budgets, ids)
    if not tolerance > 0.0:
        raise InvalidInputError(f"tolerance must be > 0, got {tolerance}")
    if max_iterations < 1:
        raise InvalidInputError(f"max_iterations must be >= 1, got {max_iterations}")

    # Start on the ray of the inverse-volatility portfolio, scaled so that y^T Sigma y = 1.
    start = budgets / np.sqrt(np.diag(sigma))
    y = start / np.sqrt(float(start @ sigma @ start))
    iterations = 0
    converged = False
    decrement = float("inf")
    while iterations < max_iterations and not converged:
        iterations += 1
        gradient = sigma @ y - budgets / y
        hessian = sigma + np.diag(budgets / y**2)
        step = np.linalg.solve(hessian, gradient)
        decrement = float(np.sqrt(max(float(gradient @ step), 0.0)))
        damping = 1.0 + decrement if decrement > NEWTON_DECREMENT_DAMPING_THRESHOLD else 1.0
        y = y - step / damping
        # The full step just taken from a decrement this small lands within ~decrement^4 of the
        # optimum (quadratic convergence), so the loop can stop after it.
        converged = decrement**2 / 2.0 < tolerance
    if not converged:
        raise SolverFailureError(
            "Spinu-Newton",
            f"risk budgeting did not converge in {max_iterations} iterations "
            f"(Newton decrement {decrement:.3g})",
        )
    weights = y / y.sum()
    marginal = sigma @ weights
    variance = float(weights @ marginal)
    return RiskBudgetResult(
        asset_ids=ids,
        weights=read_only(weights),
        weights_by_asset=weights_mapping(ids, weights),
        risk_budgets=read_only(budgets),
        risk_contributions=read_only(weights * marginal / variance),
        volatility=float(np.sqrt(variance)),
        iterations=iterations,
    )
