"""The one result type every clustering method returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .errors import InputShapeError, InstrumentIdError
from .labels import NOISE_LABEL
from .quality import ClusterQuality


@dataclass(frozen=True)
class ClusterResult:
    """Which cluster each instrument belongs to, plus how good the clustering is.

    ``instrument_ids[i]`` carries ``labels[i]``. Labels are non-negative cluster numbers, or
    ``NOISE_LABEL`` (-1) for instruments DBSCAN assigns to no cluster. Fresh results use
    canonical labels (0, 1, 2 ... by first member, see :mod:`.labels`); results passed through
    :func:`.stability.stabilise_result` carry the stable labels instead.

    ``quality`` is ``None`` exactly when the silhouette is undefined for this partition (a
    single cluster, or every scored instrument alone in its cluster); call
    :func:`.quality.silhouette_from_distances` / ``silhouette_from_features`` to get the error
    that explains which bound failed.

    ``method`` records how the partition was made, e.g. ``"hierarchical/average"``,
    ``"kmeans"`` or ``"dbscan"``, so a stored result can be reproduced.
    """

    instrument_ids: tuple[str, ...]
    labels: tuple[int, ...]
    method: str
    quality: ClusterQuality | None

    def __post_init__(self) -> None:
        if len(self.instrument_ids) != len(self.labels):
            raise InputShapeError(
                f"{len(self.instrument_ids)} instrument id(s) but {len(self.labels)} label(s)"
            )
        if len(set(self.instrument_ids)) != len(self.instrument_ids):
            raise InstrumentIdError("instrument ids in a cluster result must be unique")

    @property
    def assignments(self) -> Mapping[str, int]:
        """Read-only mapping instrument id -> cluster label, in instrument order."""
        return MappingProxyType(dict(zip(self.instrument_ids, self.labels, strict=True)))

    @property
    def cluster_labels(self) -> tuple[int, ...]:
        """The distinct cluster labels in ascending order, noise excluded."""
        return tuple(sorted({label for label in self.labels if label != NOISE_LABEL}))

    @property
    def n_clusters(self) -> int:
        """Number of clusters, noise excluded."""
        return len(self.cluster_labels)

    @property
    def noise(self) -> tuple[str, ...]:
        """Instruments assigned to no cluster (only DBSCAN produces any)."""
        return self.members(NOISE_LABEL)

    def label_of(self, instrument_id: str) -> int:
        """Cluster label of one instrument; :class:`InstrumentIdError` if it is not here."""
        try:
            return self.labels[self.instrument_ids.index(instrument_id)]
        except ValueError:
            raise InstrumentIdError(
                f"instrument {instrument_id!r} is not part of this clustering"
            ) from None

    def members(self, label: int) -> tuple[str, ...]:
        """Instruments carrying ``label``, in instrument order (empty if the label is unused)."""
        return tuple(
            instrument_id
            for instrument_id, own_label in zip(self.instrument_ids, self.labels, strict=True)
            if own_label == label
        )

    def clusters(self) -> Mapping[int, tuple[str, ...]]:
        """Read-only mapping cluster label -> members, noise excluded."""
        return MappingProxyType({label: self.members(label) for label in self.cluster_labels})
