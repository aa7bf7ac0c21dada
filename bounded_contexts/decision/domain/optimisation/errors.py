"""Errors raised by portfolio optimisation.

Every error subclasses :class:`OptimisationError` (itself a ``ValueError``) and names its cause in
the message, so that an operator reading a log line knows which input or which constraint family to
look at. Nothing in this package falls back silently to another solver or another formulation.
"""

from __future__ import annotations

from collections.abc import Sequence


class OptimisationError(ValueError):
    """Base class of every portfolio-optimisation error."""


class InvalidInputError(OptimisationError):
    """An input value is out of its domain (non-finite, negative where it must not be, ...)."""


class DimensionMismatchError(OptimisationError):
    """Two inputs that must agree in shape do not; the message names both."""

    def __init__(self, name: str, expected: object, actual: object) -> None:
        super().__init__(f"{name} has shape {actual}, expected {expected}")
        self.name = name
        self.expected = expected
        self.actual = actual


class NonPsdCovarianceError(OptimisationError):
    """The covariance matrix is not symmetric positive semi-definite."""


class UnknownAssetError(OptimisationError):
    """An input references an asset id that is not in the optimisation universe."""

    def __init__(self, where: str, asset_ids: Sequence[str]) -> None:
        names = ", ".join(repr(asset_id) for asset_id in asset_ids)
        super().__init__(f"{where} references asset(s) not in the universe: {names}")
        self.where = where
        self.asset_ids = tuple(asset_ids)


class InfeasibleProblemError(OptimisationError):
    """No portfolio satisfies the constraints.

    ``active_constraints`` lists the constraint families that were part of the problem, so that
    the caller knows which ones to relax; ``reason`` is either the result of a pre-check (which
    names the exact conflict) or the solver's infeasibility certificate.
    """

    def __init__(self, reason: str, active_constraints: Sequence[str]) -> None:
        families = ", ".join(active_constraints) if active_constraints else "none"
        super().__init__(f"infeasible portfolio problem: {reason} (active constraints: {families})")
        self.reason = reason
        self.active_constraints = tuple(active_constraints)


class UnboundedProblemError(OptimisationError):
    """The objective can be improved without limit: a bound or leverage limit is missing."""

    def __init__(self, reason: str, active_constraints: Sequence[str]) -> None:
        families = ", ".join(active_constraints) if active_constraints else "none"
        super().__init__(f"unbounded portfolio problem: {reason} (active constraints: {families})")
        self.reason = reason
        self.active_constraints = tuple(active_constraints)


class SolverFailureError(OptimisationError):
    """The solver stopped without a certified optimum (error, iteration limit, inaccurate)."""

    def __init__(self, solver: str, detail: str) -> None:
        super().__init__(f"solver {solver} failed: {detail}")
        self.solver = solver
        self.detail = detail


class InsufficientCashError(OptimisationError):
    """A rebalance cannot be funded without borrowing and borrowing was not allowed."""
