"""Cluster quality: the silhouette coefficient, overall and per cluster.

For point i in cluster C, with a(i) its mean distance to the other members of C and b(i) the
smallest mean distance to the members of another cluster, the silhouette is
``s(i) = (b(i) - a(i)) / max(a(i), b(i))`` (Rousseeuw 1987, J. Comput. Appl. Math. 20:53-65).
It lies in [-1, 1]; near 1 means tight, well separated clusters. Points alone in their cluster
get s(i) = 0 (Rousseeuw's convention, which scikit-learn follows).

The score must be computed with the *same* distance the clustering used: the correlation
distance (precomputed matrix) for correlation clustering, the Euclidean distance on standardised
features for k-means and DBSCAN. Noise points (``NOISE_LABEL``) are left out: they belong to no
cluster, so neither a(i) nor b(i) is defined for them.

The coefficient is undefined unless 2 <= number of clusters <= number of scored points - 1;
:class:`SilhouetteUndefinedError` says which bound failed instead of returning a made-up value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.metrics import silhouette_samples

from .errors import InputShapeError, InvalidParameterError, SilhouetteUndefinedError
from .labels import NOISE_LABEL, as_label_vector
from .validation import as_finite_matrix

_SYMMETRY_TOLERANCE = 1e-10


@dataclass(frozen=True)
class ClusterQuality:
    """Silhouette figures of one clustering.

    ``silhouette`` is the mean of the per-point coefficients over all scored (non-noise)
    points — what ``sklearn.metrics.silhouette_score`` returns. ``silhouette_by_cluster`` maps
    each cluster label to the mean coefficient of its members, which shows *which* cluster is
    loose even when the overall figure looks fine.
    """

    silhouette: float
    silhouette_by_cluster: Mapping[int, float] = field(default_factory=dict)
    scored_points: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "silhouette_by_cluster", MappingProxyType(dict(self.silhouette_by_cluster))
        )

    def relabelled(self, new_label_of: Mapping[int, int]) -> ClusterQuality:
        """Return the same figures keyed by new labels (used when labels are stabilised)."""
        return ClusterQuality(
            silhouette=self.silhouette,
            silhouette_by_cluster={
                new_label_of[label]: score for label, score in self.silhouette_by_cluster.items()
            },
            scored_points=self.scored_points,
        )


def silhouette_from_distances(distance_matrix: ArrayLike, labels: ArrayLike) -> ClusterQuality:
    """Silhouette of ``labels`` under a precomputed distance matrix (N x N).

    The matrix must be symmetric, non-negative, with a zero diagonal — a true dissimilarity.
    """
    distances = as_finite_matrix(distance_matrix, "distance matrix")
    n_points = distances.shape[0]
    if distances.shape[1] != n_points:
        raise InputShapeError(f"distance matrix must be square, got shape {distances.shape}")
    if np.any(distances < 0):
        row, column = (int(i) for i in np.argwhere(distances < 0)[0])
        raise InvalidParameterError(
            f"distance matrix has a negative entry at row {row}, column {column}"
        )
    if np.any(np.diag(distances) != 0):
        index = int(np.flatnonzero(np.diag(distances) != 0)[0])
        raise InvalidParameterError(
            f"distance matrix diagonal must be zero, entry {index} is {distances[index, index]!r}"
        )
    if np.max(np.abs(distances - distances.T)) > _SYMMETRY_TOLERANCE:
        raise InvalidParameterError("distance matrix must be symmetric")
    return silhouette_of_valid_input(distances, as_label_vector(labels, n_points), "precomputed")


def silhouette_from_features(features: ArrayLike, labels: ArrayLike) -> ClusterQuality:
    """Silhouette of ``labels`` under the Euclidean distance between rows of ``features``."""
    points = as_finite_matrix(features, "features")
    return silhouette_of_valid_input(points, as_label_vector(labels, points.shape[0]), "euclidean")


def silhouette_of_valid_input(
    points: NDArray[np.float64], labels: NDArray[np.int64], metric: str
) -> ClusterQuality:
    """Silhouette for input already checked by the caller (the clustering functions).

    ``points`` is a distance matrix for ``metric="precomputed"``, else a feature matrix.
    Noise points are dropped here.
    """
    scored = labels != NOISE_LABEL
    if not scored.all():
        points = points[np.ix_(scored, scored)] if metric == "precomputed" else points[scored]
        labels = labels[scored]
    n_points = labels.shape[0]
    cluster_labels = np.unique(labels)
    n_clusters = cluster_labels.shape[0]
    if n_clusters < 2:
        raise SilhouetteUndefinedError(
            f"silhouette is undefined for {n_clusters} cluster(s): it compares each point's own "
            "cluster with the nearest other one, so at least 2 clusters are needed"
        )
    if n_clusters > n_points - 1:
        raise SilhouetteUndefinedError(
            f"silhouette is undefined for {n_clusters} clusters over {n_points} scored point(s): "
            "with every point (or all but none) alone in its cluster there is no within-cluster "
            "distance; at most points - 1 clusters are allowed"
        )
    per_point = silhouette_samples(points, labels, metric=metric)
    by_cluster = {int(label): float(per_point[labels == label].mean()) for label in cluster_labels}
    return ClusterQuality(
        silhouette=float(per_point.mean()),
        silhouette_by_cluster=by_cluster,
        scored_points=int(n_points),
    )
