"""Input validation shared by the optimisation modules.

Each helper turns caller input into a float64 NumPy array (or fails with an error that names the
argument and, for arrays, the first offending position). Arrays handed back are fresh copies, so
later in-place work never aliases caller memory.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import (
    DimensionMismatchError,
    InvalidInputError,
    NonPsdCovarianceError,
    UnknownAssetError,
)

FloatArray = NDArray[np.float64]

#: Relative tolerance on eigenvalues below which a covariance is considered not PSD. Sample
#: covariances of rank-deficient data have eigenvalues of order -1e-17 * scale; genuine errors
#: (a wrong sign, a mis-pasted entry) are far larger.
PSD_RELATIVE_TOLERANCE = 1e-10

#: Relative tolerance on asymmetry ``|S - S^T|`` (floating-point round-off of ``X^T X``).
SYMMETRY_RELATIVE_TOLERANCE = 1e-10


def finite_scalar(name: str, value: float) -> float:
    """Return ``value`` as a float, rejecting NaN and infinities."""
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name} must be a real number, got {value!r}") from exc
    if not math.isfinite(number):
        raise InvalidInputError(f"{name} must be finite, got {number}")
    return number


def positive_scalar(name: str, value: float) -> float:
    """Return ``value`` as a finite float that is strictly positive."""
    number = finite_scalar(name, value)
    if number <= 0.0:
        raise InvalidInputError(f"{name} must be > 0, got {number}")
    return number


def non_negative_scalar(name: str, value: float) -> float:
    """Return ``value`` as a finite float that is not negative."""
    number = finite_scalar(name, value)
    if number < 0.0:
        raise InvalidInputError(f"{name} must be >= 0, got {number}")
    return number


def finite_vector(name: str, values: ArrayLike, length: int | None = None) -> FloatArray:
    """Return a 1-D float array, checking its length and that every entry is finite."""
    try:
        array = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name} must be numeric: {exc}") from exc
    if array.ndim != 1:
        raise DimensionMismatchError(name, "(n,)", array.shape)
    if length is not None and array.shape[0] != length:
        raise DimensionMismatchError(name, (length,), array.shape)
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise InvalidInputError(f"{name} has a non-finite value {array[bad[0]]} at index {bad[0]}")
    return array


def finite_matrix(name: str, values: ArrayLike, shape: tuple[int | None, int | None]) -> FloatArray:
    """Return a 2-D float array of the given shape (``None`` = any size) with finite entries."""
    try:
        array = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name} must be numeric: {exc}") from exc
    if array.ndim != 2 or any(
        want is not None and got != want for want, got in zip(shape, array.shape, strict=True)
    ):
        expected = tuple("any" if want is None else want for want in shape)
        raise DimensionMismatchError(name, expected, array.shape)
    bad = np.argwhere(~np.isfinite(array))
    if bad.size:
        row, col = (int(i) for i in bad[0])
        raise InvalidInputError(
            f"{name} has a non-finite value {array[row, col]} at position ({row}, {col})"
        )
    return array


def covariance_matrix(name: str, values: ArrayLike, size: int) -> FloatArray:
    """Return a validated covariance: square ``size x size``, finite, symmetric and PSD.

    Symmetry is checked against a relative tolerance and then enforced exactly
    (``(S + S^T) / 2``) so that downstream eigen-decompositions see a symmetric matrix.
    """
    matrix = finite_matrix(name, values, (size, size))
    scale = max(float(np.max(np.abs(matrix))), 1e-300)
    asymmetry = np.abs(matrix - matrix.T)
    if float(np.max(asymmetry)) > SYMMETRY_RELATIVE_TOLERANCE * scale:
        row, col = (int(i) for i in np.unravel_index(np.argmax(asymmetry), asymmetry.shape))
        raise NonPsdCovarianceError(
            f"{name} is not symmetric: entry ({row}, {col}) = {matrix[row, col]} but "
            f"({col}, {row}) = {matrix[col, row]}"
        )
    matrix = 0.5 * (matrix + matrix.T)
    negative_diagonal = np.flatnonzero(np.diag(matrix) < 0.0)
    if negative_diagonal.size:
        index = int(negative_diagonal[0])
        raise NonPsdCovarianceError(
            f"{name} has a negative variance {matrix[index, index]} at index {index}"
        )
    eigenvalues = np.linalg.eigvalsh(matrix)
    smallest, largest = float(eigenvalues[0]), float(eigenvalues[-1])
    if smallest < -PSD_RELATIVE_TOLERANCE * max(abs(largest), 1e-300):
        raise NonPsdCovarianceError(
            f"{name} is not positive semi-definite: smallest eigenvalue {smallest:.6g} "
            f"(largest {largest:.6g})"
        )
    return matrix


def asset_id_tuple(name: str, asset_ids: Iterable[str]) -> tuple[str, ...]:
    """Return asset ids as a tuple, rejecting empty lists, non-strings and duplicates."""
    ids = tuple(asset_ids)
    if not ids:
        raise InvalidInputError(f"{name} must contain at least one asset id")
    for index, asset_id in enumerate(ids):
        if not isinstance(asset_id, str) or not asset_id:
            raise InvalidInputError(f"{name}[{index}] must be a non-empty string, got {asset_id!r}")
    if len(set(ids)) != len(ids):
        duplicates = sorted({asset_id for asset_id in ids if ids.count(asset_id) > 1})
        raise InvalidInputError(f"{name} contains duplicate asset id(s): {duplicates}")
    return ids


def check_known_assets(where: str, referenced: Iterable[str], universe: Sequence[str]) -> None:
    """Raise :class:`UnknownAssetError` when ``referenced`` names an id outside ``universe``."""
    known = set(universe)
    unknown = sorted({asset_id for asset_id in referenced if asset_id not in known})
    if unknown:
        raise UnknownAssetError(where, unknown)


def vector_from_mapping(
    name: str, values: Mapping[str, float], asset_ids: Sequence[str], default: float
) -> FloatArray:
    """Align a mapping keyed by asset id with ``asset_ids`` (missing ids take ``default``)."""
    check_known_assets(name, values.keys(), asset_ids)
    array = np.array([values.get(asset_id, default) for asset_id in asset_ids], dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise InvalidInputError(
            f"{name} has a non-finite value {array[bad[0]]} for asset {asset_ids[bad[0]]!r}"
        )
    return array


def per_asset_vector(
    name: str,
    values: float | Mapping[str, float] | ArrayLike,
    asset_ids: Sequence[str],
    default: float = 0.0,
) -> FloatArray:
    """Accept a scalar (same for all), a mapping keyed by asset id, or an aligned array."""
    if isinstance(values, Mapping):
        return vector_from_mapping(name, values, asset_ids, default)
    if np.ndim(values) == 0:
        return np.full(len(asset_ids), finite_scalar(name, values))  # type: ignore[arg-type]
    return finite_vector(name, values, len(asset_ids))


def read_only(array: FloatArray) -> FloatArray:
    """Mark ``array`` read-only so that frozen result objects stay frozen."""
    array.setflags(write=False)
    return array
