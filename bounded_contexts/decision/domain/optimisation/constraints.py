"""Portfolio constraints as one frozen value object, resolved against a universe.

Conventions (weights are fractions of equity):

* ``budget`` -- ``sum(w) == budget`` (1 = fully invested, 0 = dollar neutral).
* ``long_only`` -- every ``w_i >= 0``; per-asset lower bounds may raise that floor, not lower it.
* ``lower_bound`` / ``upper_bound`` -- default per-asset bounds; ``asset_bounds`` overrides them per
  asset id (``None`` = unbounded on that side).
* ``gross_leverage`` -- ``sum(|w_i|) <= L`` (long/short books).
* ``groups`` -- sector / cluster limits on the sum of member weights.
* ``turnover_limit`` -- ``sum(|w_i - w0_i|) <= T`` against ``current_weights`` (one-way turnover
  counted on both legs, i.e. selling 10% of A to buy 10% of B is a turnover of 0.2).
* ``tracking_error_limit`` -- ``sqrt((w - b)^T Sigma (w - b)) <= TE`` against
  ``benchmark_weights``, in the same period units as the covariance.

Assets missing from ``current_weights`` / ``benchmark_weights`` have weight zero there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from .errors import InfeasibleProblemError, InvalidInputError
from .validation import (
    FloatArray,
    check_known_assets,
    finite_scalar,
    non_negative_scalar,
    positive_scalar,
    vector_from_mapping,
)

#: Slack used by the pre-checks so that round-off (``0.1 + 0.2 > 0.3``) is not called infeasible.
PRECHECK_TOLERANCE = 1e-9

FAMILY_BUDGET = "budget"
FAMILY_LONG_ONLY = "long-only"
FAMILY_BOUNDS = "asset bounds"
FAMILY_LEVERAGE = "gross leverage"
FAMILY_GROUPS = "group limits"
FAMILY_TURNOVER = "turnover"
FAMILY_TRACKING_ERROR = "tracking error"


def _optional_finite(name: str, value: float | None) -> float | None:
    return None if value is None else finite_scalar(name, value)


@dataclass(frozen=True)
class GroupLimit:
    """Limit on the summed weight of a group of assets (a sector, a cluster, a country)."""

    name: str
    asset_ids: tuple[str, ...]
    minimum: float | None = None
    maximum: float | None = None

    def __post_init__(self) -> None:
        ids = tuple(self.asset_ids)
        if not ids:
            raise InvalidInputError(f"group {self.name!r} has no assets")
        if len(set(ids)) != len(ids):
            raise InvalidInputError(f"group {self.name!r} lists an asset more than once")
        minimum = _optional_finite(f"group {self.name!r} minimum", self.minimum)
        maximum = _optional_finite(f"group {self.name!r} maximum", self.maximum)
        if minimum is None and maximum is None:
            raise InvalidInputError(f"group {self.name!r} needs a minimum, a maximum or both")
        object.__setattr__(self, "asset_ids", ids)
        object.__setattr__(self, "minimum", minimum)
        object.__setattr__(self, "maximum", maximum)


def _frozen_weights(name: str, weights: Mapping[str, float] | None) -> Mapping[str, float] | None:
    if weights is None:
        return None
    return MappingProxyType(
        {asset_id: finite_scalar(f"{name}[{asset_id!r}]", w) for asset_id, w in weights.items()}
    )


@dataclass(frozen=True)
class PortfolioConstraints:
    """Every constraint family the mean-variance and CVaR optimisers understand (see module doc)."""

    budget: float = 1.0
    long_only: bool = True
    lower_bound: float | None = None
    upper_bound: float | None = None
    asset_bounds: Mapping[str, tuple[float | None, float | None]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    gross_leverage: float | None = None
    groups: tuple[GroupLimit, ...] = ()
    current_weights: Mapping[str, float] | None = None
    turnover_limit: float | None = None
    benchmark_weights: Mapping[str, float] | None = None
    tracking_error_limit: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "budget", finite_scalar("budget", self.budget))
        lower = _optional_finite("lower_bound", self.lower_bound)
        upper = _optional_finite("upper_bound", self.upper_bound)
        if self.long_only and lower is not None and lower < 0.0:
            raise InvalidInputError(f"long_only portfolios cannot have lower_bound {lower} < 0")
        object.__setattr__(self, "lower_bound", lower)
        object.__setattr__(self, "upper_bound", upper)
        bounds: dict[str, tuple[float | None, float | None]] = {}
        for asset_id, pair in self.asset_bounds.items():
            if len(pair) != 2:
                raise InvalidInputError(
                    f"asset_bounds[{asset_id!r}] must be (lower, upper), got {pair!r}"
                )
            low = _optional_finite(f"asset_bounds[{asset_id!r}] lower", pair[0])
            high = _optional_finite(f"asset_bounds[{asset_id!r}] upper", pair[1])
            if self.long_only and low is not None and low < 0.0:
                raise InvalidInputError(
                    f"long_only portfolios cannot have asset_bounds[{asset_id!r}] lower {low} < 0"
                )
            bounds[asset_id] = (low, high)
        object.__setattr__(self, "asset_bounds", MappingProxyType(bounds))
        if self.gross_leverage is not None:
            object.__setattr__(
                self, "gross_leverage", positive_scalar("gross_leverage", self.gross_leverage)
            )
        groups = tuple(self.groups)
        names = [group.name for group in groups]
        if len(set(names)) != len(names):
            raise InvalidInputError(f"group names must be unique, got {names}")
        object.__setattr__(self, "groups", groups)
        object.__setattr__(
            self, "current_weights", _frozen_weights("current_weights", self.current_weights)
        )
        object.__setattr__(
            self, "benchmark_weights", _frozen_weights("benchmark_weights", self.benchmark_weights)
        )
        if self.turnover_limit is not None:
            object.__setattr__(
                self, "turnover_limit", non_negative_scalar("turnover_limit", self.turnover_limit)
            )
            if self.current_weights is None:
                raise InvalidInputError("turnover_limit needs current_weights to measure against")
        if self.tracking_error_limit is not None:
            object.__setattr__(
                self,
                "tracking_error_limit",
                non_negative_scalar("tracking_error_limit", self.tracking_error_limit),
            )
            if self.benchmark_weights is None:
                raise InvalidInputError("tracking_error_limit needs benchmark_weights")


@dataclass(frozen=True, eq=False)
class ResolvedConstraints:
    """Constraints aligned with a universe's asset order (``inf`` marks an absent bound)."""

    lower: FloatArray
    upper: FloatArray
    budget: float
    long_only: bool
    gross_leverage: float | None
    group_names: tuple[str, ...]
    group_members: FloatArray
    group_minimum: FloatArray
    group_maximum: FloatArray
    current: FloatArray
    has_current: bool
    turnover_limit: float | None
    benchmark: FloatArray | None
    tracking_error_limit: float | None

    @property
    def families(self) -> tuple[str, ...]:
        """Names of the constraint families present, for error messages."""
        names = [FAMILY_BUDGET]
        if self.long_only:
            names.append(FAMILY_LONG_ONLY)
        floor = 0.0 if self.long_only else -math.inf
        if np.any(self.lower > floor) or np.any(np.isfinite(self.upper)):
            names.append(FAMILY_BOUNDS)
        if self.gross_leverage is not None:
            names.append(FAMILY_LEVERAGE)
        if self.group_names:
            names.append(FAMILY_GROUPS)
        if self.turnover_limit is not None:
            names.append(FAMILY_TURNOVER)
        if self.tracking_error_limit is not None:
            names.append(FAMILY_TRACKING_ERROR)
        return tuple(names)


