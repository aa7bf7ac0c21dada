"""Where a consumer's effects go, always together with its tracking record.

- :class:`StoreEffects`: a policy or saga appends events to its own context's store; the
  upstream position goes into that store's tracking table in the same transaction.
- :class:`SqlEffects`: a projection writes read-model rows; the position goes into
  ``projection_tracking`` in the same transaction, and a ``NOTIFY`` on
  :data:`PROGRESS_CHANNEL` says so when it commits.

Either way a position already applied is refused (:class:`AlreadyTracked`) and the whole
effect rolls back — the duplicate is dropped, whatever the broker redelivered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from eventsourcing.postgres import PostgresDatastore

from events.domain import Aggregate, PendingEvent
from events.envelope import Cause
from events.store import AlreadyTracked, EventStore

PROJECTION_TRACKING_DDL = """
CREATE TABLE IF NOT EXISTS projection_tracking (
    projection  TEXT NOT NULL,
    upstream    TEXT NOT NULL,
    position    BIGINT NOT NULL,
    PRIMARY KEY (projection, upstream)
)
"""


PROGRESS_CHANNEL = "quantvista_projection_progress"
"""``NOTIFY`` channel: ``"<projection> <upstream> <position>"`` on every projection commit."""


class Effects(Protocol):
    def tracked_position(self, consumer: str, upstream: str) -> int: ...

    def apply(
        self, consumer: str, upstream: str, position: int, work: Callable[[Any], None]
    ) -> None:
        """Run ``work(unit_of_work)`` and record ``position`` atomically with its effects."""
        ...


class EventsToAppend:
    """The unit of work of a policy: events recorded by aggregates, each with its cause."""

    def __init__(self) -> None:
        self.items: list[tuple[PendingEvent, Cause]] = []

    def save(self, aggregate: Aggregate, cause: Cause) -> None:
        self.items.extend((pending, cause) for pending in aggregate.collect_pending())


class StoreEffects:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    def tracked_position(self, consumer: str, upstream: str) -> int:
        return self.store.tracked_position(f"{consumer}:{upstream}")

    def apply(
        self, consumer: str, upstream: str, position: int, work: Callable[[Any], None]
    ) -> None:
        uow = EventsToAppend()
        work(uow)
        self.store.append(uow.items, tracking=(f"{consumer}:{upstream}", position))


class SqlEffects:
    def __init__(self, datastore: PostgresDatastore) -> None:
        self.datastore = datastore

    def create_tables(self) -> None:
        with self.datastore.transaction(commit=True) as cur:
            cur.execute(PROJECTION_TRACKING_DDL)

    def tracked_position(self, consumer: str, upstream: str) -> int:
        with self.datastore.transaction(commit=False) as cur:
            cur.execute(
                "SELECT position FROM projection_tracking WHERE projection = %s AND upstream = %s",
                (consumer, upstream),
            )
            row = cur.fetchone()
        return int(row["position"]) if row else 0

    def apply(
        self, consumer: str, upstream: str, position: int, work: Callable[[Any], None]
    ) -> None:
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as cur:
            # The notification goes out on commit, with the effects: the gateway waits on it
            # for read-your-writes (minPosition) and to feed subscriptions, instead of polling.
            cur.execute(
                "WITH tracked AS (INSERT INTO projection_tracking (projection, upstream, position) "
                "VALUES (%s, %s, %s) ON CONFLICT (projection, upstream) DO UPDATE "
                "SET position = EXCLUDED.position "
                "WHERE projection_tracking.position < EXCLUDED.position RETURNING position) "
                "SELECT position, pg_notify(%s, %s) FROM tracked",
                (
                    consumer,
                    upstream,
                    position,
                    PROGRESS_CHANNEL,
                    f"{consumer} {upstream} {position}",
                ),
            )
            if cur.fetchone() is None:
                raise AlreadyTracked(f"{consumer} already applied {upstream}#{position}")
            work(cur)
