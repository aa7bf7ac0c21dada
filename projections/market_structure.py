"""The market's structure as people read it: every clustering of the universe and every
regime change (``rm_clusterings``, ``rm_regimes``), one row per reading, keyed by the bar end
it is stamped with — so "the clusters in force at T" is the latest row at or before T."""

from __future__ import annotations

import json
from collections.abc import Sequence

from psycopg import Cursor

from bounded_contexts.intelligence.domain.events import InstrumentsClustered, RegimeChanged
from events.envelope import EventEnvelope
from projections.base import Projection


class MarketStructureProjection(Projection):
    name = "projection.market-structure"
    upstreams = ("intelligence",)
    tables = ("rm_clusterings", "rm_regimes")

    def fold(self, events: Sequence[EventEnvelope], cur: Cursor) -> None:  # type: ignore[type-arg]
        clusterings, regimes = [], []
        for envelope in events:
            match envelope.event:
                case InstrumentsClustered() as e:
                    clusterings.append(_clustering_row(e, envelope.position))
                case RegimeChanged() as e:
                    regimes.append(_regime_row(e, envelope.position))
        if clusterings:
            cur.executemany(
                "INSERT INTO rm_clusterings (ts_end, session, method, window_bars, silhouette, "
                "clusters, assignments, seq) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT DO NOTHING",
                clusterings,
            )
        if regimes:
            cur.executemany(
                "INSERT INTO rm_regimes (ts_end, session, model, regime, rank, states, previous, "
                "probability, probabilities, expected_duration_bars, observations, seq) VALUES "
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                regimes,
            )


def _clustering_row(e: InstrumentsClustered, position: int) -> tuple[object, ...]:
    clusters = [
        {"label": c.label, "members": list(c.members), "silhouette": c.silhouette}
        for c in e.clusters
    ]
    return (
        e.ts_end,
        e.session,
        e.method,
        e.window_bars,
        e.silhouette,
        json.dumps(clusters),
        json.dumps(e.assignments),
        position,
    )


def _regime_row(e: RegimeChanged, position: int) -> tuple[object, ...]:
    return (
        e.ts_end,
        e.session,
        e.model,
        e.regime,
        e.rank,
        e.states,
        e.previous,
        e.probability,
        json.dumps(e.probabilities),
        e.expected_duration_bars,
        e.observations,
        position,
    )
