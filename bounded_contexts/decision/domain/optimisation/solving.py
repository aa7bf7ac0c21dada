"""Run a cvxpy problem and turn every non-optimal outcome into a named error.

CLARABEL (interior point, handles LP/QP/SOCP) is the default. Another solver is used only when the
caller names it; a failure is never retried with a different solver behind the caller's back.
"""

from __future__ import annotations

from collections.abc import Sequence

import cvxpy as cp

from .errors import (
    InfeasibleProblemError,
    InvalidInputError,
    SolverFailureError,
    UnboundedProblemError,
)

DEFAULT_SOLVER = "CLARABEL"


def check_solver(solver: str) -> str:
    """Reject a solver name that is not installed (naming the installed ones)."""
    installed = cp.installed_solvers()
    if solver not in installed:
        raise InvalidInputError(f"solver {solver!r} is not installed; installed: {installed}")
    return solver


def solve(
    problem: cp.Problem,
    *,
    solver: str,
    active_constraints: Sequence[str],
    warm_start: bool = False,
) -> None:
    """Solve ``problem`` in place; return only when the status is ``optimal``."""
    check_solver(solver)
    try:
        problem.solve(solver=solver, warm_start=warm_start)
    except cp.error.SolverError as exc:
        raise SolverFailureError(solver, str(exc)) from exc
    status = problem.status
    if status == cp.OPTIMAL:
        return
    if status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
        raise InfeasibleProblemError(f"solver {solver} reports {status}", active_constraints)
    if status in (cp.UNBOUNDED, cp.UNBOUNDED_INACCURATE):
        raise UnboundedProblemError(
            f"solver {solver} reports {status}; add bounds or a leverage limit", active_constraints
        )
    raise SolverFailureError(solver, f"status {status}")
