"""Label conventions shared by every clustering method.

* Cluster labels are non-negative integers; ``NOISE_LABEL`` (-1) marks points that belong to
  no cluster (DBSCAN's convention, kept so operators reading sklearn output see the same value).
* Labels of a fresh clustering are *canonical*: clusters are numbered 0, 1, 2 ... in the order of
  their first member in the instrument list. The numbers an algorithm happens to emit (k-means
  centroids are ordered by the random initialisation, linkage labels by merge order) carry no
  meaning, so canonicalising makes a result a function of the *membership* alone.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import InputShapeError, InvalidParameterError

NOISE_LABEL: int = -1
"""Label of points assigned to no cluster (DBSCAN noise). Never reused as a cluster label."""


def as_label_vector(labels: ArrayLike, n_points: int, what: str = "labels") -> NDArray[np.int64]:
    """Return ``labels`` as an int64 vector of length ``n_points`` with values >= NOISE_LABEL."""
    array = np.asarray(labels)
    if array.ndim != 1:
        raise InputShapeError(f"{what} must be a 1-D array, got {array.ndim} dimension(s)")
    if array.shape[0] != n_points:
        raise InputShapeError(f"{what} has {array.shape[0]} entries for {n_points} point(s)")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise InvalidParameterError(f"{what} must be integers, got dtype {array.dtype}")
    vector = array.astype(np.int64, copy=False)
    below = np.flatnonzero(vector < NOISE_LABEL)
    if below.size:
        index = int(below[0])
        raise InvalidParameterError(
            f"{what}[{index}] = {int(vector[index])}: labels must be >= 0, "
            f"or {NOISE_LABEL} for noise"
        )
    return vector


def canonical_labels(raw_labels: ArrayLike) -> NDArray[np.int64]:
    """Renumber clusters 0, 1, 2 ... by first appearance; ``NOISE_LABEL`` stays as it is.

    Two labellings that describe the same partition map to the same canonical vector, whatever
    integers the algorithm used.
    """
    raw = np.asarray(raw_labels)
    vector = as_label_vector(raw, raw.shape[0] if raw.ndim == 1 else -1, "raw labels")
    clustered = vector != NOISE_LABEL
    values, first_index, inverse = np.unique(
        vector[clustered], return_index=True, return_inverse=True
    )
    rank_by_first_appearance = np.empty(values.shape[0], dtype=np.int64)
    rank_by_first_appearance[np.argsort(first_index, kind="stable")] = np.arange(values.shape[0])
    canonical = np.full(vector.shape[0], NOISE_LABEL, dtype=np.int64)
    canonical[clustered] = rank_by_first_appearance[inverse]
    return canonical
