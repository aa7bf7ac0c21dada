"""Stable cluster labels across recomputations.

Clustering algorithms number their clusters arbitrarily, so recomputing yesterday's clustering
on today's data can swap "cluster 0" and "cluster 1" even when nothing moved. Downstream users
(limits per cluster, dashboards, stored events) need a label to keep meaning the same group.

Procedure, for a new partition and the previous :class:`StableLabelling`:

1. Canonicalise the new raw labels (first-appearance order, see :mod:`.labels`), so the outcome
   depends on the membership only, never on the integers the algorithm emitted.
2. Contingency table C[i, j] = number of instruments in new cluster i that carried old label j
   (instruments absent from either side count in neither).
3. Hungarian assignment (``scipy.optimize.linear_sum_assignment``, maximising the total overlap)
   pairs each new cluster with at most one old label and vice versa.
4. A pair is kept only where the membership *mostly* carries over: Jaccard overlap
   |new ∩ old| / |new ∪ old| strictly above ``jaccard_threshold`` (default 0.5, i.e. the shared
   members outnumber those gained and lost together). With the default, at most one pairing can
   pass for any cluster, so a cluster split exactly in half or two clusters merged get fresh
   labels instead of an arbitrary winner.
5. New clusters left unpaired get fresh labels ``next_fresh_label, next_fresh_label + 1, ...``
   in canonical order; the counter only grows, so a retired label is never handed out again.

Noise (``NOISE_LABEL``) is carried through unchanged and takes no part in the matching.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment

from .errors import InputShapeError, InstrumentIdError, InvalidParameterError
from .labels import NOISE_LABEL, as_label_vector, canonical_labels
from .result import ClusterResult
from .validation import instrument_ids_for, integer_parameter

DEFAULT_JACCARD_THRESHOLD = 0.5


@dataclass(frozen=True)
class StableLabelling:
    """Stable labels of one clustering, and the counter that keeps new labels fresh.

    ``next_fresh_label`` is one more than the largest label ever handed out in this lineage of
    labellings (not only the current one), so feeding it forward guarantees that a label, once
    retired, never comes back with a different meaning.
    """

    instrument_ids: tuple[str, ...]
    labels: tuple[int, ...]
    next_fresh_label: int

    def __post_init__(self) -> None:
        if len(self.instrument_ids) != len(self.labels):
            raise InputShapeError(
                f"{len(self.instrument_ids)} instrument id(s) but {len(self.labels)} label(s)"
            )
        if len(set(self.instrument_ids)) != len(self.instrument_ids):
            raise InstrumentIdError("instrument ids in a labelling must be unique")
        counter = integer_parameter(self.next_fresh_label, "next_fresh_label")
        labels = np.asarray(self.labels, dtype=np.int64)
        outside = np.flatnonzero((labels < NOISE_LABEL) | (labels >= counter))
        if outside.size:
            position = int(outside[0])
            raise InvalidParameterError(
                f"label {self.labels[position]} of {self.instrument_ids[position]!r} must be "
                f"{NOISE_LABEL} (noise) or in [0, next_fresh_label={counter})"
            )

    @property
    def assignments(self) -> Mapping[str, int]:
        """Read-only mapping instrument id -> stable label."""
        return MappingProxyType(dict(zip(self.instrument_ids, self.labels, strict=True)))


def stabilise_labels(
    instrument_ids: Sequence[str],
    raw_labels: ArrayLike,
    previous: StableLabelling | None = None,
    *,
    jaccard_threshold: float = DEFAULT_JACCARD_THRESHOLD,
) -> StableLabelling:
    """Label a new partition so clusters that mostly persist keep their previous label.

    ``raw_labels[i]`` is the algorithm's label for ``instrument_ids[i]`` (any non-negative
    ints, or ``NOISE_LABEL``). Without ``previous`` the canonical labels 0..k-1 are used.
    """
    ids = instrument_ids_for(instrument_ids, len(instrument_ids))
    canonical = canonical_labels(as_label_vector(raw_labels, len(ids), "raw labels"))
    threshold = _threshold(jaccard_threshold)
    n_new = int(canonical.max()) + 1 if np.any(canonical != NOISE_LABEL) else 0
    if previous is None:
        return StableLabelling(ids, tuple(canonical.tolist()), n_new)
    if not isinstance(previous, StableLabelling):
        raise InvalidParameterError(
            f"previous must be a StableLabelling or None, got {type(previous).__name__}"
        )
    kept = _kept_labels(canonical, n_new, ids, previous, threshold)
    next_fresh = previous.next_fresh_label
    stable_of_new: list[int] = []
    for kept_label in kept:
        if kept_label is None:
            stable_of_new.append(next_fresh)
            next_fresh += 1
        else:
            stable_of_new.append(kept_label)
    lookup = np.array([*stable_of_new, NOISE_LABEL], dtype=np.int64)  # index -1 -> noise
    stable = lookup[canonical]
    return StableLabelling(ids, tuple(stable.tolist()), next_fresh)


def stabilise_result(
    result: ClusterResult,
    previous: StableLabelling | None = None,
    *,
    jaccard_threshold: float = DEFAULT_JACCARD_THRESHOLD,
) -> tuple[ClusterResult, StableLabelling]:
    """Stabilise a :class:`ClusterResult`; returns it relabelled plus the labelling to keep.

    The per-cluster silhouettes are re-keyed to the stable labels.
    """
    labelling = stabilise_labels(
        result.instrument_ids, result.labels, previous, jaccard_threshold=jaccard_threshold
    )
    stable_of_label = {old: new for old, new in zip(result.labels, labelling.labels, strict=True)}
    quality = None if result.quality is None else result.quality.relabelled(stable_of_label)
    relabelled = ClusterResult(
        instrument_ids=result.instrument_ids,
        labels=labelling.labels,
        method=result.method,
        quality=quality,
    )
    return relabelled, labelling


def _kept_labels(
    canonical: NDArray[np.int64],
    n_new: int,
    ids: tuple[str, ...],
    previous: StableLabelling,
    threshold: float,
) -> list[int | None]:
    """Previous label kept by each canonical new cluster, or None where it needs a fresh one."""
    old_array = np.asarray(previous.labels, dtype=np.int64)
    old_labels = np.unique(old_array[old_array != NOISE_LABEL]).tolist()
    kept: list[int | None] = [None] * n_new
    if n_new == 0 or not old_labels:
        return kept
    old_label_of = dict(zip(previous.instrument_ids, previous.labels, strict=True))
    carried_old = np.array([old_label_of.get(i, NOISE_LABEL) for i in ids], dtype=np.int64)
    old_values = np.asarray(old_labels, dtype=np.int64)
    old_sizes = np.bincount(
        np.searchsorted(old_values, old_array[old_array != NOISE_LABEL]), minlength=len(old_labels)
    )
    new_sizes = np.bincount(canonical[canonical != NOISE_LABEL], minlength=n_new)
    both = (canonical != NOISE_LABEL) & (carried_old != NOISE_LABEL)
    pair_index = canonical[both] * len(old_labels) + np.searchsorted(old_values, carried_old[both])
    overlap = np.bincount(pair_index, minlength=n_new * len(old_labels)).reshape(
        n_new, len(old_labels)
    )
    union = new_sizes[:, np.newaxis] + old_sizes[np.newaxis, :] - overlap
    jaccard = overlap / union
    rows, columns = linear_sum_assignment(overlap, maximize=True)
    for row, column in zip(rows, columns, strict=True):
        if overlap[row, column] > 0 and jaccard[row, column] > threshold:
            kept[row] = old_labels[column]
    return kept


def _threshold(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidParameterError(f"jaccard_threshold must be a number, got {value!r}")
    if not 0.0 <= float(value) < 1.0:
        raise InvalidParameterError(
            f"jaccard_threshold must be in [0, 1) (a pair is kept when Jaccard > threshold), "
            f"got {value!r}"
        )
    return float(value)
