"""Solver status policy: what is accepted, what raises, and with which message."""

from __future__ import annotations

from typing import Any

import cvxpy as cp
import numpy as np
import pytest

from bounded_contexts.decision.domain.optimisation import (
    InfeasibleProblemError,
    InvalidInputError,
    SolverFailureError,
    UnboundedProblemError,
)
from bounded_contexts.decision.domain.optimisation.solving import check_weights_bounded, solve


class ScriptedProblem:
    """Stands in for ``cp.Problem``: reports a given status for a given point."""

    def __init__(self, status: str, value: float, bound: float, error: bool = False) -> None:
        self.status = status
        self._x = cp.Variable(name="x")
        self._x.value = value
        self.constraints = [self._x <= bound]
        self._error = error

    def solve(self, **_: Any) -> None:
        if self._error:
            raise cp.error.SolverError("numerical trouble")

    def variables(self) -> list[cp.Variable]:
        return [self._x]

    def is_qp(self) -> bool:
        return True


def run(problem: ScriptedProblem) -> None:
    solve(problem, solver="CLARABEL", active_constraints=("budget", "turnover"))  # type: ignore[arg-type]


def test_an_inaccurate_but_feasible_point_is_accepted() -> None:
    run(ScriptedProblem(cp.OPTIMAL_INACCURATE, value=1.0 + 1e-8, bound=1.0))


def test_an_inaccurate_point_that_violates_a_constraint_is_a_solver_failure() -> None:
    with pytest.raises(SolverFailureError, match=r"violates a constraint by 0\.01"):
        run(ScriptedProblem(cp.OPTIMAL_INACCURATE, value=1.01, bound=1.0))


def test_infeasible_statuses_name_the_active_constraint_families() -> None:
    with pytest.raises(InfeasibleProblemError, match=r"active constraints: budget, turnover"):
        run(ScriptedProblem(cp.INFEASIBLE_INACCURATE, value=0.0, bound=1.0))


def test_unbounded_statuses_raise_unbounded() -> None:
    with pytest.raises(UnboundedProblemError, match="add bounds"):
        run(ScriptedProblem(cp.UNBOUNDED, value=0.0, bound=1.0))


def test_other_statuses_and_solver_exceptions_are_solver_failures() -> None:
    with pytest.raises(SolverFailureError, match="status user_limit"):
        run(ScriptedProblem(cp.USER_LIMIT, value=0.0, bound=1.0))
    with pytest.raises(SolverFailureError, match="numerical trouble"):
        run(ScriptedProblem(cp.OPTIMAL, value=0.0, bound=1.0, error=True))


def test_an_unknown_solver_name_is_rejected_before_solving() -> None:
    with pytest.raises(InvalidInputError, match="'GLPK_XYZ' is not installed"):
        solve(cp.Problem(cp.Minimize(0)), solver="GLPK_XYZ", active_constraints=())


def test_diverged_weights_are_reported_as_unbounded() -> None:
    with pytest.raises(UnboundedProblemError, match="magnitude 1e\\+10"):
        check_weights_bounded(np.array([1e10, -1e10]), solver="CLARABEL", active_constraints=())
    check_weights_bounded(np.array([3.0, -2.0]), solver="CLARABEL", active_constraints=())
