"""Run a cvxpy problem and turn every non-optimal outcome into a named error.

CLARABEL (interior point, handles LP/QP/SOCP) is the default, run with the tightened tolerances of
:func:`solver_options`. Another solver is used only when the caller names it; a failure is never
retried with a different solver behind the caller's back.

Status policy:

* ``optimal`` -- accepted, after the checks below;
* ``optimal_inaccurate`` (CLARABEL's "almost solved": reduced tolerances met) -- accepted only when
  this module re-checks every constraint on the returned point and finds it satisfied to
  ``FEASIBILITY_TOLERANCE``; the result then carries the status ``optimal_inaccurate`` so the
  caller can see it. Otherwise :class:`SolverFailureError`;
* infeasible / unbounded (exact or inaccurate) -- :class:`InfeasibleProblemError` /
  :class:`UnboundedProblemError` naming the active constraint families;
* anything else, or a solver exception -- :class:`SolverFailureError`.

Interior-point solvers can report ``optimal`` for an unbounded LP whose iterates ran off to
``1e10``; weights above ``MAX_ABS_WEIGHT`` are therefore reported as unbounded as well.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import cvxpy as cp
import numpy as np

from .errors import (
    InfeasibleProblemError,
    InvalidInputError,
    SolverFailureError,
    UnboundedProblemError,
)

DEFAULT_SOLVER = "CLARABEL"

#: Largest constraint violation (in the constraint's own units: weights, returns, volatility)
#: accepted for an ``optimal_inaccurate`` solution, relative to ``max(1, max |x|)``.
FEASIBILITY_TOLERANCE = 1e-6

#: A weight beyond 1e6 x equity is a diverged iterate, not a portfolio.
MAX_ABS_WEIGHT = 1e6

ACCEPTED_STATUSES = (cp.OPTIMAL, cp.OPTIMAL_INACCURATE)

#: CLARABEL's gap and feasibility tolerances for LPs and QPs, tightened from its default 1e-8.
#: The problems reach the solver rescaled to order one (:mod:`.scaling`), so this is a relative
#: accuracy of the caller's problem. Scaling alone left long-only minimum variance up to 2e-6 off
#: in weights on daily inputs; at 1e-12 every QP of the daily-units oracle tests is within 2.3e-10
#: of the exact optimum, and CLARABEL still ends "solved" on them and on the 500-asset benchmark.
QP_TOLERANCE = 1e-12

#: The same for problems with second-order cones (efficient risk, tracking error, quadratic costs
#: in a constraint or in the homogenised maximum Sharpe). CLARABEL stalls on these between 1e-10
#: and 1e-12 and then reports "almost solved" (``optimal_inaccurate``) for points that are in fact
#: excellent; 1e-9 keeps them "solved" and the daily-units oracle tests within 1.5e-9.
CONE_TOLERANCE = 1e-9


def solver_options(problem: cp.Problem, solver: str) -> dict[str, float]:
    """Keyword options for ``problem.solve``: CLARABEL's tightened tolerances; none for others.

    A solver the caller names explicitly keeps its own defaults (its option names differ).
    """
    if solver != DEFAULT_SOLVER:
        return {}
    tolerance = QP_TOLERANCE if problem.is_qp() else CONE_TOLERANCE
    return {"tol_gap_abs": tolerance, "tol_gap_rel": tolerance, "tol_feas": tolerance}


def check_solver(solver: str) -> str:
    """Reject a solver name that is not installed (naming the installed ones)."""
    installed = cp.installed_solvers()
    if solver not in installed:
        raise InvalidInputError(f"solver {solver!r} is not installed; installed: {installed}")
    return solver


def _largest_violation(problem: cp.Problem) -> float:
    worst = 0.0
    for constraint in problem.constraints:
        violation = np.asarray(constraint.violation(), dtype=np.float64)
        if violation.size:
            worst = max(worst, float(np.max(violation)))
    return worst


def _variable_scale(problem: cp.Problem) -> float:
    values = [np.max(np.abs(v.value)) for v in problem.variables() if v.value is not None]
    return max([1.0, *(float(x) for x in values)])


def solve(
    problem: cp.Problem,
    *,
    solver: str,
    active_constraints: Sequence[str],
    warm_start: bool = False,
) -> None:
    """Solve ``problem`` in place; return only for an accepted status (see module docstring)."""
    check_solver(solver)
    try:
        with warnings.catch_warnings():
            # cvxpy warns "Solution may be inaccurate"; the status is handled below instead.
            warnings.filterwarnings("ignore", message="Solution may be inaccurate")
            problem.solve(solver=solver, warm_start=warm_start, **solver_options(problem, solver))
    except cp.error.SolverError as exc:
        raise SolverFailureError(solver, str(exc)) from exc
    status = problem.status
    if status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
        raise InfeasibleProblemError(f"solver {solver} reports {status}", active_constraints)
    if status in (cp.UNBOUNDED, cp.UNBOUNDED_INACCURATE):
        raise UnboundedProblemError(
            f"solver {solver} reports {status}; add bounds or a leverage limit", active_constraints
        )
    if status not in ACCEPTED_STATUSES:
        raise SolverFailureError(solver, f"status {status}")
    if status == cp.OPTIMAL_INACCURATE:
        violation = _largest_violation(problem)
        if violation > FEASIBILITY_TOLERANCE * _variable_scale(problem):
            raise SolverFailureError(
                solver,
                f"status {status} and the returned point violates a constraint by {violation:.3g}",
            )


def check_weights_bounded(
    weights: np.ndarray, *, solver: str, active_constraints: Sequence[str]
) -> None:
    """Raise :class:`UnboundedProblemError` for a diverged (huge) weight vector."""
    largest = float(np.max(np.abs(weights)))
    if largest > MAX_ABS_WEIGHT:
        raise UnboundedProblemError(
            f"solver {solver} returned a weight of magnitude {largest:.3g}: the objective improves "
            "without limit; add bounds or a leverage limit",
            active_constraints,
        )
