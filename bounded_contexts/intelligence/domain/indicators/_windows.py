"""Vectorised building blocks of the batch form.

* Window sums use ``sliding_window_view(...).sum(axis=1)``: O(n * period) work, but every window
  is summed afresh, so there is no drift (a cumulative-sum difference loses ``eps * |cumsum|``,
  which grows with the series length; TA-Lib's running add/subtract drifts the same way).
* First-order recursions (EMA, Wilder) use ``scipy.signal.lfilter``: the recursion
  ``y[t] = gain * x[t] + decay * y[t-1]`` is inherently sequential, a pure-NumPy closed form
  (powers of ``decay``) under/overflows on long series, and lfilter runs the loop in C with the
  same operation order as the streaming form (``gain * x + decay * previous``).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.signal import lfilter

from .conventions import ZERO_DISPERSION_RELATIVE_TOLERANCE


def rolling_sum(values: np.ndarray, period: int) -> np.ndarray:
    """Sums of every complete window: ``out[j] = values[j : j + period].sum()``.

    The result has ``len(values) - period + 1`` entries (none if the series is shorter).
    """
    if len(values) < period:
        return np.empty(0, dtype=np.float64)
    return sliding_window_view(values, period).sum(axis=1)


def rolling_max(values: np.ndarray, period: int) -> np.ndarray:
    """Maximum of every complete window, aligned like :func:`rolling_sum`."""
    if len(values) < period:
        return np.empty(0, dtype=np.float64)
    return sliding_window_view(values, period).max(axis=1)


def rolling_min(values: np.ndarray, period: int) -> np.ndarray:
    """Minimum of every complete window, aligned like :func:`rolling_sum`."""
    if len(values) < period:
        return np.empty(0, dtype=np.float64)
    return sliding_window_view(values, period).min(axis=1)


def first_order_recursion(
    inputs: np.ndarray, gain: float, decay: float, initial: float
) -> np.ndarray:
    """``y[t] = gain * inputs[t] + decay * y[t-1]`` with ``y[-1] = initial``, via lfilter."""
    if len(inputs) == 0:
        return np.empty(0, dtype=np.float64)
    filtered, _ = lfilter([gain], [1.0, -decay], inputs, zi=[decay * initial])
    return np.asarray(filtered, dtype=np.float64)


def seeded_recursion(inputs: np.ndarray, period: int, gain: float, decay: float) -> np.ndarray:
    """TA-Lib's seeded smoothing: first output = mean of the first ``period`` inputs, then the
    recursion. Output is aligned with ``inputs[period - 1:]`` (empty if too short)."""
    if len(inputs) < period:
        return np.empty(0, dtype=np.float64)
    seed = float(inputs[:period].sum()) / period
    tail = first_order_recursion(inputs[period:], gain, decay, seed)
    return np.concatenate(([seed], tail))


def recursion_with_holds(
    inputs: np.ndarray, defined: np.ndarray, gain: float, decay: float, initial: float
) -> np.ndarray:
    """Like :func:`first_order_recursion`, but where ``defined`` is False the previous output
    is carried unchanged (TA-Lib's ADX skips bars whose DX is undefined). Runs of defined
    inputs are filtered in C; there is one lfilter call per run, in practice one or two."""
    if defined.all():
        return first_order_recursion(inputs, gain, decay, initial)
    out = np.empty(len(inputs), dtype=np.float64)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], defined.astype(np.int8), [0]))))
    last = initial
    position = 0
    for start, stop in zip(edges[0::2], edges[1::2], strict=True):
        out[position:start] = last
        run = first_order_recursion(inputs[start:stop], gain, decay, last)
        out[start:stop] = run
        last = float(run[-1])
        position = int(stop)
    out[position:] = last
    return out


def with_warmup(valid: np.ndarray, first_valid: int, length: int) -> np.ndarray:
    """Full-length output: NaN before ``first_valid``, then the ``valid`` values."""
    out = np.full(length, np.nan)
    if first_valid < length:
        out[first_valid:] = valid[: length - first_valid]
    return out


def centred_square_sum(total: np.ndarray, total_sq: np.ndarray, count: int) -> np.ndarray:
    """``sum((x - mean)**2)`` from window sums, exactly 0 on a flat window.

    The streaming form evaluates the same expression, ``total_sq - total * (total / count)``,
    and applies the same flat-window threshold (``ZERO_DISPERSION_RELATIVE_TOLERANCE``).
    """
    centred = total_sq - total * (total / count)
    return np.where(centred <= ZERO_DISPERSION_RELATIVE_TOLERANCE * total_sq, 0.0, centred)
