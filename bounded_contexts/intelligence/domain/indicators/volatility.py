"""Dispersion indicators, batch form: Bollinger bands, close-to-close and Parkinson volatility.

* Bollinger(p, k_up, k_down): middle = SMA(p); std = *population* standard deviation of the same
  p closes (TA-Lib BBANDS, matype SMA); upper = middle + k_up std, lower = middle - k_down std.
  First valid index p - 1.
* Close-to-close volatility(p): sample standard deviation (n - 1 denominator) of the last p log
  returns ln(close[t] / close[t-1]); first valid index p (p returns need p + 1 closes).
* Parkinson volatility(p) (Parkinson 1980): sqrt( sum(ln(high/low)^2) / (4 ln 2 * p) ) over the last
  p bars; first valid index p - 1.
* ``periods_per_year`` (e.g. 252 for daily bars) annualises by multiplying by its square root;
  ``None`` leaves the per-bar figure.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._windows import centred_square_sum, rolling_sum, with_warmup
from .averages import sma_tail
from .conventions import PARKINSON_VARIANCE_FACTOR
from .validation import (
    as_series,
    check_high_not_below_low,
    check_period,
    check_positive_parameter,
    check_same_length,
    check_strictly_positive,
)

LOG_NEEDS_POSITIVE = "prices must be positive to take logarithms"


class BollingerBandLines(NamedTuple):
    """Middle (SMA), upper and lower bands."""

    middle: np.ndarray
    upper: np.ndarray
    lower: np.ndarray


def annualisation_scale(periods_per_year: float | None) -> float:
    """sqrt(periods_per_year), or 1 when no annualisation is asked for."""
    if periods_per_year is None:
        return 1.0
    return math.sqrt(check_positive_parameter("periods_per_year", periods_per_year))


def bollinger_bands(
    values: object,
    period: int = 20,
    deviations_up: float = 2.0,
    deviations_down: float = 2.0,
) -> BollingerBandLines:
    """Bollinger bands with population std (TA-Lib BBANDS with an SMA middle band)."""
    x = as_series("values", values)
    period = check_period("period", period)
    up = check_positive_parameter("deviations_up", deviations_up, allow_zero=True)
    down = check_positive_parameter("deviations_down", deviations_down, allow_zero=True)
    middle = sma_tail(x, period)
    centred = centred_square_sum(rolling_sum(x, period), rolling_sum(x * x, period), period)
    deviation = np.sqrt(centred / period)
    n = len(x)
    return BollingerBandLines(
        with_warmup(middle, period - 1, n),
        with_warmup(middle + up * deviation, period - 1, n),
        with_warmup(middle - down * deviation, period - 1, n),
    )


def close_to_close_volatility(
    close: object, period: int = 20, periods_per_year: float | None = None
) -> np.ndarray:
    """Rolling sample std of log returns (optionally annualised); first valid index ``period``."""
    c = as_series("close", close)
    period = check_period("period", period, minimum=2)
    scale = annualisation_scale(periods_per_year)
    check_strictly_positive("close", c, LOG_NEEDS_POSITIVE)
    returns = np.log(c[1:] / c[:-1])
    centred = centred_square_sum(
        rolling_sum(returns, period), rolling_sum(returns * returns, period), period
    )
    return with_warmup(np.sqrt(centred / (period - 1)) * scale, period, len(c))


def parkinson_volatility(
    high: object, low: object, period: int = 20, periods_per_year: float | None = None
) -> np.ndarray:
    """Parkinson high/low range estimator (optionally annualised); first valid ``period - 1``."""
    h, lo = as_series("high", high), as_series("low", low)
    check_same_length(high=h, low=lo)
    period = check_period("period", period)
    scale = annualisation_scale(periods_per_year)
    check_strictly_positive("high", h, LOG_NEEDS_POSITIVE)
    check_strictly_positive("low", lo, LOG_NEEDS_POSITIVE)
    check_high_not_below_low(h, lo)
    log_range = np.log(h / lo)
    variance = rolling_sum(log_range * log_range, period) * PARKINSON_VARIANCE_FACTOR / period
    return with_warmup(np.sqrt(variance) * scale, period - 1, len(h))
