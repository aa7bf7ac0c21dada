"""Hierarchical clustering of instruments on the correlation distance of their returns.

Distance. For Pearson correlation rho_ij of the return series of instruments i and j,

    d_ij = sqrt(0.5 * (1 - rho_ij))            (Mantegna 1999, Eur. Phys. J. B 11:193-197)

ranges over [0, 1]: 0 for perfectly correlated, 1/sqrt(2) for uncorrelated, 1 for perfectly
anti-correlated series. It is a true Euclidean distance: with z_i the demeaned series scaled to
unit norm, ||z_i - z_j||^2 = 2 - 2 rho_ij, so d_ij = ||z_i - z_j|| / 2. That is why Ward's
linkage — which assumes Euclidean input — is valid on it (Lopez de Prado, *Advances in
Financial Machine Learning*, ch. 16, uses the same distance for hierarchical risk parity).

Linkage. ``scipy.cluster.hierarchy.linkage`` with ``average`` (UPGMA), ``complete``,
``single`` (the minimum spanning tree of Mantegna's paper) or ``ward``.

Cut. Either ``n_clusters`` — the tree is cut just below its last ``n_clusters - 1`` merges,
which yields exactly that many clusters (``fcluster``'s ``maxclust`` may return fewer when merge
heights tie) — or ``distance_threshold`` — instruments whose cophenetic (merge) height is
<= the threshold share a cluster. For average/complete/single the height is a correlation
distance; for Ward it is scipy's Ward height (sqrt of twice the increase in within-cluster sum
of squares), so a threshold tuned for one linkage does not carry over to Ward.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.cluster.hierarchy import fcluster
from scipy.cluster.hierarchy import linkage as scipy_linkage
from scipy.spatial.distance import squareform

from .errors import (
    ConstantSeriesError,
    InvalidClusterCountError,
    InvalidParameterError,
    TooFewObservationsError,
)
from .labels import canonical_labels
from .quality import silhouette_of_valid_input
from .result import ClusterResult
from .validation import (
    FloatMatrix,
    as_finite_matrix,
    instrument_ids_for,
    integer_parameter,
    positive_finite_parameter,
    require_varying_columns,
)

Linkage = Literal["average", "complete", "single", "ward"]
LINKAGES: tuple[str, ...] = get_args(Linkage)

MIN_OBSERVATIONS = 3
"""Fewest return observations accepted. With two, every sample correlation is exactly +1 or -1
(two points always lie on a line), so the clustering would carry no information."""


def correlation_matrix(returns: ArrayLike, instrument_ids: Sequence[str]) -> FloatMatrix:
    """Pearson correlation (N x N) of the columns of a T x N return matrix.

    Computed as Z^T Z with Z the demeaned columns scaled to unit norm, clipped to [-1, 1]
    against rounding, with an exact unit diagonal.
    """
    matrix, ids = _validated_returns(returns, instrument_ids)
    demeaned = matrix - matrix.mean(axis=0)
    norms = np.sqrt(np.einsum("ti,ti->i", demeaned, demeaned))
    flat = np.flatnonzero(norms == 0)
    if flat.size:
        # Deviations so tiny that their squares underflow leave no usable variance either.
        column = int(flat[0])
        raise ConstantSeriesError("return series", column, ids[column])
    unit = demeaned / norms
    correlation = np.clip(unit.T @ unit, -1.0, 1.0)
    np.fill_diagonal(correlation, 1.0)
    return (correlation + correlation.T) / 2.0


def correlation_distance_matrix(returns: ArrayLike, instrument_ids: Sequence[str]) -> FloatMatrix:
    """Correlation distance d = sqrt(0.5 (1 - rho)) between every pair of columns (N x N)."""
    return _distance_from_correlation(correlation_matrix(returns, instrument_ids))


def cluster_by_correlation(
    returns: ArrayLike,
    instrument_ids: Sequence[str],
    *,
    linkage: Linkage = "average",
    n_clusters: int | None = None,
    distance_threshold: float | None = None,
) -> ClusterResult:
    """Group instruments whose returns move together.

    ``returns`` is T x N (time steps in rows, instruments in columns, ``instrument_ids[j]``
    naming column j). Give exactly one of ``n_clusters`` (1 <= k <= N) or
    ``distance_threshold`` (>= 0, in linkage-height units, see the module docstring).
    The silhouette is computed on the same correlation distance.
    """
    if linkage not in LINKAGES:
        raise InvalidParameterError(f"linkage must be one of {LINKAGES}, got {linkage!r}")
    if (n_clusters is None) == (distance_threshold is None):
        raise InvalidParameterError(
            "give exactly one of n_clusters or distance_threshold to cut the tree"
        )
    distances = correlation_distance_matrix(returns, instrument_ids)
    ids = tuple(instrument_ids)
    n_instruments = len(ids)
    tree = scipy_linkage(squareform(distances, checks=False), method=linkage)
    if n_clusters is not None:
        count = integer_parameter(n_clusters, "n_clusters")
        if not 1 <= count <= n_instruments:
            raise InvalidClusterCountError(
                f"n_clusters must be between 1 and the number of instruments "
                f"({n_instruments}), got {count}"
            )
        raw = _cut_into(tree, n_instruments, count)
    else:
        threshold = positive_finite_parameter(
            distance_threshold, "distance_threshold", allow_zero=True
        )
        raw = fcluster(tree, t=threshold, criterion="distance")
    labels = canonical_labels(raw)
    n_found = int(labels.max()) + 1
    quality = (
        silhouette_of_valid_input(distances, labels, "precomputed")
        if 2 <= n_found <= n_instruments - 1
        else None
    )
    return ClusterResult(
        instrument_ids=ids,
        labels=tuple(int(label) for label in labels),
        method=f"hierarchical/{linkage}",
        quality=quality,
    )


def _validated_returns(
    returns: ArrayLike, instrument_ids: Sequence[str]
) -> tuple[FloatMatrix, tuple[str, ...]]:
    labels = [] if isinstance(instrument_ids, str) else [str(i) for i in instrument_ids]
    matrix = as_finite_matrix(returns, "returns", labels)
    ids = instrument_ids_for(instrument_ids, matrix.shape[1])
    if matrix.shape[0] < MIN_OBSERVATIONS:
        raise TooFewObservationsError(
            f"returns have {matrix.shape[0]} observation(s); correlation clustering needs at "
            f"least {MIN_OBSERVATIONS} (with 2, every correlation is exactly +1 or -1)"
        )
    require_varying_columns(matrix, "return series", ids)
    return matrix, ids


def _distance_from_correlation(correlation: FloatMatrix) -> FloatMatrix:
    distances = np.sqrt(np.clip(0.5 * (1.0 - correlation), 0.0, 1.0))
    np.fill_diagonal(distances, 0.0)
    return distances


def _cut_into(tree: NDArray[np.float64], n_points: int, n_clusters: int) -> NDArray[np.int64]:
    """Replay the first ``n_points - n_clusters`` merges; each point's top node is its cluster.

    Row i of a scipy linkage matrix merges nodes ``tree[i, 0]`` and ``tree[i, 1]`` into node
    ``n_points + i``, so after n - k merges exactly k top nodes remain.
    """
    top_node = np.arange(n_points, dtype=np.int64)
    for step in range(n_points - n_clusters):
        left, right = int(tree[step, 0]), int(tree[step, 1])
        top_node[(top_node == left) | (top_node == right)] = n_points + step
    return top_node
