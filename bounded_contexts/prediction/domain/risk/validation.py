"""Input checks shared by every risk module.

Kept in one place so each public function rejects bad input the same way and with the same
wording: the offending position (and instrument) for arrays, the offending value for scalars.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import (
    DimensionMismatchError,
    InstrumentMappingError,
    InvalidConfidenceError,
    InvalidDegreesOfFreedomError,
    InvalidHorizonError,
    InvalidParameterError,
    NonFiniteInputError,
)

FloatVector = NDArray[np.float64]
FloatMatrix = NDArray[np.float64]


def _is_real_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_probability(value: object, name: str) -> float:
    """Return ``value`` as a float strictly inside (0, 1), else raise naming ``name``."""
    if not _is_real_number(value):
        raise InvalidConfidenceError(name, value)
    as_float = float(value)  # type: ignore[arg-type]
    if not (math.isfinite(as_float) and 0.0 < as_float < 1.0):
        raise InvalidConfidenceError(name, value)
    return as_float


def check_confidence(confidence: object) -> float:
    """A VaR confidence level alpha: the loss quantile reported is the alpha-quantile."""
    return check_probability(confidence, "confidence")


def check_horizon(horizon: object) -> int:
    """A holding period in whole days, >= 1 (integers only: 2.5 days has no return series)."""
    if isinstance(horizon, bool) or not isinstance(horizon, numbers.Integral):
        raise InvalidHorizonError(horizon)
    if int(horizon) < 1:
        raise InvalidHorizonError(horizon)
    return int(horizon)


def check_degrees_of_freedom(nu: object) -> float:
    """Student-t degrees of freedom: finite and > 2 so the covariance scaling exists."""
    if not _is_real_number(nu):
        raise InvalidDegreesOfFreedomError(nu)
    as_float = float(nu)  # type: ignore[arg-type]
    if not (math.isfinite(as_float) and as_float > 2.0):
        raise InvalidDegreesOfFreedomError(nu)
    return as_float


def check_positive_integer(value: object, name: str) -> int:
    """An integer count >= 1 (scenario count, window length ...)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 1:
        raise InvalidParameterError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def check_seed(seed: object) -> int:
    """A seed in [0, 2**63): randomness is reproducible and never global (JAX keys are int64)."""
    if (
        isinstance(seed, bool)
        or not isinstance(seed, numbers.Integral)
        or not 0 <= int(seed) < 2**63
    ):
        raise InvalidParameterError(
            f"seed must be an integer in [0, 2**63) (a JAX PRNG key seed), got {seed!r}"
        )
    return int(seed)


def _label(labels: Sequence[str] | None, index: int) -> str:
    if labels is not None and 0 <= index < len(labels):
        return f"instrument {labels[index]!r}"
    return ""


def as_finite_vector(
    values: ArrayLike,
    what: str,
    expected_length: int | None = None,
    labels: Sequence[str] | None = None,
) -> FloatVector:
    """Return ``values`` as a 1-D float64 array, or raise naming the first bad entry.

    ``expected_length`` (usually the number of instruments) turns a silent broadcast into a
    :class:`DimensionMismatchError` that states both lengths.
    """
    try:
        vector = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DimensionMismatchError(f"{what} must be a numeric 1-D array: {exc}") from None
    if vector.ndim != 1:
        raise DimensionMismatchError(
            f"{what} must be a 1-D array, got {vector.ndim} dimension(s) with shape {vector.shape}"
        )
    if expected_length is not None and vector.shape[0] != expected_length:
        raise DimensionMismatchError(
            f"{what} has length {vector.shape[0]} but there are {expected_length} instruments"
        )
    bad = np.flatnonzero(~np.isfinite(vector))
    if bad.size:
        index = int(bad[0])
        raise NonFiniteInputError(what, (index,), float(vector[index]), _label(labels, index))
    return vector


def as_finite_matrix(
    values: ArrayLike,
    what: str,
    expected_columns: int | None = None,
    labels: Sequence[str] | None = None,
) -> FloatMatrix:
    """Return ``values`` as a 2-D float64 array (rows = observations, columns = instruments).

    The reported cell is the first non-finite one in row-major order — the first time step at
    which the feed went bad, which is where an operator starts looking.
    """
    try:
        matrix = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DimensionMismatchError(f"{what} must be a numeric 2-D array: {exc}") from None
    if matrix.ndim != 2:
        raise DimensionMismatchError(
            f"{what} must be a 2-D array (observations x instruments), got "
            f"{matrix.ndim} dimension(s) with shape {matrix.shape}"
        )
    if expected_columns is not None and matrix.shape[1] != expected_columns:
        raise DimensionMismatchError(
            f"{what} has {matrix.shape[1]} column(s) but there are {expected_columns} instruments"
        )
    bad = ~np.isfinite(matrix)
    if bad.any():
        row, column = (int(i) for i in np.argwhere(bad)[0])
        raise NonFiniteInputError(
            what, (row, column), float(matrix[row, column]), _label(labels, column)
        )
    return matrix


def check_instruments(instruments: Sequence[str], expected: int | None = None) -> tuple[str, ...]:
    """Instrument ids: non-empty unique strings, one per column/position."""
    if isinstance(instruments, str):
        raise InstrumentMappingError(
            "instruments must be a sequence of instrument ids, not a single string"
        )
    ids = tuple(instruments)
    if not ids:
        raise InstrumentMappingError("instruments must name at least one instrument")
    for index, instrument in enumerate(ids):
        if not isinstance(instrument, str) or not instrument:
            raise InstrumentMappingError(
                f"instrument id at position {index} must be a non-empty string, got {instrument!r}"
            )
    seen: set[str] = set()
    for instrument in ids:
        if instrument in seen:
            raise InstrumentMappingError(f"instrument id {instrument!r} appears more than once")
        seen.add(instrument)
    if expected is not None and len(ids) != expected:
        raise DimensionMismatchError(
            f"{len(ids)} instrument id(s) given but the data has {expected} instrument(s)"
        )
    return ids
