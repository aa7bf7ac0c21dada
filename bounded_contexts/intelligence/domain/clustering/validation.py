"""Input checks shared by the clustering and regime modules.

Kept in one place so every public function rejects bad input the same way and with the same
wording: the offending row/column for arrays, the offending instrument for ids.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import (
    ConstantSeriesError,
    InputShapeError,
    InstrumentIdError,
    InvalidParameterError,
    NonFiniteValueError,
    TooFewInstrumentsError,
)

FloatMatrix = NDArray[np.float64]


def as_finite_matrix(
    values: ArrayLike, what: str, column_labels: Sequence[str] | None = None
) -> FloatMatrix:
    """Return ``values`` as a 2-D float64 array, or raise naming the first non-finite cell.

    The row/column reported is the first in row-major order, which is the first time step at
    which the feed went bad — the most useful place to start looking.
    """
    try:
        matrix = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputShapeError(f"{what} must be a numeric 2-D array: {exc}") from None
    if matrix.ndim != 2:
        raise InputShapeError(f"{what} must be a 2-D array, got {matrix.ndim} dimension(s)")
    bad = ~np.isfinite(matrix)
    if bad.any():
        row, column = (int(i) for i in np.argwhere(bad)[0])
        label = ""
        if column_labels is not None and column < len(column_labels):
            label = f"instrument {column_labels[column]!r}"
        raise NonFiniteValueError(what, row, column, float(matrix[row, column]), label)
    return matrix


def as_finite_vector(values: ArrayLike, what: str) -> NDArray[np.float64]:
    """Return ``values`` as a 1-D float64 array, or raise naming the first non-finite index."""
    try:
        vector = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputShapeError(f"{what} must be a numeric 1-D array: {exc}") from None
    if vector.ndim != 1:
        raise InputShapeError(f"{what} must be a 1-D array, got {vector.ndim} dimension(s)")
    bad = np.flatnonzero(~np.isfinite(vector))
    if bad.size:
        index = int(bad[0])
        raise NonFiniteValueError(what, index, 0, float(vector[index]))
    return vector


def instrument_ids_for(instrument_ids: Sequence[str], n_instruments: int) -> tuple[str, ...]:
    """Check that there is one unique, non-empty string id per instrument and return them.

    ``n_instruments`` is the number of columns (returns) or rows (features) of the data.
    """
    if isinstance(instrument_ids, str):
        raise InstrumentIdError("instrument_ids must be a sequence of strings, not one string")
    ids = tuple(instrument_ids)
    if len(ids) != n_instruments:
        raise InstrumentIdError(
            f"got {len(ids)} instrument id(s) for {n_instruments} instrument(s) in the data; "
            "ids and data must line up one to one"
        )
    if not all(isinstance(instrument_id, str) and instrument_id for instrument_id in ids):
        position = next(
            position
            for position, instrument_id in enumerate(ids)
            if not isinstance(instrument_id, str) or not instrument_id
        )
        raise InstrumentIdError(
            f"instrument id at position {position} must be a non-empty string, "
            f"got {ids[position]!r}"
        )
    if len(set(ids)) != len(ids):
        seen: dict[str, int] = {}
        for position, instrument_id in enumerate(ids):
            if instrument_id in seen:
                raise InstrumentIdError(
                    f"instrument id {instrument_id!r} appears twice (positions "
                    f"{seen[instrument_id]} and {position}); each instrument needs exactly one id"
                )
            seen[instrument_id] = position
    if len(ids) < 2:
        raise TooFewInstrumentsError(f"clustering needs at least 2 instruments, got {len(ids)}")
    return ids


def require_varying_columns(
    matrix: FloatMatrix, what: str, instrument_ids: Sequence[str] | None = None
) -> None:
    """Raise :class:`ConstantSeriesError` for the first column whose values never change.

    Exact equality (rather than a small variance) is the test: a genuinely constant series is a
    data fault, while a merely quiet one still has a well-defined correlation.
    """
    if matrix.shape[0] == 0:
        return
    constant = np.all(matrix == matrix[0], axis=0)
    if constant.any():
        column = int(np.flatnonzero(constant)[0])
        raise ConstantSeriesError(
            what, column, instrument_ids[column] if instrument_ids is not None else None
        )


def require_positive_scale(scale: NDArray[np.float64], what: str) -> None:
    """Raise :class:`ConstantSeriesError` where a column's standard deviation underflowed to 0.

    Catches columns that differ only by amounts whose squares underflow (say 1e-170), which
    pass the exact-constancy check but cannot be standardised either.
    """
    zero = np.flatnonzero(~(scale > 0))
    if zero.size:
        raise ConstantSeriesError(what, int(zero[0]))


def integer_parameter(value: object, name: str) -> int:
    """Return ``value`` as an int, rejecting bools, floats and other look-alikes."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidParameterError(f"{name} must be an integer, got {value!r}")
    return int(value)


def positive_finite_parameter(value: object, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float that is finite and > 0 (or >= 0 with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameterError(f"{name} must be a real number, got {value!r}")
    number = float(value)
    if not np.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise InvalidParameterError(f"{name} must be finite and {bound}, got {value!r}")
    return number


MAX_SEED = 2**32 - 1
"""Largest seed scikit-learn accepts (it seeds a legacy ``RandomState``)."""


def integer_seed(seed: object) -> int:
    """Int seed for scikit-learn from an int or a numpy ``Generator`` (one draw from it).

    scikit-learn takes no ``Generator``; drawing one integer from the caller's generator keeps
    all randomness under the caller's control without touching global state.
    """
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, MAX_SEED, endpoint=True))
    value = integer_parameter(seed, "seed")
    if not 0 <= value <= MAX_SEED:
        raise InvalidParameterError(f"seed must be between 0 and {MAX_SEED}, got {value}")
    return value
