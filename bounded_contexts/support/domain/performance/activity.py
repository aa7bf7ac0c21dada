"""How much a strategy trades (turnover) and how long it is in the market (exposure time)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np

from .errors import InvalidParameter, InvalidSeries
from .series import Number, NumberSeries, as_equity_curve, as_float_series
from .trades import RoundTrip


def traded_notional_of(trades: Sequence[RoundTrip]) -> Decimal:
    """Notional of every fill of every round trip: ``sum(quantity * (entry + exit))``."""
    return sum((trade.traded_notional for trade in trades), Decimal(0))


def turnover(equity: NumberSeries, traded_notional: Number | NumberSeries) -> float:
    """Traded notional over average equity, for the whole sample.

    ``traded_notional`` is a total or a per-period series (summed). Both legs of a round
    trip count, so opening and closing a position worth all of equity is a turnover of 2.
    Divide by the number of years in the sample to get an annual figure
    (``PerformanceReport.annualised_turnover`` does).
    """
    curve = as_equity_curve(equity)
    total = _total_notional(traded_notional)
    return total / float(np.mean(curve))


def exposure_time(positions: NumberSeries, *, expected_length: int | None = None) -> float:
    """Fraction of bars with a non-zero position, in ``[0, 1]``.

    ``positions`` holds the position at each equity point (signed quantity or notional;
    only zero versus non-zero matters), so its length must match the equity curve's.
    """
    series = as_float_series("positions", positions)
    if expected_length is not None and series.size != expected_length:
        raise InvalidSeries(
            f"positions must have one entry per equity point ({expected_length}), got {series.size}"
        )
    if series.size == 0:
        raise InvalidSeries("positions is empty: exposure time needs at least one bar")
    return float(np.count_nonzero(series)) / series.size


def _total_notional(traded_notional: Number | NumberSeries) -> float:
    if isinstance(traded_notional, float | int | Decimal | np.number) and not isinstance(
        traded_notional, bool
    ):
        total = float(traded_notional)
        if not np.isfinite(total):
            raise InvalidParameter(f"traded_notional must be finite, got {total}")
    else:
        series = as_float_series("traded_notional", traded_notional)
        negative = np.flatnonzero(series < 0)
        if negative.size:
            position = int(negative[0])
            raise InvalidSeries(
                f"traded_notional[{position}] is {series[position]}: notional must be >= 0"
            )
        total = float(series.sum())
    if total < 0:
        raise InvalidParameter(f"traded_notional must be >= 0, got {total}")
    return total
