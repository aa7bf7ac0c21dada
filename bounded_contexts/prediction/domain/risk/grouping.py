"""Instrument -> cluster grouping as a weight matrix.

Every risk method reports the same three levels — instrument, cluster, portfolio — and every
level is a linear combination of position values. Expressing clusters and the portfolio as
columns of one weight matrix ``G`` (instruments x groups, ``G[i, g]`` = market value of
instrument ``i`` if it belongs to group ``g``) lets the methods compute all group P&Ls with one
matrix product instead of a loop per cluster.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .errors import InstrumentMappingError
from .validation import FloatMatrix, FloatVector


@dataclass(frozen=True, slots=True)
class GroupWeights:
    """Cluster names (sorted, for a stable report order), membership and the weight matrix.

    ``membership`` is 0/1, instruments x clusters. ``matrix`` has one column per cluster
    (member position values) followed by one last column for the whole portfolio.
    """

    cluster_names: tuple[str, ...]
    membership: FloatMatrix
    matrix: FloatMatrix

    @property
    def portfolio_column(self) -> int:
        return self.matrix.shape[1] - 1


def cluster_membership(
    instruments: Sequence[str], clusters: Mapping[str, str] | None
) -> tuple[tuple[str, ...], FloatMatrix]:
    """Return (cluster names, 0/1 membership matrix instruments x clusters).

    Every portfolio instrument must be mapped: a missing one would silently vanish from every
    cluster figure. Extra keys (a universe-wide mapping) are allowed — they change nothing.
    """
    if clusters is None:
        return (), np.zeros((len(instruments), 0))
    if not isinstance(clusters, Mapping):
        raise InstrumentMappingError(
            f"clusters must be a mapping instrument id -> cluster name, got {type(clusters)!r}"
        )
    missing = [instrument for instrument in instruments if instrument not in clusters]
    if missing:
        raise InstrumentMappingError(
            f"cluster mapping has no cluster for instrument(s) {', '.join(map(repr, missing))}"
        )
    for instrument in instruments:
        cluster = clusters[instrument]
        if not isinstance(cluster, str) or not cluster:
            raise InstrumentMappingError(
                f"cluster of instrument {instrument!r} must be a non-empty string, got {cluster!r}"
            )
    names = tuple(sorted({clusters[instrument] for instrument in instruments}))
    column = {name: j for j, name in enumerate(names)}
    membership = np.zeros((len(instruments), len(names)))
    for i, instrument in enumerate(instruments):
        membership[i, column[clusters[instrument]]] = 1.0
    return names, membership


def group_weights(
    instruments: Sequence[str], position_values: FloatVector, clusters: Mapping[str, str] | None
) -> GroupWeights:
    """Cluster columns then the portfolio column, each holding member position values."""
    names, membership = cluster_membership(instruments, clusters)
    matrix = np.column_stack([membership * position_values[:, None], position_values])
    return GroupWeights(cluster_names=names, membership=membership, matrix=matrix)
