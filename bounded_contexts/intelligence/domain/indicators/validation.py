"""Input checks shared by the batch and streaming forms.

Why a module of its own: the two forms must reject exactly the same inputs with the same words,
and the checks must run *before* any state changes (streaming) or any arithmetic (batch), so
that a bad value is reported at its position instead of surfacing later as a silent NaN.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

from .errors import InvalidBarError, InvalidParameterError, InvalidPeriodError, InvalidSeriesError


def check_period(name: str, value: object, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise if it is not an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise InvalidPeriodError(f"{name} must be an integer >= {minimum}, got {value!r}")
    period = int(value)
    if period < minimum:
        raise InvalidPeriodError(f"{name} must be an integer >= {minimum}, got {period}")
    return period


def check_positive_parameter(name: str, value: object, allow_zero: bool = False) -> float:
    """Return ``value`` as a float, or raise if it is not finite and positive (or >= 0)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InvalidParameterError(f"{name} must be a real number, got {value!r}")
    number = float(value)
    bound_ok = number >= 0.0 if allow_zero else number > 0.0
    if not math.isfinite(number) or not bound_ok:
        wanted = ">= 0" if allow_zero else "> 0"
        raise InvalidParameterError(f"{name} must be a finite number {wanted}, got {number!r}")
    return number


def _describe(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "+inf" if value > 0 else "-inf"


def as_series(name: str, values: object) -> np.ndarray:
    """Return ``values`` as a 1-D float64 array of finite numbers, or raise naming the position."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise InvalidSeriesError(f"{name} cannot be read as float64 numbers: {error}") from None
    if array.ndim != 1:
        raise InvalidSeriesError(f"{name} must be one-dimensional, got shape {array.shape}")
    finite = np.isfinite(array)
    if not finite.all():
        position = int(np.argmin(finite))
        raise InvalidSeriesError(f"{name}[{position}] is {_describe(float(array[position]))}")
    return array


def check_same_length(**arrays: np.ndarray) -> int:
    """Return the common length of ``arrays``, or raise listing every length."""
    lengths = {name: len(array) for name, array in arrays.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name} has {length}" for name, length in lengths.items())
        raise InvalidSeriesError(f"input arrays must have the same length: {listed}")
    return next(iter(lengths.values()), 0)


def check_high_not_below_low(high: np.ndarray, low: np.ndarray) -> None:
    """Raise at the first bar whose high is below its low (a corrupt bar, not a market fact)."""
    inverted = high < low
    if inverted.any():
        i = int(np.argmax(inverted))
        raise InvalidSeriesError(
            f"high[{i}] ({float(high[i])!r}) is below low[{i}] ({float(low[i])!r})"
        )


def check_strictly_positive(name: str, array: np.ndarray, why: str) -> None:
    """Raise at the first value <= 0 (used where a logarithm or a ratio of prices is taken)."""
    not_positive = array <= 0.0
    if not_positive.any():
        i = int(np.argmax(not_positive))
        raise InvalidSeriesError(f"{name}[{i}] is {float(array[i])!r}; {why}")


def check_non_negative(name: str, array: np.ndarray) -> None:
    """Raise at the first negative value (volumes cannot be negative)."""
    negative = array < 0.0
    if negative.any():
        i = int(np.argmax(negative))
        raise InvalidSeriesError(f"{name}[{i}] is {float(array[i])!r}; it must not be negative")


def bar_value(field: str, value: object) -> float:
    """Return one streaming input as a float, or raise naming the field and the value."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InvalidBarError(f"{field} must be a real number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidBarError(f"{field} is {number!r}; every input must be a finite number")
    return number


def check_bar_high_low(high: float, low: float) -> None:
    """Raise if a streaming bar's high is below its low."""
    if high < low:
        raise InvalidBarError(f"high ({high!r}) is below low ({low!r})")


def check_bar_positive(field: str, value: float, why: str) -> None:
    """Raise if a streaming price that enters a logarithm is not positive."""
    if value <= 0.0:
        raise InvalidBarError(f"{field} is {value!r}; {why}")


def check_bar_non_negative(field: str, value: float) -> None:
    """Raise if a streaming volume is negative."""
    if value < 0.0:
        raise InvalidBarError(f"{field} is {value!r}; it must not be negative")