def resolve_constraints(
    constraints: PortfolioConstraints, asset_ids: Sequence[str]
) -> ResolvedConstraints:
    """Align ``constraints`` with ``asset_ids``, reject unknown ids and run the pre-checks."""
    n = len(asset_ids)
    check_known_assets("asset_bounds", constraints.asset_bounds.keys(), asset_ids)
    default_low = constraints.lower_bound
    if default_low is None:
        default_low = 0.0 if constraints.long_only else -math.inf
    default_high = math.inf if constraints.upper_bound is None else constraints.upper_bound
    lower = np.full(n, default_low)
    upper = np.full(n, default_high)
    for i, asset_id in enumerate(asset_ids):
        if asset_id in constraints.asset_bounds:
            low, high = constraints.asset_bounds[asset_id]
            if low is not None:
                lower[i] = low
            elif constraints.long_only:
                lower[i] = 0.0
            else:
                lower[i] = -math.inf
            upper[i] = math.inf if high is None else high
    members = np.zeros((len(constraints.groups), n))
    for g, group in enumerate(constraints.groups):
        check_known_assets(f"group {group.name!r}", group.asset_ids, asset_ids)
        members[g, [asset_ids.index(asset_id) for asset_id in group.asset_ids]] = 1.0
    current = (
        np.zeros(n)
        if constraints.current_weights is None
        else vector_from_mapping("current_weights", constraints.current_weights, asset_ids, 0.0)
    )
    benchmark = (
        None
        if constraints.benchmark_weights is None
        else vector_from_mapping("benchmark_weights", constraints.benchmark_weights, asset_ids, 0.0)
    )
    resolved = ResolvedConstraints(
        lower=lower,
        upper=upper,
        budget=constraints.budget,
        long_only=constraints.long_only,
        gross_leverage=constraints.gross_leverage,
        group_names=tuple(group.name for group in constraints.groups),
        group_members=members,
        group_minimum=np.array(
            [-math.inf if g.minimum is None else g.minimum for g in constraints.groups]
        ),
        group_maximum=np.array(
            [math.inf if g.maximum is None else g.maximum for g in constraints.groups]
        ),
        current=current,
        has_current=constraints.current_weights is not None,
        turnover_limit=constraints.turnover_limit,
        benchmark=benchmark,
        tracking_error_limit=constraints.tracking_error_limit,
    )
    precheck_feasibility(resolved, asset_ids)
    return resolved


