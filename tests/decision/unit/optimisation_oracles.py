"""Exact optima computed independently of the optimisation package (NumPy and SciPy only).

Used by ``test_optimisation_daily_units.py`` to check the optimisers in daily-return units, where
the solver's default absolute tolerances used to stop it ~7e-4 short of the optimum. Nothing here
imports ``bounded_contexts``: each oracle states its problem in plain matrices and solves it another
way --

* closed forms (Lagrange / KKT) where the problem has one;
* for inequality-constrained convex QPs, an active-set solve that is *certified*: SciPy's SLSQP
  proposes which inequalities are active, the KKT system for that active set is solved exactly
  (one dense linear solve), and the set is corrected until the point is primal feasible and every
  multiplier has the right sign. For a strictly convex QP such a KKT point is the unique global
  optimum, so the oracle is exact to the round-off of one linear solve (~1e-15), however loosely
  SLSQP itself converged;
* linear programs (CVaR) by HiGHS's dual simplex, which ends on a vertex computed from an LU
  factorisation of the optimal basis;
* risk budgeting by cyclical coordinate descent (Griveau-Billion, Richard & Roncalli 2013), a
  different algorithm from the package's Newton method.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq, linprog, minimize

Array = NDArray[np.float64]

#: Slack below which SLSQP's point is taken to sit on an inequality (a first guess, corrected).
GUESS_ACTIVE_SLACK = 1e-7
#: Feasibility and multiplier-sign tolerance of the certificate, in normalised units.
CERTIFICATE_TOLERANCE = 1e-11
#: A KKT matrix worse conditioned than this is not trusted as a certificate.
MAX_KKT_CONDITION = 1e13


@dataclass(frozen=True)
class DailyMarket:
    """A realistic daily-returns universe: means 1e-4..1e-3, volatilities 1-2 % a day."""

    asset_ids: tuple[str, ...]
    expected_returns: Array
    covariance: Array


def daily_market(seed: int, size: int = 10) -> DailyMarket:
    """Seeded daily market: 3 random factors plus specific risk, scaled to 1-2 % daily vol."""
    rng = np.random.default_rng(seed)
    loadings = rng.normal(size=(size, 3))
    raw = loadings @ loadings.T + np.diag(rng.uniform(0.5, 1.5, size))
    root = np.sqrt(np.diag(raw))
    correlation = raw / np.outer(root, root)
    volatilities = rng.uniform(0.01, 0.02, size)
    covariance = correlation * np.outer(volatilities, volatilities)
    covariance = 0.5 * (covariance + covariance.T)
    expected = rng.uniform(1e-4, 1e-3, size)
    return DailyMarket(tuple(f"d{i}" for i in range(size)), expected, covariance)


@dataclass(frozen=True)
class QuadraticProgram:
    """``min 1/2 x^T P x + q^T x`` s.t. ``A x = b`` and ``G x <= h`` (``P`` PSD)."""

    P: Array
    q: Array
    A: Array
    b: Array
    G: Array
    h: Array


def _normalised(qp: QuadraticProgram) -> QuadraticProgram:
    """Same minimiser, objective and constraint rows scaled to unit size (for the tolerances)."""
    scale = max(float(np.max(np.abs(qp.P))), float(np.max(np.abs(qp.q), initial=0.0)), 1e-300)
    eq_norm = np.maximum(np.linalg.norm(qp.A, axis=1), 1e-300)
    in_norm = np.maximum(np.linalg.norm(qp.G, axis=1), 1e-300)
    return QuadraticProgram(
        P=qp.P / scale,
        q=qp.q / scale,
        A=qp.A / eq_norm[:, None],
        b=qp.b / eq_norm,
        G=qp.G / in_norm[:, None],
        h=qp.h / in_norm,
    )


def _slsqp_guess(qp: QuadraticProgram, start: Array) -> Array:
    result = minimize(
        lambda x: 0.5 * x @ qp.P @ x + qp.q @ x,
        start,
        jac=lambda x: qp.P @ x + qp.q,
        method="SLSQP",
        constraints=[
            {"type": "eq", "fun": lambda x: qp.A @ x - qp.b, "jac": lambda x: qp.A},
            {"type": "ineq", "fun": lambda x: qp.h - qp.G @ x, "jac": lambda x: -qp.G},
        ],
        options={"ftol": 1e-15, "maxiter": 2000},
    )
    return np.asarray(result.x, dtype=np.float64)


def _independent_rows(equalities: Array, rows: Array, candidates: list[int]) -> list[int]:
    """The candidates, in order, that keep ``[equalities; rows[chosen]]`` of full row rank.

    A degenerate vertex (e.g. an untraded asset: bought 0, sold 0 *and* ``w = w0``) has more
    active inequalities than it needs; the dependent ones carry no information and would make
    the KKT matrix singular.
    """
    chosen: list[int] = []
    for i in candidates:
        stacked = np.vstack([equalities, rows[[*chosen, i]]])
        if np.linalg.matrix_rank(stacked, tol=1e-10) == stacked.shape[0]:
            chosen.append(i)
    return chosen


def solve_qp(qp: QuadraticProgram, start: Array) -> Array:
    """Exact minimiser of a strictly convex QP, certified by its KKT conditions (module doc)."""
    unit = _normalised(qp)
    n, m_eq = unit.P.shape[0], unit.A.shape[0]
    guess = _slsqp_guess(unit, start)
    near = np.flatnonzero(unit.h - unit.G @ guess <= GUESS_ACTIVE_SLACK)
    # Tightest first, so that a dependent row is dropped in favour of a truly active one.
    order = near[np.argsort(unit.h[near] - unit.G[near] @ guess)]
    active = _independent_rows(unit.A, unit.G, [int(i) for i in order])
    for _ in range(4 * unit.G.shape[0] + 10):
        rows = np.vstack([unit.A, unit.G[active]])
        kkt = np.block([[unit.P, rows.T], [rows, np.zeros((rows.shape[0], rows.shape[0]))]])
        if np.linalg.cond(kkt) > MAX_KKT_CONDITION:
            raise AssertionError(f"oracle KKT matrix is singular for active set {active}")
        solution = np.linalg.solve(kkt, np.concatenate([-unit.q, unit.b, unit.h[active]]))
        x, multipliers = solution[:n], solution[n + m_eq :]
        slack = unit.h - unit.G @ x
        inactive = [i for i in range(unit.G.shape[0]) if i not in active]
        if inactive and float(np.min(slack[inactive])) < -CERTIFICATE_TOLERANCE:
            active.append(inactive[int(np.argmin(slack[inactive]))])
            continue
        if multipliers.size and float(np.min(multipliers)) < -CERTIFICATE_TOLERANCE:
            del active[int(np.argmin(multipliers))]
            continue
        return x
    raise AssertionError("the active-set oracle did not reach a certified KKT point")


def _bounds_rows(n: int, lower: float | None, upper: float | None) -> tuple[Array, Array]:
    rows, rhs = [], []
    if lower is not None:
        rows.append(-np.eye(n))
        rhs.append(np.full(n, -lower))
    if upper is not None:
        rows.append(np.eye(n))
        rhs.append(np.full(n, upper))
    if not rows:
        return np.zeros((0, n)), np.zeros(0)
    return np.vstack(rows), np.concatenate(rhs)


def mean_variance_qp(
    covariance: Array,
    *,
    linear: Array | None = None,
    risk_aversion: float = 2.0,
    target: tuple[Array, float] | None = None,
    lower: float | None = 0.0,
    upper: float | None = None,
    budget: float = 1.0,
) -> Array:
    """``min (risk_aversion / 2) w^T Sigma w + linear^T w`` s.t. budget, bounds, ``a^T w >= t``."""
    n = covariance.shape[0]
    G, h = _bounds_rows(n, lower, upper)
    if target is not None:
        direction, level = target
        G, h = np.vstack([G, -direction[None, :]]), np.concatenate([h, [-level]])
    qp = QuadraticProgram(
        P=risk_aversion * covariance,
        q=np.zeros(n) if linear is None else linear,
        A=np.ones((1, n)),
        b=np.array([budget]),
        G=G,
        h=h,
    )
    return solve_qp(qp, np.full(n, budget / n))


def minimum_variance(covariance: Array, **bounds: float | None) -> Array:
    return mean_variance_qp(covariance, **bounds)  # type: ignore[arg-type]


def efficient_return(
    covariance: Array, expected: Array, target: float, **bounds: float | None
) -> Array:
    return mean_variance_qp(covariance, target=(expected, target), **bounds)  # type: ignore[arg-type]


def maximum_utility(
    covariance: Array, expected: Array, risk_aversion: float, **bounds: float | None
) -> Array:
    return mean_variance_qp(
        covariance,
        linear=-expected,
        risk_aversion=risk_aversion,
        **bounds,  # type: ignore[arg-type]
    )


def maximum_return_long_only(expected: Array, upper: float) -> Array:
    """Closed form of ``max mu^T w``, ``0 <= w <= upper``, ``sum w = 1``: fill the best first."""
    weights = np.zeros(expected.shape[0])
    left = 1.0
    for i in np.argsort(-expected, kind="stable"):
        weights[i] = min(upper, left)
        left -= weights[i]
    return weights


def efficient_risk(
    covariance: Array, expected: Array, volatility: float, **bounds: float | None
) -> Array:
    """The efficient-return oracle at the target whose volatility is ``volatility`` (Brent)."""
    lowest = minimum_variance(covariance, **bounds)
    upper = bounds.get("upper")
    top = float(expected @ maximum_return_long_only(expected, 1.0 if upper is None else upper))
    low = float(expected @ lowest)

    def gap(level: float) -> float:
        weights = efficient_return(covariance, expected, level, **bounds)
        return float(np.sqrt(weights @ covariance @ weights)) - volatility

    level = brentq(gap, low, top - 1e-9 * abs(top), xtol=1e-18, rtol=1e-15, maxiter=500)
    return efficient_return(covariance, expected, level, **bounds)


def maximum_sharpe(
    covariance: Array, expected: Array, risk_free_rate: float, upper: float | None = None
) -> Array:
    """Long-only tangency portfolio from the homogenised QP in ``y = kappa w``.

    ``min y^T Sigma y`` s.t. ``(mu - r_f)^T y >= 1``, ``y >= 0`` and ``y_i <= upper * sum(y)``;
    ``w = y / sum(y)``. The budget row of the QP is empty (``kappa = sum(y)`` is free).
    """
    n = covariance.shape[0]
    rows = [-np.eye(n), -(expected - risk_free_rate)[None, :]]
    rhs = [np.zeros(n), np.array([-1.0])]
    if upper is not None:
        rows.append(np.eye(n) - upper * np.ones((n, n)))
        rhs.append(np.zeros(n))
    qp = QuadraticProgram(
        P=2.0 * covariance,
        q=np.zeros(n),
        A=np.zeros((0, n)),
        b=np.zeros(0),
        G=np.vstack(rows),
        h=np.concatenate(rhs),
    )
    start = np.full(n, 1.0 / float(np.mean(expected - risk_free_rate)) / n)
    y = solve_qp(qp, start)
    return y / y.sum()


def tangency(covariance: Array, expected: Array, risk_free_rate: float) -> Array:
    """Unconstrained (long/short, budget 1) maximum Sharpe: ``Sigma^-1 (mu - r_f)`` normalised."""
    direction = np.linalg.solve(covariance, expected - risk_free_rate)
    return direction / direction.sum()


def maximum_return_under_tracking_error(
    covariance: Array, expected: Array, benchmark: Array, limit: float
) -> Array:
    """Closed form of ``max mu^T w`` s.t. ``sum w = 1``, ``(w-b)^T Sigma (w-b) <= TE^2``.

    With ``d = w - b`` (``sum d = 0``) the Lagrangian gives ``d ~ z = Sigma^-1 (mu - nu 1)``,
    ``nu = 1^T Sigma^-1 mu / 1^T Sigma^-1 1``, scaled so that ``d^T Sigma d = TE^2``.
    """
    inverse_mu = np.linalg.solve(covariance, expected)
    inverse_one = np.linalg.solve(covariance, np.ones(expected.shape[0]))
    z = inverse_mu - (inverse_mu.sum() / inverse_one.sum()) * inverse_one
    return benchmark + limit * z / np.sqrt(z @ covariance @ z)


def rebalance_utility(
    covariance: Array,
    expected: Array,
    risk_aversion: float,
    current: Array,
    linear_cost: float,
    quadratic_cost: float,
    turnover_limit: float | None,
) -> Array:
    """``max mu^T w - c|w - w0| - k (w - w0)^2 - (delta/2) w^T Sigma w``, long-only, budget 1.

    Written in the buy / sell split ``w = w0 + p - m`` (``p, m >= 0``), where costs are smooth:
    ``c 1^T (p + m) + k (p - m)^2``. At the optimum no asset is both bought and sold (``c > 0``),
    which keeps the reduced QP strictly convex. ``sum(p + m) <= T`` is the turnover limit.
    """
    n = covariance.shape[0]
    hessian = risk_aversion * covariance + 2.0 * quadratic_cost * np.eye(n)
    split = np.hstack([np.eye(n), -np.eye(n)])
    rows = [-np.eye(2 * n), -split]  # p, m >= 0 and w0 + p - m >= 0
    rhs = [np.zeros(2 * n), current]
    if turnover_limit is not None:
        rows.append(np.ones((1, 2 * n)))
        rhs.append(np.array([turnover_limit]))
    qp = QuadraticProgram(
        P=split.T @ hessian @ split,
        q=split.T @ (risk_aversion * covariance @ current - expected) + linear_cost,
        A=np.ones((1, n)) @ split,
        b=np.array([1.0 - current.sum()]),
        G=np.vstack(rows),
        h=np.concatenate(rhs),
    )
    return current + split @ solve_qp(qp, np.zeros(2 * n))


def efficient_return_with_costs(
    covariance: Array, expected: Array, target: float, current: Array, linear_cost: float
) -> Array:
    """``min w^T Sigma w + c|w - w0|`` s.t. ``mu^T w - c|w - w0| >= target``, long-only, sum 1."""
    n = covariance.shape[0]
    split = np.hstack([np.eye(n), -np.eye(n)])
    net_return = split.T @ expected - linear_cost  # mu^T (p - m) - c 1^T (p + m)
    qp = QuadraticProgram(
        P=2.0 * split.T @ covariance @ split,
        q=2.0 * split.T @ covariance @ current + linear_cost,
        A=np.ones((1, n)) @ split,
        b=np.array([1.0 - current.sum()]),
        G=np.vstack([-np.eye(2 * n), -split, -net_return[None, :]]),
        h=np.concatenate([np.zeros(2 * n), current, [-(target - expected @ current)]]),
    )
    return current + split @ solve_qp(qp, np.zeros(2 * n))


@dataclass(frozen=True)
class CvarOptimum:
    weights: Array
    value_at_risk: float
    conditional_value_at_risk: float


def minimum_cvar(scenarios: Array, confidence: float, upper: float) -> CvarOptimum:
    """Rockafellar-Uryasev LP, long-only with ``w <= upper``, solved by HiGHS dual simplex."""
    count, n = scenarios.shape
    tail_weight = 1.0 / ((1.0 - confidence) * count)
    # Variables: w (n), zeta (1), u (count).
    c = np.concatenate([np.zeros(n), [1.0], np.full(count, tail_weight)])
    a_ub = np.hstack([-scenarios, -np.ones((count, 1)), -np.eye(count)])
    a_eq = np.concatenate([np.ones(n), [0.0], np.zeros(count)])[None, :]
    bounds = [(0.0, upper)] * n + [(None, None)] + [(0.0, None)] * count
    result = linprog(
        c,
        A_ub=a_ub,
        b_ub=np.zeros(count),
        A_eq=a_eq,
        b_eq=[1.0],
        bounds=bounds,
        method="highs-ds",
        options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10},
    )
    if result.status != 0:
        raise AssertionError(f"oracle LP failed: {result.message}")
    return CvarOptimum(
        weights=np.asarray(result.x[:n]),
        value_at_risk=float(result.x[n]),
        conditional_value_at_risk=float(result.fun),
    )


def risk_budget_weights(covariance: Array, budgets: Array, sweeps: int = 20_000) -> Array:
    """Cyclical coordinate descent on ``1/2 y^T Sigma y - sum b log y``, ``w = y / sum(y)``.

    Each coordinate step solves ``Sigma_ii y_i^2 + c_i y_i - b_i = 0`` (``c_i`` the off-diagonal
    part of ``(Sigma y)_i``) for its positive root; sweeps stop when a sweep moves nothing.
    """
    y = budgets / np.sqrt(np.diag(covariance))
    for _ in range(sweeps):
        previous = y.copy()
        for i in range(y.shape[0]):
            off_diagonal = float(covariance[i] @ y - covariance[i, i] * y[i])
            y[i] = (
                -off_diagonal + np.sqrt(off_diagonal**2 + 4.0 * covariance[i, i] * budgets[i])
            ) / (2.0 * covariance[i, i])
        if np.max(np.abs(y - previous) / y) < 1e-16:
            break
    return y / y.sum()


def black_litterman_mixed_estimate(
    covariance: Array,
    prior: Array,
    pick: Array,
    views: Array,
    omega: Array,
    tau: float,
) -> Array:
    """Theil's mixed estimate ``[(tau S)^-1 + P^T O^-1 P]^-1 [(tau S)^-1 pi + P^T O^-1 Q]``.

    The information form of the Black-Litterman mean -- algebraically equal to the package's
    ``pi + tau S P^T (P tau S P^T + O)^-1 (Q - P pi)`` but computed another way.
    """
    prior_precision = np.linalg.inv(tau * covariance)
    view_precision = pick.T @ np.linalg.solve(omega, pick)
    return np.linalg.solve(
        prior_precision + view_precision,
        prior_precision @ prior + pick.T @ np.linalg.solve(omega, views),
    )


def maximum_sharpe_with_costs(
    covariance: Array, expected: Array, risk_free_rate: float, current: Array, linear_cost: float
) -> Array:
    """Long-only ``max (mu^T w - c|w - w0| - r_f) / sigma(w)``, budget 1, homogenised and split.

    Variables ``(y, kappa, p, m)`` with ``y = kappa w`` and ``y - kappa w0 = p - m``:
    ``min y^T Sigma y`` s.t. ``(mu - r_f)^T y - c 1^T (p + m) >= 1``, ``sum y = kappa``,
    ``y, kappa, p, m >= 0``; then ``w = y / kappa``.
    """
    n = covariance.shape[0]
    size = 3 * n + 1  # y, kappa, p, m
    hessian = np.zeros((size, size))
    hessian[:n, :n] = 2.0 * covariance
    split = np.hstack([np.eye(n), -current[:, None], -np.eye(n), np.eye(n)])
    budget = np.concatenate([np.ones(n), [-1.0], np.zeros(2 * n)])
    excess = np.concatenate([expected - risk_free_rate, [0.0], np.full(2 * n, -linear_cost)])
    qp = QuadraticProgram(
        P=hessian,
        q=np.zeros(size),
        A=np.vstack([split, budget]),
        b=np.zeros(n + 1),
        G=np.vstack([-np.eye(size), -excess[None, :]]),
        h=np.concatenate([np.zeros(size), [-1.0]]),
    )
    kappa = 1.0 / max(float((expected - risk_free_rate) @ current), 1e-6)
    start = np.concatenate([kappa * current, [kappa], np.zeros(2 * n)])
    solution = solve_qp(qp, start)
    return solution[:n] / solution[n]
