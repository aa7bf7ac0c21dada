"""Range and trend-strength indicators, batch form: True Range, ATR, +DI / -DI / ADX.

* True range (bar t >= 1): max(high - low, |high - close[t-1]|, |low - close[t-1]|); TA-Lib's
  TRANGE has no value at bar 0 (no previous close) and neither do we.
* ATR(p), TA-Lib: first value at bar p = mean of TR over bars 1..p; then Wilder smoothing
  ``atr = atr * (p - 1) / p + tr / p``. ATR(1) is the true range itself.
* Directional movement (Wilder, exactly as TA-Lib's PLUS_DI / MINUS_DI / ADX):
  up = high[t] - high[t-1], down = low[t-1] - low[t];
  +DM = up if up > down and up > 0 else 0; -DM = down if down > up and down > 0 else 0.
  The smoothed sums +DM_p, -DM_p, TR_p start as the plain sums over bars 1..p-1 (p - 1 terms,
  TA-Lib's quirk) and then follow ``S = S * (p - 1) / p + x`` from bar p on.
  +DI = 100 +DM_p / TR_p (0 when TR_p is 0); first valid bar p.
  DX = 100 |+DI - -DI| / (+DI + -DI), undefined when TR_p or +DI + -DI is 0.
  ADX first value at bar 2p - 1 = sum of the defined DX over bars p..2p-1 divided by p; then
  Wilder smoothing of DX, holding the previous ADX on bars whose DX is undefined (TA-Lib).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._windows import first_order_recursion, recursion_with_holds, seeded_recursion, with_warmup
from .conventions import wilder_decay, wilder_gain
from .validation import as_series, check_high_not_below_low, check_period, check_same_length


class DirectionalMovementLines(NamedTuple):
    """+DI and -DI (first valid index p) and ADX (first valid index 2p - 1), in percent."""

    plus_di: np.ndarray
    minus_di: np.ndarray
    adx: np.ndarray


def _ohlc_series(
    high: object, low: object, close: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    h, lo, c = as_series("high", high), as_series("low", low), as_series("close", close)
    check_same_length(high=h, low=lo, close=c)
    check_high_not_below_low(h, lo)
    return h, lo, c


def true_range_tail(high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    """True range of bars 1..n-1 (unvalidated internal helper)."""
    previous_close = close[:-1]
    return np.maximum(
        high[1:] - low[1:],
        np.maximum(np.abs(high[1:] - previous_close), np.abs(low[1:] - previous_close)),
    )


def true_range(high: object, low: object, close: object) -> np.ndarray:
    """Wilder's true range; NaN at bar 0 (TA-Lib's TRANGE)."""
    h, lo, c = _ohlc_series(high, low, close)
    return with_warmup(true_range_tail(h, lo, c), 1, len(c))


def atr(high: object, low: object, close: object, period: int = 14) -> np.ndarray:
    """Average true range, TA-Lib convention: first valid index ``period``."""
    h, lo, c = _ohlc_series(high, low, close)
    period = check_period("period", period)
    smoothed = seeded_recursion(
        true_range_tail(h, lo, c), period, wilder_gain(period), wilder_decay(period)
    )
    return with_warmup(smoothed, period, len(c))


def directional_movement_ratios(
    plus_sum: np.ndarray, minus_sum: np.ndarray, range_sum: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """+DI, -DI, DX and the mask of bars whose DX is defined, from the smoothed sums."""
    range_nonzero = range_sum != 0.0
    plus_ratio = np.zeros(len(range_sum))
    minus_ratio = np.zeros(len(range_sum))
    np.divide(plus_sum, range_sum, out=plus_ratio, where=range_nonzero)
    np.divide(minus_sum, range_sum, out=minus_ratio, where=range_nonzero)
    plus_di, minus_di = 100.0 * plus_ratio, 100.0 * minus_ratio
    di_total = plus_di + minus_di
    defined = range_nonzero & (di_total != 0.0)
    dx_ratio = np.zeros(len(range_sum))
    np.divide(np.abs(minus_di - plus_di), di_total, out=dx_ratio, where=defined)
    return plus_di, minus_di, 100.0 * dx_ratio, defined


def directional_movement(
    high: object, low: object, close: object, period: int = 14
) -> DirectionalMovementLines:
    """Wilder's +DI, -DI and ADX with TA-Lib's seeding (see the module docstring)."""
    h, lo, c = _ohlc_series(high, low, close)
    period = check_period("period", period)
    n = len(c)
    if n <= period:
        empty = np.full(n, np.nan)
        return DirectionalMovementLines(empty, empty.copy(), empty.copy())
    up = h[1:] - h[:-1]
    down = lo[:-1] - lo[1:]
    plus_dm = np.where((up > 0.0) & (up > down), up, 0.0)
    minus_dm = np.where((down > 0.0) & (down > up), down, 0.0)
    ranges = true_range_tail(h, lo, c)
    decay = wilder_decay(period)
    # Element j of these arrays is bar j + 1; the seed sums cover bars 1..p-1.
    sums = [
        first_order_recursion(series[period - 1 :], 1.0, decay, float(series[: period - 1].sum()))
        for series in (plus_dm, minus_dm, ranges)
    ]
    plus_di, minus_di, dx, defined = directional_movement_ratios(*sums)
    adx_tail = np.empty(0)
    if n >= 2 * period:
        seed = float(np.where(defined[:period], dx[:period], 0.0).sum()) / period
        rest = recursion_with_holds(dx[period:], defined[period:], wilder_gain(period), decay, seed)
        adx_tail = np.concatenate(([seed], rest))
    return DirectionalMovementLines(
        with_warmup(plus_di, period, n),
        with_warmup(minus_di, period, n),
        with_warmup(adx_tail, 2 * period - 1, n),
    )
