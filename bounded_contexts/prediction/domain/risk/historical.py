"""Historical-simulation VaR and expected shortfall (full revaluation of a linear portfolio).

Each row of ``returns`` (observations x instruments, simple daily returns) is one scenario
applied to today's position values ``w``: scenario P&L ``w' r_s``, loss ``-w' r_s``. VaR and ES
are the empirical tail statistics of :mod:`.tail` (lower empirical quantile, Acerbi-Tasche ES).

Horizon ``h > 1`` — the caller chooses with ``horizon_scaling``:

* ``"sqrt_time"`` (default): compute the 1-day figures and multiply by ``sqrt(h)``, as Basel
  permits for a 10-day VaR from 1-day data. Implemented by scaling each scenario return by
  ``sqrt(h)``, which scales every VaR/ES and Euler contribution alike and keeps no
  observation from being lost. Assumes i.i.d. zero-mean returns.
* ``"overlapping"``: build ``n - h + 1`` overlapping h-day compounded returns
  ``prod_{j=t}^{t+h-1} (1 + r_j) - 1`` per instrument (buy and hold over the window) and take the
  tail of those. Keeps fat tails and autocorrelation of the data, but the windows overlap, so
  the effective sample is smaller than it looks, and it needs
  ``(n - h + 1) * (1 - alpha) >= 1``.

Euler allocation: see :func:`.tail.euler_allocation_from_tail` — component ES is the
conditional tail expectation of each position's loss, component VaR is the same rescaled by
VaR/ES, and both add up exactly to the portfolio figures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from enum import StrEnum

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

from .errors import InsufficientObservationsError, InvalidParameterError
from .grouping import group_weights
from .report import VaRMethod, VaRReport, assemble_report
from .tail import (
    euler_allocation_from_tail,
    minimum_scenarios,
    portfolio_tail,
    var_and_es_of_rows,
)
from .validation import (
    FloatMatrix,
    as_finite_matrix,
    as_finite_vector,
    check_confidence,
    check_horizon,
    check_instruments,
)


class HorizonScaling(StrEnum):
    """How a historical VaR reaches an h-day horizon from daily returns."""

    SQRT_TIME = "sqrt_time"
    OVERLAPPING = "overlapping"


def overlapping_horizon_returns(returns: FloatMatrix, horizon: int) -> FloatMatrix:
    """Compounded h-day returns of every overlapping window, ``(n - h + 1) x instruments``."""
    if horizon == 1:
        return returns
    windows = sliding_window_view(1.0 + returns, horizon, axis=0)
    return windows.prod(axis=-1) - 1.0


def horizon_scenarios(returns: FloatMatrix, horizon: int, scaling: HorizonScaling) -> FloatMatrix:
    """Scenario returns at the requested horizon (see module docstring for both rules)."""
    if scaling is HorizonScaling.OVERLAPPING:
        return overlapping_horizon_returns(returns, horizon)
    return returns * math.sqrt(horizon)


def _parse_scaling(horizon_scaling: object) -> HorizonScaling:
    try:
        return HorizonScaling(horizon_scaling)
    except ValueError:
        raise InvalidParameterError(
            f"horizon_scaling must be one of {[s.value for s in HorizonScaling]}, "
            f"got {horizon_scaling!r}"
        ) from None


def historical_var(
    returns: ArrayLike,
    position_values: ArrayLike,
    *,
    instruments: Sequence[str],
    confidence: float,
    horizon: int = 1,
    horizon_scaling: HorizonScaling | str = HorizonScaling.SQRT_TIME,
    clusters: Mapping[str, str] | None = None,
) -> VaRReport:
    """Historical VaR/ES per instrument, cluster and portfolio, with Euler allocation.

    ``returns``: (observations x instruments) simple daily returns, oldest first.
    ``position_values``: today's market values (currency; negative = short).
    Raises :class:`InsufficientObservationsError` when the (horizon) scenarios leave less than
    one whole observation in the tail.
    """
    alpha = check_confidence(confidence)
    days = check_horizon(horizon)
    scaling = _parse_scaling(horizon_scaling)
    ids = check_instruments(instruments)
    daily = as_finite_matrix(returns, "returns", len(ids), ids)
    values = as_finite_vector(position_values, "position values", len(ids), ids)
    lost_to_windows = days - 1 if scaling is HorizonScaling.OVERLAPPING else 0
    required_rows = minimum_scenarios(alpha) + lost_to_windows
    if daily.shape[0] < required_rows:
        raise InsufficientObservationsError(
            daily.shape[0],
            alpha,
            required_rows,
            f"historical VaR ({scaling.value}, {days}-day horizon) on {daily.shape[0]} day(s)",
        )
    if scaling is HorizonScaling.OVERLAPPING and np.any(daily < -1.0):
        row, column = (int(i) for i in np.argwhere(daily < -1.0)[0])
        raise InvalidParameterError(
            f"returns[{row}, {column}] (instrument {ids[column]!r}) = {daily[row, column]!r} is "
            "below -100%, impossible for a simple price return; compounding it is meaningless"
        )
    scenarios = horizon_scenarios(daily, days, scaling)

    groups = group_weights(ids, values, clusters)
    group_losses = -(scenarios @ groups.matrix).T
    group_var, group_es = var_and_es_of_rows(group_losses, alpha)
    instrument_losses = -(scenarios * values).T
    instrument_var, instrument_es = var_and_es_of_rows(instrument_losses, alpha)
    tail = portfolio_tail(group_losses[groups.portfolio_column], alpha)
    allocation = euler_allocation_from_tail(scenarios[tail.indices], tail, values)
    return assemble_report(
        method=VaRMethod.HISTORICAL,
        confidence=alpha,
        horizon=days,
        instruments=ids,
        groups=groups,
        group_var=group_var,
        group_es=group_es,
        instrument_var=instrument_var,
        instrument_es=instrument_es,
        allocation=allocation,
    )
