"""Alpha and beta of a strategy against a benchmark (single-index / CAPM regression).

OLS of excess returns, ``r_t - r_f = alpha + beta * (b_t - r_f) + e_t`` (Jensen 1968),
with ``r_f`` the de-annualised risk-free rate. ``beta = cov(r_e, b_e) / var(b_e)`` and
``alpha = mean(r_e) - beta * mean(b_e)`` per period, annualised ARITHMETICALLY as
``alpha * periods_per_year`` — the scaling of a regression intercept; compounding it
(``(1 + alpha) ** P - 1``, empyrical's choice) explodes at high bar frequencies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InvalidSeries
from .returns import ZERO_DISPERSION_TOLERANCE
from .series import (
    NumberSeries,
    as_float_series,
    per_period_rate,
    require_annual_rate,
    require_periods_per_year,
)


@dataclass(frozen=True, slots=True)
class AlphaBeta:
    """Annualised alpha and beta; both ``None`` when the benchmark does not vary."""

    alpha: float | None
    beta: float | None


def alpha_beta(
    returns: NumberSeries,
    benchmark_returns: NumberSeries,
    *,
    periods_per_year: float,
    risk_free_rate: float = 0.0,
) -> AlphaBeta:
    """OLS alpha (annualised) and beta of ``returns`` on ``benchmark_returns`` (same periods)."""
    strategy = as_float_series("returns", returns)
    benchmark = as_float_series("benchmark_returns", benchmark_returns)
    per_year = require_periods_per_year(periods_per_year)
    rate = per_period_rate(require_annual_rate("risk_free_rate", risk_free_rate), per_year)
    if benchmark.size != strategy.size:
        raise InvalidSeries(
            f"benchmark_returns must have one return per strategy period ({strategy.size}), "
            f"got {benchmark.size}"
        )
    if strategy.size < 2:
        return AlphaBeta(alpha=None, beta=None)
    strategy_excess = strategy - rate
    benchmark_excess = benchmark - rate
    benchmark_centred = benchmark_excess - benchmark_excess.mean()
    if float(np.std(benchmark_centred)) <= ZERO_DISPERSION_TOLERANCE:
        return AlphaBeta(alpha=None, beta=None)
    beta = float(
        np.dot(benchmark_centred, strategy_excess - strategy_excess.mean())
        / np.dot(benchmark_centred, benchmark_centred)
    )
    alpha = float(strategy_excess.mean() - beta * benchmark_excess.mean())
    return AlphaBeta(alpha=alpha * per_year, beta=beta)
