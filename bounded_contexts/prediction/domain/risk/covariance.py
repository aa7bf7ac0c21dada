"""Covariance estimation (sample, EWMA, Ledoit-Wolf) and positive semi-definite repair.

Input ``returns`` are (observations x instruments), oldest row first, simple daily returns.

* ``sample_covariance``: the unbiased estimator (ddof=1 by default).
* ``ewma_covariance``: RiskMetrics (J.P. Morgan 1996) exponentially weighted moments,
  ``Sigma = sum_k w_k r_{T-k} r_{T-k}'`` with ``w_k = (1 - lambda) lambda^k / (1 - lambda^T)``
  for ``k = 0`` (latest) .. ``T - 1``. RiskMetrics assumes zero daily mean; ``demean=True``
  subtracts the same exponentially weighted mean first. The weights are normalised over the
  finite window so that they sum to one (the infinite recursion would under-weight a short
  window by ``lambda^T``). Default lambda = 0.94, the RiskMetrics daily value.
* ``ledoit_wolf_covariance``: Ledoit & Wolf (2004), "A well-conditioned estimator for
  large-dimensional covariance matrices": shrink the maximum-likelihood covariance towards
  ``mu * I`` (``mu`` = average variance) with the optimal intensity; identical in convention to
  ``sklearn.covariance.LedoitWolf`` (demeaned, MLE normalisation 1/n).

A covariance that is not positive semi-definite (pairwise-deleted estimates, hand-edited
stresses, rounding) makes the portfolio variance ``w' Sigma w`` possibly negative and Cholesky
impossible. ``ensure_positive_semidefinite`` makes the caller choose: ``repair="refuse"``
raises naming the most negative eigenvalue, ``repair="nearest"`` returns the covariance built
from Higham's (2002) nearest correlation matrix (alternating projections with Dykstra's
correction), finished by eigenvalue clipping and unit-diagonal rescaling so the output is PSD
even if the iteration stops early; the original variances are kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from .errors import (
    DimensionMismatchError,
    InvalidCovarianceError,
    InvalidParameterError,
    NotPositiveSemiDefiniteError,
)
from .validation import FloatMatrix, as_finite_matrix, check_positive_integer

Repair = Literal["nearest", "refuse"]

#: Eigenvalues above ``-PSD_RELATIVE_TOLERANCE * max|eigenvalue|`` count as zero, not negative:
#: a product ``A A'`` computed in floating point routinely has eigenvalues of -1e-17 * scale.
PSD_RELATIVE_TOLERANCE = 1e-10
_SYMMETRY_RELATIVE_TOLERANCE = 1e-10


def _checked_returns(returns: ArrayLike, minimum: int = 2) -> FloatMatrix:
    """Finite (observations x instruments) returns with at least ``minimum`` rows."""
    matrix = as_finite_matrix(returns, "returns")
    if matrix.shape[1] < 1:
        raise DimensionMismatchError("returns must have at least one instrument column")
    if matrix.shape[0] < minimum:
        raise InvalidParameterError(
            f"a covariance estimate needs at least {minimum} observations, got {matrix.shape[0]}"
        )
    return matrix


def sample_covariance(returns: ArrayLike, ddof: int = 1) -> FloatMatrix:
    """Sample covariance ``X_c' X_c / (n - ddof)`` of demeaned returns (ddof=1: unbiased)."""
    if ddof not in (0, 1):
        raise InvalidParameterError(f"ddof must be 0 (MLE) or 1 (unbiased), got {ddof!r}")
    matrix = _checked_returns(returns)
    centred = matrix - matrix.mean(axis=0)
    covariance = centred.T @ centred / (matrix.shape[0] - ddof)
    return (covariance + covariance.T) / 2.0


def ewma_weights(observations: int, decay: float) -> np.ndarray:
    """Normalised RiskMetrics weights, oldest observation first (so they align with rows)."""
    ages = np.arange(observations - 1, -1, -1, dtype=np.float64)
    raw = (1.0 - decay) * decay**ages
    return raw / raw.sum()


