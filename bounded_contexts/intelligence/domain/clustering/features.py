"""Clustering instruments by feature vectors: k-means and DBSCAN on standardised features.

Input is an N x F matrix, one row per instrument (e.g. volatility, beta, momentum, liquidity).
Each column is standardised to z = (x - mean) / std (population std, ddof = 0) before
clustering, so that no feature dominates the Euclidean distance merely through its units
(volatility in 1e-2 beside volume in 1e6). A constant column has no standard deviation and is
rejected naming the column — it carries no information and cannot be scaled.

k-means (Lloyd's algorithm with k-means++ seeding, scikit-learn ``KMeans``) is deterministic
for a given ``seed``; ``n_init`` restarts keep the lowest inertia. DBSCAN (Ester et al. 1996,
KDD-96) grows clusters from points with at least ``min_samples`` neighbours (the point itself
included) within ``eps`` standardised-distance units; points reachable from no such core point
are noise and get ``NOISE_LABEL`` (-1). Silhouettes use the same Euclidean distance on the
standardised features, noise excluded.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from sklearn.cluster import DBSCAN, KMeans

from .errors import InvalidClusterCountError, InvalidParameterError
from .labels import NOISE_LABEL, canonical_labels
from .quality import silhouette_of_valid_input
from .result import ClusterResult
from .validation import (
    FloatMatrix,
    as_finite_matrix,
    instrument_ids_for,
    integer_parameter,
    integer_seed,
    positive_finite_parameter,
    require_positive_scale,
    require_varying_columns,
)


def standardise_features(features: ArrayLike, instrument_ids: Sequence[str]) -> FloatMatrix:
    """Z-score each column of an N x F feature matrix (rows are instruments)."""
    matrix = as_finite_matrix(features, "features")
    instrument_ids_for(instrument_ids, matrix.shape[0])
    if matrix.shape[1] == 0:
        raise InvalidParameterError("features need at least one column")
    require_varying_columns(matrix, "feature")
    centred = matrix - matrix.mean(axis=0)
    scale = np.sqrt(np.mean(centred * centred, axis=0))
    require_positive_scale(scale, "feature")
    return centred / scale


def cluster_by_kmeans(
    features: ArrayLike,
    instrument_ids: Sequence[str],
    *,
    n_clusters: int,
    seed: int | np.random.Generator,
    n_init: int = 10,
) -> ClusterResult:
    """k-means on standardised features; same ``seed`` and input give the same result.

    ``seed`` is an int, or a numpy ``Generator`` from which one int seed is drawn (scikit-learn
    takes no Generator). ``n_clusters`` must not exceed the number of *distinct* standardised
    rows: k-means cannot make more non-empty clusters than there are distinct points.
    """
    standardised = standardise_features(features, instrument_ids)
    ids = tuple(instrument_ids)
    count = integer_parameter(n_clusters, "n_clusters")
    distinct = np.unique(standardised, axis=0).shape[0]
    if not 1 <= count <= distinct:
        raise InvalidClusterCountError(
            f"n_clusters must be between 1 and the number of distinct feature rows ({distinct} "
            f"of {len(ids)} instruments), got {count}"
        )
    restarts = integer_parameter(n_init, "n_init")
    if restarts < 1:
        raise InvalidParameterError(f"n_init must be >= 1, got {restarts}")
    model = KMeans(n_clusters=count, n_init=restarts, random_state=integer_seed(seed))
    raw = model.fit_predict(standardised)
    return _result(ids, raw, standardised, "kmeans")


def cluster_by_dbscan(
    features: ArrayLike,
    instrument_ids: Sequence[str],
    *,
    eps: float,
    min_samples: int = 2,
) -> ClusterResult:
    """DBSCAN on standardised features; instruments in no dense region get ``NOISE_LABEL``.

    Deterministic: DBSCAN has no random step (border points reachable from two clusters go to
    the one found first, which depends only on the row order).
    """
    standardised = standardise_features(features, instrument_ids)
    radius = positive_finite_parameter(eps, "eps")
    neighbours = integer_parameter(min_samples, "min_samples")
    if neighbours < 1:
        raise InvalidParameterError(f"min_samples must be >= 1, got {neighbours}")
    raw = DBSCAN(eps=radius, min_samples=neighbours).fit_predict(standardised)
    return _result(tuple(instrument_ids), raw, standardised, "dbscan")


def _result(
    ids: tuple[str, ...], raw_labels: ArrayLike, standardised: FloatMatrix, method: str
) -> ClusterResult:
    labels = canonical_labels(np.asarray(raw_labels, dtype=np.int64))
    scored = int(np.count_nonzero(labels != NOISE_LABEL))
    n_found = int(labels.max()) + 1 if scored else 0
    quality = (
        silhouette_of_valid_input(standardised, labels, "euclidean")
        if 2 <= n_found <= scored - 1
        else None
    )
    return ClusterResult(
        instrument_ids=ids,
        labels=tuple(int(label) for label in labels),
        method=method,
        quality=quality,
    )
