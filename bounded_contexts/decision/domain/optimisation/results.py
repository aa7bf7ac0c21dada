"""Result value objects handed back by the optimisers (frozen, arrays read-only)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from .validation import FloatArray, read_only

#: Long-only solutions have entries in ``(-LONG_ONLY_CLIP, LONG_ONLY_CLIP)`` set to exactly zero:
#: interior-point solvers return ``-1e-12``-style values for assets that should be absent.
LONG_ONLY_CLIP = 1e-9


def weights_mapping(asset_ids: tuple[str, ...], weights: FloatArray) -> Mapping[str, float]:
    """Immutable ``{asset_id: weight}`` view of an aligned weight array."""
    return MappingProxyType(
        {asset_id: float(weight) for asset_id, weight in zip(asset_ids, weights, strict=True)}
    )


@dataclass(frozen=True, eq=False)
class PortfolioResult:
    """An optimised portfolio.

    ``expected_return`` is gross (``mu^T w``); ``transaction_cost`` is the modelled cost of
    trading from the current weights to ``weights`` (zero without costs); ``sharpe_ratio`` is
    ``(mu^T w - cost - r_f * sum(w)) / volatility`` and ``None`` when the volatility is zero.
    ``status`` is the solver status (always ``"optimal"``: anything else raises).
    """

    asset_ids: tuple[str, ...]
    weights: FloatArray
    weights_by_asset: Mapping[str, float]
    expected_return: float
    volatility: float
    sharpe_ratio: float | None
    transaction_cost: float
    status: str
    solver: str
    objective_value: float


@dataclass(frozen=True, eq=False)
class EfficientFrontier:
    """``len(portfolios)`` frontier points ordered by increasing target return."""

    portfolios: tuple[PortfolioResult, ...]
    target_returns: FloatArray
    expected_returns: FloatArray
    volatilities: FloatArray

    @property
    def weights(self) -> FloatArray:
        """Stacked weights, one row per frontier point."""
        return np.vstack([portfolio.weights for portfolio in self.portfolios])


def clip_long_only(weights: FloatArray) -> FloatArray:
    """Zero out the solver's round-off entries of a long-only solution (see LONG_ONLY_CLIP)."""
    clipped = weights.copy()
    clipped[np.abs(clipped) < LONG_ONLY_CLIP] = 0.0
    return read_only(clipped)
