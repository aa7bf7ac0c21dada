"""Conversion and validation of the series every KPI is computed from.

Equity may arrive as floats, ints, ``Decimal`` (exact ledger values) or a NumPy array; it is
converted once to ``float64`` — ratios of equity values do not need more than 15 digits,
and vectorised NumPy needs floats. Strings and booleans are refused rather than silently
parsed. Timestamps are UTC nanoseconds (``int``) or ``datetime64``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from .errors import InvalidParameter, InvalidSeries

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Number = float | int | Decimal
NumberSeries = Sequence[Number] | npt.NDArray[np.floating] | npt.NDArray[np.integer]
TimestampSeries = Sequence[int] | npt.NDArray[np.integer] | npt.NDArray[np.datetime64]

#: Trading days in a year (NYSE convention used throughout the industry).
TRADING_DAYS_PER_YEAR = 252
#: Regular-session minutes in a US equity trading day (09:30-16:00 ET).
MINUTES_PER_TRADING_DAY = 390
#: Periods per year for 1-minute bars of a 6.5-hour session: 252 * 390 = 98 280.
ONE_MINUTE_BARS_PER_YEAR = TRADING_DAYS_PER_YEAR * MINUTES_PER_TRADING_DAY


def as_float_series(name: str, values: object) -> FloatArray:
    """Return a one-dimensional finite ``float64`` copy of ``values`` or raise naming ``name``."""
    if isinstance(values, np.ndarray):
        if values.dtype.kind in "fiu":
            array = values.astype(np.float64, copy=True)
        elif values.dtype.kind == "O":
            array = _from_objects(name, values.tolist())
        else:
            raise InvalidSeries(f"{name} must hold numbers, got an array of dtype {values.dtype}")
    elif isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise InvalidSeries(f"{name} must be a sequence of numbers, got {type(values).__name__}")
    else:
        array = _from_objects(name, list(values))
    if array.ndim != 1:
        raise InvalidSeries(f"{name} must be one-dimensional, got shape {array.shape}")
    not_finite = np.flatnonzero(~np.isfinite(array))
    if not_finite.size:
        position = int(not_finite[0])
        raise InvalidSeries(f"{name}[{position}] is {array[position]}: values must be finite")
    return array


def as_equity_curve(equity: object) -> FloatArray:
    """Validate an equity curve: at least two points, finite and strictly positive.

    Returns are ratios of consecutive equity values, so a zero or negative value makes them
    meaningless (a ruined account has no return series); refuse it rather than emit inf.
    """
    curve = as_float_series("equity", equity)
    if curve.size < 2:
        raise InvalidSeries(f"equity needs at least 2 points to define a return, got {curve.size}")
    not_positive = np.flatnonzero(curve <= 0)
    if not_positive.size:
        position = int(not_positive[0])
        raise InvalidSeries(f"equity[{position}] is {curve[position]}: equity must be > 0")
    return curve


def as_timestamps(timestamps: object, expected_length: int) -> IntArray:
    """Validate UTC-nanosecond timestamps: integers, one per equity point, strictly increasing."""
    if isinstance(timestamps, np.ndarray) and timestamps.dtype.kind == "M":
        stamps = timestamps.astype("datetime64[ns]").astype(np.int64)
    elif isinstance(timestamps, np.ndarray):
        if timestamps.dtype.kind not in "iu":
            raise InvalidSeries(
                f"timestamps must be integer UTC nanoseconds or datetime64, got dtype "
                f"{timestamps.dtype}"
            )
        stamps = timestamps.astype(np.int64)
    elif isinstance(timestamps, Sequence) and not isinstance(timestamps, str | bytes):
        for position, stamp in enumerate(timestamps):
            if isinstance(stamp, bool) or not isinstance(stamp, int | np.integer):
                raise InvalidSeries(
                    f"timestamps[{position}] is {stamp!r}: timestamps must be integer UTC "
                    "nanoseconds"
                )
        stamps = np.asarray(timestamps, dtype=np.int64)
    else:
        raise InvalidSeries(f"timestamps must be a sequence, got {type(timestamps).__name__}")
    if stamps.ndim != 1 or stamps.size != expected_length:
        raise InvalidSeries(
            f"timestamps must have one entry per equity point ({expected_length}), "
            f"got shape {stamps.shape}"
        )
    not_increasing = np.flatnonzero(np.diff(stamps) <= 0)
    if not_increasing.size:
        position = int(not_increasing[0]) + 1
        raise InvalidSeries(
            f"timestamps[{position}] ({stamps[position]}) is not after timestamps[{position - 1}] "
            f"({stamps[position - 1]}): timestamps must be strictly increasing"
        )
    return stamps


def simple_returns(equity: NumberSeries) -> FloatArray:
    """Period simple returns ``r_t = E_t / E_{t-1} - 1`` of a validated equity curve."""
    curve = as_equity_curve(equity)
    return curve[1:] / curve[:-1] - 1.0


def require_periods_per_year(periods_per_year: object) -> float:
    """Validate the annualisation factor (e.g. 252 for daily, 98 280 for 1-minute bars)."""
    value = require_finite("periods_per_year", periods_per_year)
    if value <= 0:
        raise InvalidParameter(f"periods_per_year must be > 0, got {value}")
    return value


def require_annual_rate(name: str, rate: object) -> float:
    """Validate an annual rate (risk-free, minimum acceptable return): finite and > -1."""
    value = require_finite(name, rate)
    if value <= -1:
        raise InvalidParameter(f"{name} must be > -1 (a rate of -100 % or worse), got {value}")
    return value


def per_period_rate(annual_rate: float, periods_per_year: float) -> float:
    """De-annualise geometrically: ``(1 + R) ** (1 / P) - 1`` (compounds back to ``R``)."""
    return math.expm1(math.log1p(annual_rate) / periods_per_year)


def require_finite(name: str, value: object) -> float:
    """Validate a real scalar parameter: a number (not bool), finite."""
    if isinstance(value, bool) or not isinstance(value, float | int | Decimal | np.number):
        raise InvalidParameter(f"{name} must be a real number, got {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidParameter(f"{name} must be finite, got {number}")
    return number


def _from_objects(name: str, items: list[object]) -> FloatArray:
    try:
        guessed = np.asarray(items)
    except (TypeError, ValueError):  # ragged or otherwise not array-like
        guessed = np.asarray(items, dtype=object) if items else np.empty(0)
    if guessed.dtype.kind in "fiu":  # fast path: plain numbers, no per-item checks needed
        return guessed.astype(np.float64)
    for position, item in enumerate(items):
        if isinstance(item, bool) or not isinstance(item, float | int | Decimal | np.number):
            raise InvalidSeries(f"{name}[{position}] is {item!r}: expected a float, int or Decimal")
        if isinstance(item, Decimal) and item.is_snan():
            raise InvalidSeries(f"{name}[{position}] is {item}: values must be finite")
    return np.array(items, dtype=np.float64)
