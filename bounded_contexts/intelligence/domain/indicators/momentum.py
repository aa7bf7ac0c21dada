"""Momentum oscillators, batch form: RSI, MACD, Stochastic.

* RSI(p), Wilder (TA-Lib): gains/losses of the close-to-close changes; the first average gain and
  loss are the plain means of the first p changes (bars 1..p), then Wilder smoothing
  ``avg = avg * (p - 1) / p + change / p``; RSI = 100 avg_gain / (avg_gain + avg_loss).
  First valid index p. A window with no change at all gives 0 (TA-Lib's value).
* MACD(fast, slow, signal), TA-Lib alignment: the slow EMA is seeded at index slow - 1 as usual,
  and the fast EMA is seeded *at the same index* with the SMA of the ``fast`` values ending there
  (not at index fast - 1); the signal is the EMA of the MACD line seeded with the SMA of its first
  ``signal`` values. All three lines start at index slow + signal - 2 (33 for 12/26/9).
* Stochastic (TA-Lib STOCH, SMA smoothing): fast %K = 100 (close - LL) / (HH - LL) over
  ``fastk_period`` bars (0 when HH == LL); slow %K = SMA(fast %K, slowk_period);
  %D = SMA(slow %K, slowd_period). Both lines start at index
  (fastk_period - 1) + (slowk_period - 1) + (slowd_period - 1), like TA-Lib.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._windows import (
    first_order_recursion,
    rolling_max,
    rolling_min,
    rolling_sum,
    seeded_recursion,
    with_warmup,
)
from .averages import ema_tail
from .conventions import ema_gain, wilder_decay, wilder_gain
from .errors import InvalidPeriodError
from .validation import as_series, check_high_not_below_low, check_period, check_same_length


class MacdLines(NamedTuple):
    """MACD line (fast EMA - slow EMA), its signal EMA, and the histogram (line - signal)."""

    macd: np.ndarray
    signal: np.ndarray
    histogram: np.ndarray


class StochasticLines(NamedTuple):
    """Slow %K and %D, in percent."""

    k: np.ndarray
    d: np.ndarray


def rsi_from_averages(average_gain: np.ndarray, average_loss: np.ndarray) -> np.ndarray:
    """100 * gain / (gain + loss), and 0 where both are zero (a flat window, TA-Lib's value)."""
    total = average_gain + average_loss
    out = np.zeros(len(total))
    np.divide(average_gain, total, out=out, where=total != 0.0)
    return 100.0 * out


def rsi(values: object, period: int = 14) -> np.ndarray:
    """Wilder's Relative Strength Index (TA-Lib convention, first valid index ``period``)."""
    x = as_series("values", values)
    period = check_period("period", period)
    changes = np.diff(x)
    gains = np.maximum(changes, 0.0)
    losses = np.maximum(-changes, 0.0)
    gain, decay = wilder_gain(period), wilder_decay(period)
    average_gain = seeded_recursion(gains, period, gain, decay)
    average_loss = seeded_recursion(losses, period, gain, decay)
    return with_warmup(rsi_from_averages(average_gain, average_loss), period, len(x))


def check_macd_periods(
    fast_period: object, slow_period: object, signal_period: object
) -> tuple[int, int, int]:
    """Validate MACD periods; fast must be shorter than slow (TA-Lib silently swaps them,
    which hides a configuration mistake, so we refuse instead)."""
    fast = check_period("fast_period", fast_period)
    slow = check_period("slow_period", slow_period)
    signal = check_period("signal_period", signal_period)
    if fast >= slow:
        raise InvalidPeriodError(
            f"fast_period ({fast}) must be shorter than slow_period ({slow}) for MACD"
        )
    return fast, slow, signal


def macd(
    values: object, fast_period: int = 12, slow_period: int = 26, signal_period: int = 9
) -> MacdLines:
    """MACD with TA-Lib's alignment (fast EMA seeded at the slow EMA's first index)."""
    x = as_series("values", values)
    fast, slow, signal = check_macd_periods(fast_period, slow_period, signal_period)
    n = len(x)
    first_valid = slow + signal - 2
    if n < slow:
        empty = np.full(n, np.nan)
        return MacdLines(empty, empty.copy(), empty.copy())
    slow_line = ema_tail(x, slow)
    fast_seed = float(x[slow - fast : slow].sum()) / fast
    fast_gain = ema_gain(fast)
    fast_tail = first_order_recursion(x[slow:], fast_gain, 1.0 - fast_gain, fast_seed)
    fast_line = np.concatenate(([fast_seed], fast_tail))
    line = fast_line - slow_line
    signal_line = ema_tail(line, signal)
    line = line[signal - 1 :]
    return MacdLines(
        with_warmup(line, first_valid, n),
        with_warmup(signal_line, first_valid, n),
        with_warmup(line - signal_line, first_valid, n),
    )


def fast_stochastic_k(close: np.ndarray, highest: np.ndarray, lowest: np.ndarray) -> np.ndarray:
    """Fast %K as TA-Lib computes it: (close - LL) / ((HH - LL) / 100), and 0 when HH == LL."""
    span = (highest - lowest) / 100.0
    out = np.zeros(len(span))
    np.divide(close - lowest, span, out=out, where=span != 0.0)
    return out


def stochastic(
    high: object,
    low: object,
    close: object,
    fastk_period: int = 5,
    slowk_period: int = 3,
    slowd_period: int = 3,
) -> StochasticLines:
    """TA-Lib STOCH with SMA smoothing for both slow %K and %D (defaults are TA-Lib's 5/3/3)."""
    h, lo, c = as_series("high", high), as_series("low", low), as_series("close", close)
    n = check_same_length(high=h, low=lo, close=c)
    check_high_not_below_low(h, lo)
    fastk = check_period("fastk_period", fastk_period)
    slowk = check_period("slowk_period", slowk_period)
    slowd = check_period("slowd_period", slowd_period)
    first_valid = (fastk - 1) + (slowk - 1) + (slowd - 1)
    fast_k = fast_stochastic_k(c[fastk - 1 :], rolling_max(h, fastk), rolling_min(lo, fastk))
    slow_k = rolling_sum(fast_k, slowk) / slowk
    slow_d = rolling_sum(slow_k, slowd) / slowd
    return StochasticLines(
        with_warmup(slow_k[slowd - 1 :], first_valid, n),
        with_warmup(slow_d, first_valid, n),
    )
