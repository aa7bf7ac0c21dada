"""Reading the event log for regulatory records: events by type and domain-time window through
the event index (``rm_event_index``), every event decoded (and upcast to its current version)
from its store.

The index is a projection and may lag its stores. A report must be complete, so events after
the index's tracked position in a store (``projection_tracking``) are read from the store
itself: what the index has not seen yet is scanned, never missed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import fastjsonschema
import orjson
import psycopg
from psycopg import sql
from psycopg.rows import tuple_row

from events.catalogue import UnknownEventType, default_catalogue
from events.codec import PoisonEvent, upcast

INDEX_PROJECTION = "projection.event-index"
NO_TIME_LIMIT = (-(2**63), 2**63 - 1)


@dataclass(frozen=True)
class LoggedEvent:
    """One stored event, its payload upcast to the current version of its type."""

    context: str
    position: int
    event_type: str
    written_version: int
    aggregate_id: UUID
    aggregate_version: int
    ts_event: int
    ts_recorded: int
    actor: str
    payload: dict[str, Any]


def events_between(
    conn: psycopg.Connection,
    context: str,
    types: Sequence[str],
    ts_from: int = NO_TIME_LIMIT[0],
    ts_to: int = NO_TIME_LIMIT[1],
) -> list[LoggedEvent]:
    """Events of these types with ``ts_from <= ts_event < ts_to``, in store position order."""
    table = sql.Identifier(f"{context}_events")
    indexed = _indexed_upto(conn, context)
    rows = _rows(
        conn,
        sql.SQL(
            "SELECT e.notification_id, e.originator_id, e.originator_version, e.state "
            "FROM rm_event_index i JOIN {} e ON e.notification_id = i.position "
            "WHERE i.context = %s AND i.event_type = ANY(%s) AND i.ts_event >= %s "
            "AND i.ts_event < %s AND i.position <= %s ORDER BY i.position"
        ).format(table),
        (context, list(types), ts_from, ts_to, indexed),
    )
    found = [_decode(context, row) for row in rows]
    tail = _rows(
        conn,
        sql.SQL(
            "SELECT notification_id, originator_id, originator_version, state FROM {} "
            "WHERE notification_id > %s AND topic = ANY(%s) ORDER BY notification_id"
        ).format(table),
        (indexed, list(types)),
    )
    found += [e for e in (_decode(context, r) for r in tail) if ts_from <= e.ts_event < ts_to]
    return found


def first_events(
    conn: psycopg.Connection, context: str, aggregate_ids: Iterable[UUID]
) -> dict[UUID, LoggedEvent]:
    """The first event of each aggregate (an order's ``OrderSubmitted``), by aggregate id."""
    ids = sorted(set(aggregate_ids))
    if not ids:
        return {}
    rows = _rows(
        conn,
        sql.SQL(
            "SELECT notification_id, originator_id, originator_version, state FROM {} "
            "WHERE originator_id = ANY(%s) AND originator_version = 1"
        ).format(sql.Identifier(f"{context}_events")),
        (ids,),
    )
    return {row[1]: _decode(context, row) for row in rows}


def events_of_aggregates(
    conn: psycopg.Connection, context: str, types: Sequence[str], aggregate_ids: Iterable[UUID]
) -> list[LoggedEvent]:
    """Every event of these types of these aggregates (an order's amendments), in store
    position order."""
    ids = sorted(set(aggregate_ids))
    if not ids:
        return []
    rows = _rows(
        conn,
        sql.SQL(
            "SELECT notification_id, originator_id, originator_version, state FROM {} "
            "WHERE originator_id = ANY(%s) AND topic = ANY(%s) ORDER BY notification_id"
        ).format(sql.Identifier(f"{context}_events")),
        (ids, list(types)),
    )
    return [_decode(context, row) for row in rows]


def events_of_aggregate(
    conn: psycopg.Connection, context: str, aggregate_id: UUID
) -> list[LoggedEvent]:
    rows = _rows(
        conn,
        sql.SQL(
            "SELECT notification_id, originator_id, originator_version, state FROM {} "
            "WHERE originator_id = %s ORDER BY originator_version"
        ).format(sql.Identifier(f"{context}_events")),
        (aggregate_id,),
    )
    return [_decode(context, row) for row in rows]


def _indexed_upto(conn: psycopg.Connection, context: str) -> int:
    """How far the event index has indexed this store (0: not at all)."""
    rows = _rows(
        conn,
        "SELECT position FROM projection_tracking WHERE projection = %s AND upstream = %s",
        (INDEX_PROJECTION, context),
    )
    return int(rows[0][0]) if rows else 0


def _rows(conn: psycopg.Connection, query: Any, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Tuple rows, whatever row factory the caller's connection has (the gateway's may not)."""
    with conn.cursor(row_factory=tuple_row) as cur:
        cur.execute(query, params)
        return cur.fetchall()


def _decode(context: str, row: Sequence[Any]) -> LoggedEvent:
    """Decode, upcast and validate one stored event (as ``events.codec.decode_state`` does,
    minus building the domain event object, which reports never use)."""
    position, aggregate_id, aggregate_version, state = row
    state = bytes(state)
    where = f"{context}#{position}"
    try:
        data = orjson.loads(state)
        written = int(data["version"])
        cls = default_catalogue().resolve(data["type"])
    except (ValueError, KeyError, TypeError, UnknownEventType) as error:
        raise PoisonEvent(f"undecodable event at {where}: {error}") from None
    payload = upcast(cls, written, data["payload"], where=where)
    try:
        default_catalogue().validator(cls)(payload)
    except fastjsonschema.JsonSchemaException as error:
        raise PoisonEvent(f"{data['type']} at {where} fails its schema: {error.message}") from None
    return LoggedEvent(
        context=context,
        position=position,
        event_type=data["type"],
        written_version=written,
        aggregate_id=aggregate_id,
        aggregate_version=aggregate_version,
        ts_event=int(data["ts_event"]),
        ts_recorded=int(data["ts_recorded"]),
        actor=str(data["actor"]),
        payload=payload,
    )