def ewma_covariance(returns: ArrayLike, decay: float = 0.94, demean: bool = False) -> FloatMatrix:
    """RiskMetrics EWMA covariance at the last observation (see module docstring)."""
    if (
        isinstance(decay, bool)
        or not isinstance(decay, int | float)
        or not (math.isfinite(decay) and 0.0 < decay < 1.0)
    ):
        raise InvalidParameterError(
            f"EWMA decay lambda must be strictly between 0 and 1 (RiskMetrics daily: 0.94), "
            f"got {decay!r}"
        )
    matrix = _checked_returns(returns)
    weights = ewma_weights(matrix.shape[0], float(decay))
    if demean:
        matrix = matrix - weights @ matrix
    covariance = (matrix * weights[:, None]).T @ matrix
    return (covariance + covariance.T) / 2.0


@dataclass(frozen=True, slots=True)
class ShrunkCovariance:
    """Ledoit-Wolf result: ``(1 - shrinkage) * S + shrinkage * target_variance * I``."""

    covariance: FloatMatrix
    shrinkage: float
    target_variance: float


def ledoit_wolf_covariance(returns: ArrayLike) -> ShrunkCovariance:
    """Ledoit-Wolf shrinkage towards a scaled identity, with the optimal intensity.

    With ``X`` the demeaned returns, ``S = X'X / n``, ``mu = tr(S) / p``:
    ``delta = ||S - mu I||_F^2 / p`` (dispersion of S around the target) and
    ``beta = (1 / (p n^2)) sum_k ||x_k x_k' - S||_F^2`` (estimation noise of S), computed as in
    scikit-learn without forming the n outer products; ``shrinkage = min(beta, delta) / delta``
    (zero when ``beta`` is zero).
    """
    matrix = _checked_returns(returns)
    observations, features = matrix.shape
    centred = matrix - matrix.mean(axis=0)
    empirical = centred.T @ centred / observations
    squared = centred**2
    variances = squared.sum(axis=0) / observations
    mu = float(variances.sum() / features)
    delta_raw = float(((centred.T @ centred) ** 2).sum()) / observations**2
    beta_raw = float((squared.T @ squared).sum())
    beta = (beta_raw / observations - delta_raw) / (features * observations)
    delta = (delta_raw - 2.0 * mu * float(variances.sum()) + features * mu**2) / features
    beta = min(beta, delta)
    shrinkage = 0.0 if beta == 0.0 else beta / delta
    shrunk = (1.0 - shrinkage) * empirical
    shrunk[np.diag_indices(features)] += shrinkage * mu
    return ShrunkCovariance(covariance=shrunk, shrinkage=shrinkage, target_variance=mu)


def check_covariance(covariance: ArrayLike, size: int | None = None) -> FloatMatrix:
    """A finite, square, symmetric matrix with non-negative variances (not yet PSD-checked).

    Symmetry is checked to a relative 1e-10 of the largest entry and then enforced exactly
    (``(C + C') / 2``): estimates assembled in floating point are symmetric only to rounding.
    """
    matrix = as_finite_matrix(covariance, "covariance")
    rows, columns = matrix.shape
    if rows != columns:
        raise InvalidCovarianceError(f"covariance must be square, got shape {matrix.shape}")
    if size is not None and rows != size:
        raise DimensionMismatchError(
            f"covariance is {rows}x{columns} but there are {size} instruments"
        )
    scale = float(np.abs(matrix).max()) if matrix.size else 0.0
    asymmetry = np.abs(matrix - matrix.T)
    limit = _SYMMETRY_RELATIVE_TOLERANCE * max(scale, 1e-300)
    if asymmetry.size and float(asymmetry.max()) > limit:
        row, column = (int(i) for i in np.unravel_index(np.argmax(asymmetry), asymmetry.shape))
        raise InvalidCovarianceError(
            f"covariance is not symmetric: entry [{row}, {column}] = {matrix[row, column]!r} "
            f"but [{column}, {row}] = {matrix[column, row]!r}"
        )
    negative = np.flatnonzero(np.diag(matrix) < 0.0)
    if negative.size:
        index = int(negative[0])
        raise InvalidCovarianceError(
            f"covariance has a negative variance {matrix[index, index]!r} on diagonal entry "
            f"{index}; no repair can make a negative variance meaningful"
        )
    return (matrix + matrix.T) / 2.0


