"""Hierarchical risk parity (Lopez de Prado 2016, "Building diversified portfolios that
outperform out of sample", J. Portfolio Management 42(4)).

1. Tree clustering: correlation distance ``d_ij = sqrt((1 - rho_ij) / 2)`` (a metric), agglomerated
   by ``scipy.cluster.hierarchy.linkage`` (single linkage in the paper). The condensed distance
   matrix is passed directly, as PyPortfolioOpt and Riskfolio-Lib do; the paper's snippet passes
   the square matrix, which makes SciPy cluster on Euclidean distances *between rows of d* -- a
   different ("distance of distances") metric.
2. Quasi-diagonalisation: the leaf order of the dendrogram (``leaves_list``), which places
   correlated assets next to each other.
3. Recursive bisection: split every ordered cluster into two halves; each half's variance is that
   of its inverse-variance portfolio ``V = w^T Sigma w, w ~ 1 / diag(Sigma)``; the left half's
   weight is scaled by ``alpha = 1 - V_left / (V_left + V_right)`` and the right by ``1 - alpha``.

The result is long-only and sums to 1. No matrix inversion is involved, so a singular covariance
is fine as long as every variance is positive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.cluster.hierarchy import leaves_list, linkage
from scipy.spatial.distance import squareform

from .errors import InvalidInputError
from .results import weights_mapping
from .validation import FloatArray, asset_id_tuple, covariance_matrix, read_only

LINKAGE_METHODS = ("single", "complete", "average", "weighted", "ward")


@dataclass(frozen=True, eq=False)
class HrpResult:
    """HRP weights, the quasi-diagonal asset order and the SciPy linkage matrix."""

    asset_ids: tuple[str, ...]
    weights: FloatArray
    weights_by_asset: Mapping[str, float]
    order: tuple[str, ...]
    linkage_matrix: FloatArray
    volatility: float


def correlation_distance(covariance: FloatArray) -> FloatArray:
    """``sqrt((1 - rho) / 2)`` with the diagonal exactly zero."""
    std = np.sqrt(np.diag(covariance))
    correlation = np.clip(covariance / np.outer(std, std), -1.0, 1.0)
    distance = np.sqrt(np.clip((1.0 - correlation) / 2.0, 0.0, None))
    np.fill_diagonal(distance, 0.0)
    return distance


def _inverse_variance_cluster_variance(covariance: FloatArray, members: np.ndarray) -> float:
    block = covariance[np.ix_(members, members)]
    inverse_variance = 1.0 / np.diag(block)
    weights = inverse_variance / inverse_variance.sum()
    return float(weights @ block @ weights)


def recursive_bisection(covariance: FloatArray, order: Sequence[int]) -> FloatArray:
    """Weights from top-down bisection of ``order`` (step 3 of the module docstring)."""
    weights = np.ones(covariance.shape[0])
    clusters = [np.asarray(order, dtype=np.intp)]
    while clusters:
        next_level = []
        for cluster in clusters:
            if cluster.size < 2:
                continue
            half = cluster.size // 2
            left, right = cluster[:half], cluster[half:]
            left_var = _inverse_variance_cluster_variance(covariance, left)
            right_var = _inverse_variance_cluster_variance(covariance, right)
            alpha = 1.0 - left_var / (left_var + right_var)
            weights[left] *= alpha
            weights[right] *= 1.0 - alpha
            next_level.extend((left, right))
        clusters = next_level
    return weights


def hierarchical_risk_parity(
    asset_ids: Sequence[str], covariance: ArrayLike, *, linkage_method: str = "single"
) -> HrpResult:
    """HRP allocation of ``asset_ids`` given ``covariance`` (see module docstring)."""
    ids = asset_id_tuple("asset_ids", asset_ids)
    sigma = covariance_matrix("covariance", covariance, len(ids))
    if linkage_method not in LINKAGE_METHODS:
        raise InvalidInputError(
            f"linkage_method must be one of {LINKAGE_METHODS}, got {linkage_method!r}"
        )
    zero_variance = np.flatnonzero(np.diag(sigma) <= 0.0)
    if zero_variance.size:
        raise InvalidInputError(
            f"asset {ids[int(zero_variance[0])]!r} has zero variance: its correlation is undefined"
        )
    if len(ids) == 1:
        tree = np.zeros((0, 4))
        order_index = np.array([0])
    else:
        condensed = squareform(correlation_distance(sigma), checks=False)
        tree = linkage(condensed, method=linkage_method)
        order_index = leaves_list(tree)
    weights = recursive_bisection(sigma, order_index)
    return HrpResult(
        asset_ids=ids,
        weights=read_only(weights),
        weights_by_asset=weights_mapping(ids, weights),
        order=tuple(ids[i] for i in order_index),
        linkage_matrix=read_only(np.asarray(tree, dtype=np.float64)),
        volatility=float(np.sqrt(weights @ sigma @ weights)),
    )
