"""Return, volatility and risk-adjusted-return figures of a period return series.

Conventions (all documented in ``docs/quant/performance.md``):

* returns are simple period returns ``r_t = E_t / E_{t-1} - 1``;
* annual rates (risk-free, minimum acceptable return) are de-annualised geometrically,
  ``(1 + R) ** (1 / P) - 1``, with ``P = periods_per_year``;
* volatility is the sample standard deviation (``ddof=1``) scaled by ``sqrt(P)``;
* ratios that divide by a dispersion return ``None`` when that dispersion is zero (below
  ``ZERO_DISPERSION_TOLERANCE``) or when fewer than two returns exist: the figure is
  undefined, and ``None`` cannot be mistaken for a number in a report.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import InvalidParameter, InvalidSeries
from .series import (
    NumberSeries,
    as_equity_curve,
    as_float_series,
    per_period_rate,
    require_annual_rate,
    require_finite,
    require_periods_per_year,
)

#: A per-period standard deviation at or below this is treated as zero. Real per-minute
#: return volatilities are ~1e-4; float noise on a constant-growth curve is ~1e-17.
ZERO_DISPERSION_TOLERANCE = 1e-12


def total_return(equity: NumberSeries) -> float:
    """Cumulative simple return ``E_N / E_0 - 1`` of an equity curve."""
    curve = as_equity_curve(equity)
    return float(curve[-1] / curve[0] - 1.0)


def annualised_return(equity: NumberSeries, *, periods_per_year: float) -> float:
    """Compound annual growth rate ``(E_N / E_0) ** (P / N) - 1`` over ``N`` periods.

    Annualising a very short sample extrapolates wildly (ten 1-minute bars up 1 % become
    ~10**42 per year); when the result overflows a float, ``inf`` is returned, which is the
    mathematical limit and keeps the report honest about the extrapolation.
    """
    curve = as_equity_curve(equity)
    per_year = require_periods_per_year(periods_per_year)
    log_growth = math.log(curve[-1] / curve[0]) * per_year / (curve.size - 1)
    if log_growth > math.log(np.finfo(np.float64).max):
        return math.inf
    return math.expm1(log_growth)


def annualised_volatility(returns: NumberSeries, *, periods_per_year: float) -> float | None:
    """Sample standard deviation of period returns times ``sqrt(P)``; ``None`` with < 2 returns."""
    series = as_float_series("returns", returns)
    per_year = require_periods_per_year(periods_per_year)
    if series.size < 2:
        return None
    return float(np.std(series, ddof=1) * math.sqrt(per_year))


def sharpe_ratio(
    returns: NumberSeries, *, periods_per_year: float, risk_free_rate: float = 0.0
) -> float | None:
    """Annualised Sharpe ratio ``sqrt(P) * mean(r - r_f) / std(r - r_f)`` (Sharpe 1994).

    ``risk_free_rate`` is annual and de-annualised geometrically. The standard deviation is
    the sample one (``ddof=1``). ``None`` when fewer than two returns exist or the returns
    do not vary (the ratio is undefined, not infinite).
    """
    series = as_float_series("returns", returns)
    per_year = require_periods_per_year(periods_per_year)
    rate = require_annual_rate("risk_free_rate", risk_free_rate)
    if series.size < 2:
        return None
    excess = series - per_period_rate(rate, per_year)
    deviation = float(np.std(excess, ddof=1))
    if deviation <= ZERO_DISPERSION_TOLERANCE:
        return None
    return float(np.mean(excess)) / deviation * math.sqrt(per_year)


def downside_deviation(returns: NumberSeries, *, target: float = 0.0) -> float:
    """Target downside deviation ``sqrt(mean(min(0, r_t - T) ** 2))`` over ALL periods.

    Periods above the target contribute zeros but still count in the denominator: this is
    Sortino & Price's definition (J. Investing 1994), restated by Rollinger & Hoffman,
    "Sortino: A 'Sharper' Ratio" (Red Rock Capital, 2013), and used by empyrical. Dividing
    only by the number of below-target periods — a common mistake — overstates the risk.
    ``target`` is per period.
    """
    series = as_float_series("returns", returns)
    threshold = require_finite("target", target)
    if series.size == 0:
        raise InvalidSeries("returns is empty: downside deviation needs at least one return")
    shortfall = np.minimum(series - threshold, 0.0)
    return float(np.sqrt(np.mean(shortfall * shortfall)))


def sortino_ratio(
    returns: NumberSeries, *, periods_per_year: float, minimum_acceptable_return: float = 0.0
) -> float | None:
    """Annualised Sortino ratio ``sqrt(P) * mean(r - T) / DD_T``.

    ``minimum_acceptable_return`` is annual, de-annualised geometrically to the per-period
    target ``T``; ``DD_T`` is ``downside_deviation`` against ``T``. ``None`` when fewer than
    two returns exist or no period falls below the target (no downside: undefined).
    """
    series = as_float_series("returns", returns)
    per_year = require_periods_per_year(periods_per_year)
    annual_target = require_annual_rate("minimum_acceptable_return", minimum_acceptable_return)
    if series.size < 2:
        return None
    target = per_period_rate(annual_target, per_year)
    downside = downside_deviation(series, target=target)
    if downside <= ZERO_DISPERSION_TOLERANCE:
        return None
    return float(np.mean(series - target)) / downside * math.sqrt(per_year)


def calmar_ratio(annual_return: float, max_drawdown: float) -> float | None:
    """Annualised return over maximum drawdown (Young, *Futures* 1991); ``None`` without drawdown.

    Young's original uses the last 36 months; here both figures span the whole sample given.
    """
    if math.isnan(annual_return):
        raise InvalidParameter("annual_return must not be NaN")
    if not 0.0 <= max_drawdown <= 1.0:
        raise InvalidParameter(f"max_drawdown must lie in [0, 1], got {max_drawdown}")
    if max_drawdown == 0:
        return None
    return annual_return / max_drawdown