def precheck_feasibility(resolved: ResolvedConstraints, asset_ids: Sequence[str]) -> None:
    """Catch obvious conflicts before calling a solver, naming the exact conflict.

    These checks are necessary conditions only: passing them does not prove feasibility (the solver
    decides that), but failing them proves infeasibility without a solve.
    """
    families = resolved.families
    tol = PRECHECK_TOLERANCE * max(1.0, abs(resolved.budget))
    budget = resolved.budget

    def fail(reason: str) -> None:
        raise InfeasibleProblemError(reason, families)

    crossed = np.flatnonzero(resolved.lower > resolved.upper + PRECHECK_TOLERANCE)
    if crossed.size:
        i = int(crossed[0])
        fail(
            f"asset {asset_ids[i]!r} has lower bound {resolved.lower[i]} above its upper bound "
            f"{resolved.upper[i]}"
        )
    if resolved.long_only and budget < -tol:
        fail(f"a long-only portfolio cannot have a negative budget {budget}")
    lowest, highest = float(np.sum(resolved.lower)), float(np.sum(resolved.upper))
    if lowest > budget + tol:
        fail(f"sum of lower bounds {lowest:.6g} exceeds the budget {budget:.6g}")
    if highest < budget - tol:
        fail(f"sum of upper bounds {highest:.6g} is below the budget {budget:.6g}")
    if resolved.gross_leverage is not None:
        if resolved.gross_leverage < abs(budget) - tol:
            fail(
                f"gross leverage limit {resolved.gross_leverage:.6g} is below |budget| "
                f"{abs(budget):.6g}"
            )
        forced = np.where(resolved.lower > 0, resolved.lower, 0.0) + np.where(
            resolved.upper < 0, -resolved.upper, 0.0
        )
        if float(np.sum(forced)) > resolved.gross_leverage + tol:
            fail(
                f"bounds force a gross exposure of at least {float(np.sum(forced)):.6g}, above the "
                f"gross leverage limit {resolved.gross_leverage:.6g}"
            )
    for g, name in enumerate(resolved.group_names):
        in_group = resolved.group_members[g] > 0
        g_min, g_max = resolved.group_minimum[g], resolved.group_maximum[g]
        if g_min > g_max + tol:
            fail(f"group {name!r} minimum {g_min:.6g} is above its maximum {g_max:.6g}")
        reachable_high = float(np.sum(resolved.upper[in_group]))
        reachable_low = float(np.sum(resolved.lower[in_group]))
        if g_min > reachable_high + tol:
            fail(
                f"group {name!r} minimum {g_min:.6g} exceeds the sum of its members' upper bounds "
                f"{reachable_high:.6g}"
            )
        if g_max < reachable_low - tol:
            fail(
                f"group {name!r} maximum {g_max:.6g} is below the sum of its members' lower bounds "
                f"{reachable_low:.6g}"
            )
    if resolved.turnover_limit is not None:
        limit = resolved.turnover_limit
        needed_for_budget = abs(budget - float(np.sum(resolved.current)))
        if needed_for_budget > limit + tol:
            fail(
                f"turnover limit {limit:.6g} is below the turnover {needed_for_budget:.6g} needed "
                f"to move the current weights onto the budget {budget:.6g}"
            )
        outside = np.maximum(resolved.lower - resolved.current, 0.0) + np.maximum(
            resolved.current - resolved.upper, 0.0
        )
        if float(np.sum(outside)) > limit + tol:
            fail(
                f"turnover limit {limit:.6g} is below the turnover {float(np.sum(outside)):.6g} "
                f"needed to bring the current weights inside the asset bounds"
            )
