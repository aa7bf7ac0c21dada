"""Transaction-cost model charged in the optimisation objective.

For a trade ``d = w - w0`` (weights, fractions of equity) the modelled cost, also a fraction of
equity, is::

    cost(w) = sum_i linear_i * |d_i|  +  sum_i quadratic_i * d_i^2

``linear`` is the proportional cost (half-spread plus commission; 0.001 = 10 bp of the traded
value); ``quadratic`` is a market-impact coefficient (temporary impact linear in trade size gives a
cost quadratic in trade size, e.g. Almgren-Chriss with ``quadratic_i = eta_i / (ADV_i * T)`` scaled
to equity). Both are convex, so the problems stay convex.

How costs enter each objective: where the objective has a return (maximum return, utility,
efficient risk, maximum Sharpe, the target-return constraint) costs are subtracted from the
expected return, so the units agree. Where the objective is pure risk (minimum variance, the
frontier's variance, minimum CVaR) the cost is added to the risk measure as a penalty -- exact for
CVaR (a deterministic cost shifts every scenario loss), and the PyPortfolioOpt convention for
variance. Costs are measured against the constraints' ``current_weights``, or against an all-cash
book when there are none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike

from .errors import InvalidInputError
from .validation import FloatArray, finite_scalar, per_asset_vector


def _frozen(name: str, value: float | Mapping[str, float]) -> float | Mapping[str, float]:
    if isinstance(value, Mapping):
        frozen = {key: finite_scalar(f"{name}[{key!r}]", v) for key, v in value.items()}
        negative = sorted(key for key, v in frozen.items() if v < 0.0)
        if negative:
            raise InvalidInputError(f"{name} must be >= 0; negative for {negative}")
        return MappingProxyType(frozen)
    number = finite_scalar(name, value)
    if number < 0.0:
        raise InvalidInputError(f"{name} must be >= 0, got {number}")
    return number


@dataclass(frozen=True)
class TransactionCosts:
    """Linear and quadratic per-asset cost coefficients (a scalar applies to every asset)."""

    linear: float | Mapping[str, float] = 0.0
    quadratic: float | Mapping[str, float] = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "linear", _frozen("linear", self.linear))
        object.__setattr__(self, "quadratic", _frozen("quadratic", self.quadratic))


@dataclass(frozen=True, eq=False)
class ResolvedCosts:
    """Cost coefficients aligned with a universe."""

    linear: FloatArray
    quadratic: FloatArray

    @property
    def is_zero(self) -> bool:
        return not (np.any(self.linear > 0.0) or np.any(self.quadratic > 0.0))

    def evaluate(self, weights: ArrayLike, current: ArrayLike) -> float:
        """Cost of moving from ``current`` to ``weights`` (fraction of equity)."""
        trade = np.asarray(weights, dtype=np.float64) - np.asarray(current, dtype=np.float64)
        return float(self.linear @ np.abs(trade) + self.quadratic @ trade**2)


def resolve_costs(costs: TransactionCosts | None, asset_ids: Sequence[str]) -> ResolvedCosts:
    """Align ``costs`` with ``asset_ids`` (``None`` = no costs); unknown ids raise."""
    n = len(asset_ids)
    if costs is None:
        return ResolvedCosts(linear=np.zeros(n), quadratic=np.zeros(n))
    return ResolvedCosts(
        linear=per_asset_vector("linear costs", costs.linear, asset_ids),
        quadratic=per_asset_vector("quadratic costs", costs.quadratic, asset_ids),
    )
