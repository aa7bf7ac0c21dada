"""Volume indicators, batch form: On-Balance Volume and session-anchored VWAP.

* OBV (TA-Lib): obv[0] = volume[0]; then + volume on an up close, - volume on a down close,
  unchanged on an equal close. Valid from index 0. Accumulated left to right (np.cumsum is a
  sequential accumulation), which is exactly the streaming form's arithmetic.
* VWAP: sum(typical * volume) / sum(volume) since the start of the session, typical price
  (high + low + close) / 3. A bar whose session key differs from the current session's key starts
  a new session; a bar with key ``None`` continues the current session; without keys the VWAP is
  anchored at the first bar. Until the session has traded a positive volume the VWAP is
  undefined: NaN here, None in the streaming form (the only non-warm-up gap of this package).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import InvalidSeriesError
from .validation import (
    as_series,
    check_high_not_below_low,
    check_non_negative,
    check_same_length,
)


def obv(close: object, volume: object) -> np.ndarray:
    """On-Balance Volume (TA-Lib OBV)."""
    c, v = as_series("close", close), as_series("volume", volume)
    check_same_length(close=c, volume=v)
    check_non_negative("volume", v)
    if len(c) == 0:
        return np.empty(0)
    direction = np.sign(np.diff(c))
    signed = np.concatenate(([v[0]], direction * v[1:]))
    return np.cumsum(signed)


def session_starts(sessions: Sequence[object] | np.ndarray | None, length: int) -> np.ndarray:
    """Boolean mask of the bars that open a new VWAP session (bar 0 always does)."""
    starts = np.zeros(length, dtype=bool)
    if length == 0:
        return starts
    starts[0] = True
    if sessions is None:
        return starts
    keys = np.empty(len(sessions), dtype=object)
    keys[:] = list(sessions)
    if len(keys) != length:
        raise InvalidSeriesError(
            f"sessions has {len(keys)} entries but the price arrays have {length}"
        )
    present = np.not_equal(keys, None).astype(bool)
    last_present = np.maximum.accumulate(np.where(present, np.arange(length), -1))
    current = np.where(last_present >= 0, keys[np.maximum(last_present, 0)], None)
    starts[1:] = np.not_equal(current[1:], current[:-1]).astype(bool)
    return starts


def vwap(
    high: object,
    low: object,
    close: object,
    volume: object,
    sessions: Sequence[object] | np.ndarray | None = None,
) -> np.ndarray:
    """Session-anchored VWAP of the typical price; NaN until the session trades volume."""
    h, lo, c = as_series("high", high), as_series("low", low), as_series("close", close)
    v = as_series("volume", volume)
    n = check_same_length(high=h, low=lo, close=c, volume=v)
    check_high_not_below_low(h, lo)
    check_non_negative("volume", v)
    starts = np.flatnonzero(session_starts(sessions, n))
    weighted = (h + lo + c) / 3.0 * v
    cumulative_weighted = np.empty(n)
    cumulative_volume = np.empty(n)
    for start, stop in zip(starts, [*starts[1:], n], strict=True):
        cumulative_weighted[start:stop] = np.cumsum(weighted[start:stop])
        cumulative_volume[start:stop] = np.cumsum(v[start:stop])
    out = np.full(n, np.nan)
    np.divide(cumulative_weighted, cumulative_volume, out=out, where=cumulative_volume > 0.0)
    return out
