"""The index of the event log that auditors walk: every event of every store by its id, its
cause and its chain, with type, aggregate, domain time, actor and store position — so lineage
(a fill back to the bar it was decided on) is a handful of indexed lookups, never a scan of
the stores' JSON. Payloads are not copied: they are read from the stores when shown."""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import Cursor

from events.envelope import EventEnvelope
from events.store import STORE_CONTEXTS
from projections.base import Projection

INDEXED_STORES = STORE_CONTEXTS  # every store


class EventIndexProjection(Projection):
    name = "projection.event-index"
    upstreams = INDEXED_STORES
    tables = ("rm_event_index",)

    def fold(self, events: Sequence[EventEnvelope], cur: Cursor) -> None:  # type: ignore[type-arg]
        if not events:
            return
        cur.executemany(
            "INSERT INTO rm_event_index (event_id, context, position, event_type, "
            "schema_version, aggregate_id, aggregate_version, causation_id, correlation_id, "
            "ts_event, ts_recorded, actor) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
            "%s, %s) ON CONFLICT DO NOTHING",
            [
                (
                    e.event_id,
                    e.context,
                    e.position,
                    e.event_type,
                    e.schema_version,
                    e.aggregate_id,
                    e.aggregate_version,
                    e.causation_id,
                    e.correlation_id,
                    e.ts_event,
                    e.ts_recorded,
                    e.actor,
                )
                for e in events
            ],
        )