def _project_psd(matrix: FloatMatrix) -> FloatMatrix:
    eigenvalues, eigenvectors = np.linalg.eigh(matrix)
    projected = (eigenvectors * np.maximum(eigenvalues, 0.0)) @ eigenvectors.T
    return (projected + projected.T) / 2.0


def nearest_correlation(
    correlation: ArrayLike, max_iterations: int = 200, tolerance: float = 1e-10
) -> FloatMatrix:
    """Higham (2002) nearest correlation matrix in the Frobenius norm.

    Alternating projections onto the PSD cone (eigenvalue clipping) and onto the unit-diagonal
    set, with Dykstra's correction on the PSD step so the limit is the *nearest* point of the
    intersection, not just some point of it. The loop stops when successive iterates move by
    less than ``tolerance`` (relative, Frobenius) or after ``max_iterations``; a final clip and
    ``D^-1/2 X D^-1/2`` rescale guarantees a PSD unit-diagonal output in either case.
    """
    current = check_covariance(correlation).copy()
    check_positive_integer(max_iterations, "max_iterations")
    if not (isinstance(tolerance, float | int) and math.isfinite(tolerance) and tolerance > 0):
        raise InvalidParameterError(f"tolerance must be a positive number, got {tolerance!r}")
    correction = np.zeros_like(current)
    for _ in range(max_iterations):
        shifted = current - correction
        projected = _project_psd(shifted)
        correction = projected - shifted
        previous = current
        current = projected.copy()
        np.fill_diagonal(current, 1.0)
        change = np.linalg.norm(current - previous) / max(np.linalg.norm(current), 1e-300)
        if change < tolerance:
            break
    clipped = _project_psd(current)
    scale = 1.0 / np.sqrt(np.maximum(np.diag(clipped), 1e-300))
    result = clipped * scale[:, None] * scale[None, :]
    result = (result + result.T) / 2.0
    np.fill_diagonal(result, 1.0)
    return result


def ensure_positive_semidefinite(
    covariance: ArrayLike,
    repair: Repair = "refuse",
    size: int | None = None,
    relative_tolerance: float = PSD_RELATIVE_TOLERANCE,
) -> FloatMatrix:
    """Return a PSD covariance, or raise — the caller decides which (see module docstring).

    An eigenvalue counts as negative below ``-relative_tolerance * max|eigenvalue|``. Repair
    works on the correlation of the instruments with a positive variance; a zero-variance
    instrument cannot co-vary with anything, so its off-diagonal entries are set to zero.
    """
    if repair not in ("nearest", "refuse"):
        raise InvalidParameterError(f"repair must be 'nearest' or 'refuse', got {repair!r}")
    matrix = check_covariance(covariance, size)
    eigenvalues = np.linalg.eigvalsh(matrix)
    threshold = relative_tolerance * max(float(np.abs(eigenvalues).max()), 1e-300)
    if float(eigenvalues[0]) >= -threshold:
        return matrix
    if repair == "refuse":
        raise NotPositiveSemiDefiniteError(float(eigenvalues[0]), 0, threshold)
    stdev = np.sqrt(np.diag(matrix))
    live = np.flatnonzero(stdev > 0.0)
    repaired = np.zeros_like(matrix)
    if live.size:
        sub = matrix[np.ix_(live, live)] / np.outer(stdev[live], stdev[live])
        np.fill_diagonal(sub, 1.0)
        nearest = nearest_correlation(sub)
        repaired[np.ix_(live, live)] = nearest * np.outer(stdev[live], stdev[live])
    return repaired
