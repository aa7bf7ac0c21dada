"""Maximum drawdown of an equity curve and how long it lasted.

The drawdown at ``t`` is ``1 - E_t / max_{s<=t} E_s``: the fraction lost from the running
peak (the high-water mark). With positive equity it lies in ``[0, 1)``.

The maximum-drawdown *episode* runs from its peak — the last time equity stood at the
high-water mark before the trough — to its recovery — the first later point where equity
is back at or above that mark — or, if it never recovers, to the last point. Its duration
is counted in periods (index difference) and, when timestamps are given, in nanoseconds.
When several episodes share the maximum depth, the first is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .series import NumberSeries, TimestampSeries, as_equity_curve, as_timestamps


@dataclass(frozen=True, slots=True)
class Drawdown:
    """The deepest peak-to-trough loss of an equity curve.

    Attributes:
        max_drawdown: fraction of the peak lost at the trough, in ``[0, 1]`` (0: never fell).
        peak_index, trough_index: positions of the episode's peak and trough (``None`` when
            there is no drawdown).
        recovery_index: first position after the trough back at the peak (``None`` if the
            curve never recovered, or there was no drawdown).
        duration_periods: periods from peak to recovery, or to the last point if unrecovered.
        duration_ns: the same span in nanoseconds, ``None`` without timestamps.
        recovered: whether equity regained the peak (``True`` when there was no drawdown).
    """

    max_drawdown: float
    peak_index: int | None
    trough_index: int | None
    recovery_index: int | None
    duration_periods: int
    duration_ns: int | None
    recovered: bool


def drawdown_series(equity: NumberSeries) -> np.ndarray:
    """Drawdown at every point, ``1 - E_t / running_max(E)_t`` (vectorised)."""
    curve = as_equity_curve(equity)
    return 1.0 - curve / np.maximum.accumulate(curve)


def max_drawdown(equity: NumberSeries, *, timestamps: TimestampSeries | None = None) -> Drawdown:
    """Deepest drawdown and its peak-to-recovery duration (see the module docstring)."""
    curve = as_equity_curve(equity)
    stamps = None if timestamps is None else as_timestamps(timestamps, curve.size)
    high_water = np.maximum.accumulate(curve)
    depth = 1.0 - curve / high_water
    trough = int(np.argmax(depth))
    deepest = float(depth[trough])
    if deepest <= 0.0:
        return Drawdown(
            max_drawdown=0.0,
            peak_index=None,
            trough_index=None,
            recovery_index=None,
            duration_periods=0,
            duration_ns=None if stamps is None else 0,
            recovered=True,
        )
    peak_value = high_water[trough]
    peak = int(np.flatnonzero(curve[: trough + 1] >= peak_value)[-1])
    back = np.flatnonzero(curve[trough + 1 :] >= peak_value)
    recovery = int(back[0]) + trough + 1 if back.size else None
    end = recovery if recovery is not None else curve.size - 1
    return Drawdown(
        max_drawdown=deepest,
        peak_index=peak,
        trough_index=trough,
        recovery_index=recovery,
        duration_periods=end - peak,
        duration_ns=None if stamps is None else int(stamps[end] - stamps[peak]),
        recovered=recovery is not None,
    )
