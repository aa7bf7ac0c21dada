"""The event store of one bounded context: the ``eventsourcing`` library's PostgreSQL process
recorder (events table + notification log + single-row tracking), behind a small API in our
own envelope.

- Optimistic concurrency per aggregate: ``(aggregate_id, version)`` is the primary key; a
  conflicting append raises :class:`ConcurrencyConflict` and writes nothing.
- The notification id is the event's *position*: gap-free apart from the holes a failed insert
  burns, in commit order (the library's table lock is kept on purpose; see FACTS.md).
- ``append(..., tracking=(upstream, position))`` records the consumer's upstream position in the
  same transaction as the events it produced — the basis of exactly-once effects.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    StoredEvent,
    Tracking,
)
from eventsourcing.postgres import PostgresDatastore, PostgresProcessRecorder
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool.base import AttemptWithBackoff

from events.catalogue import Catalogue, default_catalogue
from events.chain import append_links, backfill, chain_ddl
from events.codec import PoisonEvent, decode_state, encode_state
from events.domain import PendingEvent
from events.envelope import Cause, EventEnvelope

log = logging.getLogger(__name__)

STORE_CONTEXTS = (
    "ingestion",
    "intelligence",
    "prediction",
    "decision",
    "execution",
    "sagas",
    "support",
)
"""Every event store of the platform (``<context>_events``), each with its own hash chain."""

MAX_EVENTS_PER_APPEND = 500  # eventsourcing 9.5.6 hangs at ~1,200 per save (FACTS.md)


class ConcurrencyConflict(RuntimeError):
    """Another writer appended to one of these aggregates first; reload and retry."""


class TooManyEventsForOneAppend(ValueError):
    """A tracked append must be one transaction, and one append holds at most
    ``MAX_EVENTS_PER_APPEND`` events; the consumer splits its batch and retries."""


class StoreUnavailable(RuntimeError):
    """The event store's database cannot be reached (refused, timed out, or recently failed):
    nothing was written. Callers report it (GraphQL ``UNAVAILABLE``) instead of waiting."""


class AlreadyTracked(RuntimeError):
    """This consumer already recorded an upstream position at or beyond this one."""


@dataclass(frozen=True)
class RawEvent:
    """A stored event before decoding (used to dead-letter what cannot be decoded)."""

    context: str
    position: int
    aggregate_id: UUID
    aggregate_version: int
    topic: str
    state: bytes


# libpq settings the library's datastore has no argument for, passed the way libpq itself
# reads them when absent from the connection string: as environment variables.
LIBPQ_ENVIRONMENT = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
    "options": "PGOPTIONS",
}


DATABASE_TIMEOUT_S = 3.0
"""How long a connection attempt, or a wait for a pooled connection, may take before the call
fails: long enough for a busy server, short enough that a lost database is reported in seconds
(the libraries' defaults are 30 s per wait and no limit on connecting)."""


RECONNECT_INTERVAL_S = 0.5
"""How often a pool retries a lost database. psycopg_pool doubles its delay after each failed
attempt (1, 2, 4, 8, 16 s ...), so a database back after a 20-second outage went unused for
half a minute more; a trading platform wants its connections back within a second. These are
the pool's own tuning constants, set once for every pool of the process."""
AttemptWithBackoff.INITIAL_DELAY = RECONNECT_INTERVAL_S
AttemptWithBackoff.DELAY_BACKOFF = 1.0


def datastore_from_url(url: str, *, pool_size: int = 2, max_overflow: int = 4) -> PostgresDatastore:
    """A connection pool for a libpq URL (the library has no DSN setting of its own).

    TLS and other settings in the URL's query (``?sslmode=verify-full&sslrootcert=...``) are
    honoured through libpq's environment variables, unless those are already set. Connecting
    times out after ``connect_timeout`` from the URL, else :data:`DATABASE_TIMEOUT_S`."""
    info = conninfo_to_dict(url)
    for key, variable in LIBPQ_ENVIRONMENT.items():
        if key in info:
            os.environ.setdefault(variable, str(info[key]))
    os.environ.setdefault("PGCONNECT_TIMEOUT", str(round(DATABASE_TIMEOUT_S)))
    return PostgresDatastore(
        dbname=str(info.get("dbname", "postgres")),
        host=str(info.get("host", "localhost")),
        port=str(info.get("port", "5432")),
        user=str(info.get("user", "postgres")),
        password=str(info.get("password", "")),
        pool_size=pool_size,
        max_overflow=max_overflow,
        max_waiting=0,
        connect_timeout=DATABASE_TIMEOUT_S,  # the pool's wait for a connection
        pre_ping=True,  # a connection broken by a database restart is replaced, not lent
    )


def _without_retries(method: Callable[..., Any]) -> Callable[..., Any]:
    """The library method without its ``@retry`` wrapper (``functools.wraps`` keeps it)."""
    return getattr(method, "__wrapped__", method)


class _FailFastRecorder(PostgresProcessRecorder):
    """The library's recorder, minus its retries.

    eventsourcing retries each of these calls ten times on an operational error, every attempt
    waiting for a pooled connection: against a dead server one append took ~30 s to fail, and
    a run ~55 s to notice its database was gone. Our components are supervised (they retry
    with backoff) and our commands answer ``UNAVAILABLE``, so a call fails within one pool wait
    (:data:`DATABASE_TIMEOUT_S`); the pool checks a connection before lending it, so a stale
    connection after a database restart is replaced rather than failing the call.
    """

    insert_events = _without_retries(PostgresProcessRecorder.insert_events)
    select_notifications = _without_retries(PostgresProcessRecorder.select_notifications)
    max_notification_id = _without_retries(PostgresProcessRecorder.max_notification_id)
    max_tracking_id = _without_retries(PostgresProcessRecorder.max_tracking_id)

    context = ""  # set by EventStore: names the chain table

    def _fetch_ids_after_insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The library's ids, then the events' hash-chain links, in the same transaction
        and under the same table lock (:mod:`events.chain`)."""
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if ids:
            append_links(
                curs,
                self.context,
                [
                    (position, e.originator_id, e.originator_version, e.topic, e.state)
                    for position, e in zip(ids, stored_events, strict=True)
                ],
            )
        return ids


class EventStore:
    """The store of one context: ``<context>_events`` and ``<context>_tracking``."""

    def __init__(
        self,
        context: str,
        datastore: PostgresDatastore,
        *,
        catalogue: Catalogue | None = None,
        wall_clock_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        self.context = context
        self.datastore = datastore
        self.catalogue = catalogue or default_catalogue()
        self._wall_clock_ns = wall_clock_ns
        self._unreachable_until = 0.0  # monotonic: fail appends fast right after an outage
        self._outage = ""
        self.recorder = _FailFastRecorder(
            datastore,
            events_table_name=f"{context}_events",
            tracking_table_name=f"{context}_tracking",
        )
        self.recorder.context = context

    @property
    def events_table(self) -> str:
        return f"{self.context}_events"

    def create_tables(self) -> None:
        """The library's tables and the hash chain's; a store recorded before it kept a chain
        is linked now, once (:func:`events.chain.backfill`)."""
        self.recorder.create_table()
        with self.datastore.get_connection() as conn:
            conn.execute(chain_ddl(self.context))
            conn.commit()
            linked = backfill(conn, self.context)
        if linked:
            log.warning(
                "linked %d events of the %s store into its hash chain", linked, self.context
            )

    # ------------------------------------------------------------------ writing
    OUTAGE_COOL_DOWN_S = 1.0
    """After an append found the database unreachable, further appends within this time fail
    at once instead of each waiting for its own connection timeout (a caller such as a GraphQL
    mutation answers ``UNAVAILABLE`` in milliseconds while the database is down)."""

    def append(
        self,
        items: Sequence[tuple[PendingEvent, Cause]],
        *,
        tracking: tuple[str, int] | None = None,
    ) -> list[int]:
        """Append events atomically (with the tracking record, if given); returns positions."""
        if tracking is None and len(items) > MAX_EVENTS_PER_APPEND:
            positions: list[int] = []
            for start in range(0, len(items), MAX_EVENTS_PER_APPEND):
                positions += self.append(items[start : start + MAX_EVENTS_PER_APPEND])
            return positions
        if len(items) > MAX_EVENTS_PER_APPEND:
            raise TooManyEventsForOneAppend(
                f"{len(items)} events in one tracked append; the limit is {MAX_EVENTS_PER_APPEND}"
            )
        recorded = self._wall_clock_ns()
        stored = []
        for pending, cause in items:
            topic, state = encode_state(self.context, pending, cause, recorded, self.catalogue)
            stored.append(
                StoredEvent(pending.aggregate_id, pending.aggregate_version, topic, state)
            )
        track = Tracking(tracking[0], tracking[1]) if tracking else None
        try:
            with self._reaching_the_database():
                ids = self.recorder.insert_events(stored, tracking=track)
        except IntegrityError as exc:
            if tracking is not None and self.tracked_position(tracking[0]) >= tracking[1]:
                raise AlreadyTracked(f"{self.context} already applied {tracking}") from None
            raise ConcurrencyConflict(str(exc)) from None
        return list(ids or [])

    @contextlib.contextmanager
    def _reaching_the_database(self) -> Iterator[None]:
        """Turn "cannot reach the database" into :class:`StoreUnavailable`, and refuse calls
        at once for :attr:`OUTAGE_COOL_DOWN_S` after one found it unreachable."""
        if time.monotonic() < self._unreachable_until:
            raise StoreUnavailable(self._unavailable_message())
        try:
            yield
        except (OperationalError, InterfaceError, psycopg.OperationalError) as exc:
            text = str(exc).strip()
            self._outage = text.splitlines()[0] if text else type(exc).__name__
            self._unreachable_until = time.monotonic() + self.OUTAGE_COOL_DOWN_S
            raise StoreUnavailable(self._unavailable_message()) from exc

    def _unavailable_message(self) -> str:
        return (
            f"the {self.context} event store's database is unreachable ({self._outage}); "
            "nothing was recorded"
        )

    # ------------------------------------------------------------------ reading
    def head(self) -> int:
        with self._reaching_the_database():
            return self.recorder.max_notification_id() or 0

    def position_of(self, aggregate_id: UUID, version: int) -> int | None:
        """The position of one aggregate's event (None if it is not stored)."""
        with self._reaching_the_database(), self.datastore.transaction(commit=False) as cur:
            cur.execute(
                f"SELECT notification_id FROM {self.events_table} "
                "WHERE originator_id = %s AND originator_version = %s",
                (aggregate_id, version),
            )
            row = cur.fetchone()
        return None if row is None else int(row["notification_id"])

    def aggregate_events(
        self, aggregate_id: UUID, *, after_version: int = 0
    ) -> list[EventEnvelope]:
        """One aggregate's events in version order (an account's ledger, to fold it as of a
        time), or only those after ``after_version`` (to bring a cached copy up to date).
        Raises :class:`PoisonEvent` on an undecodable one."""
        with self._reaching_the_database(), self.datastore.transaction(commit=False) as cur:
            cur.execute(
                f"SELECT notification_id, originator_version, topic, state FROM "
                f"{self.events_table} WHERE originator_id = %s AND originator_version > %s "
                "ORDER BY originator_version",
                (aggregate_id, after_version),
            )
            rows = cur.fetchall()
        return [
            self.decode(
                RawEvent(
                    self.context,
                    int(row["notification_id"]),
                    aggregate_id,
                    int(row["originator_version"]),
                    row["topic"],
                    bytes(row["state"]),
                )
            )
            for row in rows
        ]

    def tracked_position(self, upstream: str) -> int:
        with self._reaching_the_database():
            return self.recorder.max_tracking_id(upstream) or 0

    def read_raw(
        self, after: int, *, limit: int = 1000, upto: int | None = None, types: Sequence[str] = ()
    ) -> list[RawEvent]:
        with self._reaching_the_database():
            notifications = self.recorder.select_notifications(
                start=after + 1, limit=limit, stop=upto, topics=types
            )
        return [
            RawEvent(self.context, n.id, n.originator_id, n.originator_version, n.topic, n.state)  # type: ignore[arg-type]
            for n in notifications
        ]

    def decode(self, raw: RawEvent) -> EventEnvelope:
        return decode_state(
            context=self.context,
            aggregate_id=raw.aggregate_id,
            aggregate_version=raw.aggregate_version,
            position=raw.position,
            state=raw.state,
            catalogue=self.catalogue,
        )

    def read(
        self, after: int = 0, *, limit: int = 1000, upto: int | None = None
    ) -> list[EventEnvelope]:
        """Decoded events after a position. Raises :class:`PoisonEvent` on an undecodable one;
        consumers use :meth:`read_raw` + :meth:`decode` to dead-letter instead."""
        return [self.decode(raw) for raw in self.read_raw(after, limit=limit, upto=upto)]

    def iter_all(
        self, after: int = 0, *, upto: int | None = None, page: int = 1000
    ) -> Iterator[EventEnvelope]:
        """Every decodable event after ``after`` (up to ``upto``), in position order.

        Rebuilding state must not stop on an event the live consumers already dead-lettered:
        an undecodable one is logged and stepped over here too."""
        while upto is None or after < upto:
            raws = self.read_raw(after, limit=page, upto=upto)
            if not raws:
                return
            for raw in raws:
                try:
                    yield self.decode(raw)
                except PoisonEvent as exc:
                    log.error("skipping undecodable event while rebuilding state: %s", exc)
            after = raws[-1].position


__all__ = [
    "AlreadyTracked",
    "ConcurrencyConflict",
    "EventStore",
    "PoisonEvent",
    "RawEvent",
    "StoreUnavailable",
    "datastore_from_url",
]
