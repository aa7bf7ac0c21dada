"""Vectorised building blocks of the batch form.

* Window sums, maxima and minima combine shifted slices in place (about 3 sqrt(period) passes
  over the array): every window is summed afresh, so there is no drift (a cumulative-sum
  difference loses ``eps * |cumsum|``, which grows with the series length; TA-Lib's running
  add/subtract drifts the same way).
* First-order recursions (EMA, Wilder) use ``scipy.signal.lfilter``: the recursion
  ``y[t] = gain * x[t] + decay * y[t-1]`` is inherently sequential, a pure-NumPy closed form
  (powers of ``decay``) under/overflows on long series, and lfilter runs the loop in C with the
  same operation order as the streaming form (``gain * x + decay * previous``).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from .conventions import ZERO_DISPERSION_FLOOR, ZERO_DISPERSION_RELATIVE_TOLERANCE


def _rolling_reduce(values: np.ndarray, period: int, combine: np.ufunc) -> np.ndarray:
    """Combine every complete window with an associative ufunc (add, maximum, minimum).

    Shifted slices combined in place: windows of length b = floor(sqrt(p)) first, then q = p // b
    of those with stride b, then the r = p - b q leftovers, so about 3 sqrt(p) passes over the
    array in C. Every window is combined afresh (no running add/subtract), so there is no drift.
    Output ``out[j]`` covers ``values[j : j + period]``.
    """
    length = len(values) - period + 1
    if length <= 0:
        return np.empty(0, dtype=np.float64)
    block = max(1, int(np.sqrt(period)))
    blocks = period // block
    partial = values[: len(values) - block + 1].copy()
    for offset in range(1, block):
        combine(partial, values[offset : offset + len(partial)], out=partial)
    out = partial[:length].copy()
    for index in range(1, blocks):
        combine(out, partial[index * block : index * block + length], out=out)
    for offset in range(blocks * block, period):
        combine(out, values[offset : offset + length], out=out)
    return out


def rolling_sum(values: np.ndarray, period: int) -> np.ndarray:
    """Sums of every complete window: ``out[j] = values[j : j + period].sum()``.

    The result has ``len(values) - period + 1`` entries (none if the series is shorter).
    """
    return _rolling_reduce(values, period, np.add)


def rolling_max(values: np.ndarray, period: int) -> np.ndarray:
    """Maximum of every complete window, aligned like :func:`rolling_sum`."""
    return _rolling_reduce(values, period, np.maximum)


def rolling_min(values: np.ndarray, period: int) -> np.ndarray:
    """Minimum of every complete window, aligned like :func:`rolling_sum`."""
    return _rolling_reduce(values, period, np.minimum)


def weighted_window_sum(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``out[j] = sum(weights * values[j : j + len(weights)])``, an FIR filter run in C."""
    period = len(weights)
    if len(values) < period:
        return np.empty(0, dtype=np.float64)
    filtered = lfilter(weights[::-1], [1.0], values)
    return np.asarray(filtered[period - 1 :], dtype=np.float64)


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
    and applies the same flat-window tests: at most ``ZERO_DISPERSION_RELATIVE_TOLERANCE`` of
    ``total_sq`` (rounding residue), or ``total_sq`` below ``ZERO_DISPERSION_FLOOR`` (denormal
    range, where the relative test cannot be resolved).
    """
    centred = total_sq - total * (total / count)
    flat = (centred <= ZERO_DISPERSION_RELATIVE_TOLERANCE * total_sq) | (
        total_sq < ZERO_DISPERSION_FLOOR
    )
    return np.where(flat, 0.0, centred)
