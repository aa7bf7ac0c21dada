"""Moving averages, batch form: SMA, EMA, WMA, DEMA, TEMA.

Conventions are TA-Lib's (``TA_COMPATIBILITY_DEFAULT``, unstable period 0):

* SMA(p): mean of the last p values; first valid index p - 1.
* EMA(p): k = 2 / (p + 1); seeded with the SMA of the first p values at index p - 1, then
  ``ema[t] = k * x[t] + (1 - k) * ema[t-1]``.
* WMA(p): weights 1..p (newest heaviest) divided by p (p + 1) / 2; first valid index p - 1.
* DEMA(p) = 2 EMA1 - EMA2 where EMA2 is the EMA of EMA1's valid values; first valid 2 (p - 1).
* TEMA(p) = 3 EMA1 - 3 EMA2 + EMA3 (EMA3 = EMA of EMA2); first valid 3 (p - 1).
"""

from __future__ import annotations

import numpy as np

from ._windows import rolling_sum, seeded_recursion, weighted_window_sum, with_warmup
from .conventions import ema_gain
from .validation import as_series, check_period


def sma_tail(values: np.ndarray, period: int) -> np.ndarray:
    """SMA values from index ``period - 1`` on (unvalidated internal helper)."""
    return rolling_sum(values, period) / period


def ema_tail(values: np.ndarray, period: int) -> np.ndarray:
    """EMA values from index ``period - 1`` on (unvalidated internal helper)."""
    gain = ema_gain(period)
    return seeded_recursion(values, period, gain, 1.0 - gain)


def sma(values: object, period: int = 20) -> np.ndarray:
    """Simple moving average; NaN for the first ``period - 1`` positions."""
    x = as_series("values", values)
    period = check_period("period", period)
    return with_warmup(sma_tail(x, period), period - 1, len(x))


def ema(values: object, period: int = 20) -> np.ndarray:
    """Exponential moving average seeded with the SMA of the first ``period`` values (TA-Lib)."""
    x = as_series("values", values)
    period = check_period("period", period)
    return with_warmup(ema_tail(x, period), period - 1, len(x))


def wma(values: object, period: int = 20) -> np.ndarray:
    """Linearly weighted moving average (weights 1..period, newest heaviest)."""
    x = as_series("values", values)
    period = check_period("period", period)
    weighted = weighted_window_sum(x, np.arange(1, period + 1, dtype=np.float64))
    return with_warmup(weighted / (period * (period + 1) / 2), period - 1, len(x))


def dema(values: object, period: int = 20) -> np.ndarray:
    """Double EMA, 2 EMA1 - EMA2; first valid index 2 (period - 1) like TA-Lib's DEMA."""
    x = as_series("values", values)
    period = check_period("period", period)
    first = ema_tail(x, period)
    second = ema_tail(first, period)
    combined = 2.0 * first[period - 1 :] - second
    return with_warmup(combined, 2 * (period - 1), len(x))


def tema(values: object, period: int = 20) -> np.ndarray:
    """Triple EMA, 3 EMA1 - 3 EMA2 + EMA3; first valid index 3 (period - 1) like TA-Lib."""
    x = as_series("values", values)
    period = check_period("period", period)
    first = ema_tail(x, period)
    second = ema_tail(first, period)
    third = ema_tail(second, period)
    lag = period - 1
    combined = 3.0 * first[2 * lag :] - 3.0 * second[lag:] + third
    return with_warmup(combined, 3 * lag, len(x))
