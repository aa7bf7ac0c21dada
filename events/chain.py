"""Tamper evidence: a hash chain over every store's events.

Each stored event gets a link in ``<context>_chain``: ``hash = sha256(previous hash ||
canonical bytes)``, where the canonical bytes are the event's position, aggregate id and
version, type, and its stored state exactly as recorded (the state holds the schema version,
timestamps, causation, correlation, actor, watermarks and payload). The first link's previous
hash is 32 zero bytes. Links are written **in the same transaction as the events**, under the
store's table lock (which also orders positions), so no event is ever stored without its link.

What a verification (:func:`verify`) catches, naming the first position concerned:

* an event changed in place (its link no longer matches);
* an event removed (a link without its event);
* an event inserted (an event without a link, or — if the forger wrote a link too — a link
  that does not follow from the one before it);
* a link changed or removed.

A forger who rewrites *every* link after the point they changed can make a chain that verifies
on its own; that is what anchors are for: :func:`heads` exported at some time (``quantvista
audit anchor``) and checked later prove that nothing at or before those positions changed.

Verification streams the store through a server-side cursor: memory stays flat whatever the
size of the log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.rows import tuple_row

GENESIS = bytes(32)
_SEPARATOR = b"\x1f"


def chain_table(context: str) -> str:
    return f"{context}_chain"


def chain_ddl(context: str) -> sql.Composed:
    return sql.SQL(
        "CREATE TABLE IF NOT EXISTS {} (position BIGINT PRIMARY KEY, hash BYTEA NOT NULL)"
    ).format(sql.Identifier(chain_table(context)))


def link(
    previous: bytes, position: int, aggregate_id: UUID | str, version: int, topic: str, state: bytes
) -> bytes:
    """The hash of one event given the hash before it."""
    digest = hashlib.sha256(previous)
    digest.update(
        _SEPARATOR.join(
            (
                str(position).encode(),
                str(aggregate_id).encode(),
                str(version).encode(),
                topic.encode("utf-8"),
                b"",
            )
        )
    )
    digest.update(bytes(state))
    return digest.digest()


def links(
    previous: bytes, events: Iterable[tuple[int, UUID | str, int, str, bytes]]
) -> list[tuple[int, bytes]]:
    """``(position, hash)`` for events in position order, continuing from ``previous``."""
    out = []
    for position, aggregate_id, version, topic, state in events:
        previous = link(previous, position, aggregate_id, version, topic, state)
        out.append((position, previous))
    return out


def append_links(
    cursor: Any, context: str, events: Sequence[tuple[int, Any, int, str, bytes]]
) -> None:
    """Write the links of events just inserted (same transaction, table lock held)."""
    table = sql.Identifier(chain_table(context))
    cursor.execute(sql.SQL("SELECT hash FROM {} ORDER BY position DESC LIMIT 1").format(table))
    row = cursor.fetchone()
    previous = GENESIS if row is None else bytes(row["hash"] if isinstance(row, dict) else row[0])
    cursor.executemany(
        sql.SQL("INSERT INTO {} (position, hash) VALUES (%s, %s)").format(table),
        links(previous, sorted(events)),
    )


@dataclass(frozen=True)
class Break:
    """Where a chain stops verifying, and what was found there."""

    context: str
    position: int
    problem: str

    def __str__(self) -> str:
        return f"{self.context} #{self.position}: {self.problem}"


@dataclass(frozen=True)
class Verification:
    context: str
    events: int
    head_position: int
    head_hash: bytes
    breaks: tuple[Break, ...]

    @property
    def intact(self) -> bool:
        return not self.breaks


def stored_rows(conn: psycopg.Connection, context: str) -> Iterator[tuple[Any, ...]]:
    """Events and links side by side, in position order, streamed with a binary ``COPY``
    (twice the rows per second of a server-side cursor here, and memory stays flat)."""
    query = sql.SQL(
        "COPY (SELECT coalesce(e.notification_id, c.position) AS position, e.originator_id, "
        "e.originator_version, e.topic, e.state, c.hash "
        "FROM {events} e FULL OUTER JOIN {chain} c ON c.position = e.notification_id "
        "ORDER BY 1) TO STDOUT (FORMAT BINARY)"
    ).format(events=sql.Identifier(f"{context}_events"), chain=sql.Identifier(chain_table(context)))
    with conn.transaction(), conn.cursor() as cursor, cursor.copy(query) as copy:
        copy.set_types(["int8", "uuid", "int8", "text", "bytea", "bytea"])
        yield from copy.rows()


def verify(
    conn: psycopg.Connection,
    context: str,
    *,
    anchor: tuple[int, bytes] | None = None,
    max_breaks: int = 20,
) -> Verification:
    """Recompute the chain of one store from its first event; report every break (the first
    ``max_breaks``). With ``anchor`` (a position and the hash exported for it), also check that
    the chain still passes through it."""
    breaks: list[Break] = []
    previous, count, head = GENESIS, 0, 0
    anchored = anchor is None

    def broken(position: int, problem: str) -> None:
        if len(breaks) < max_breaks:
            breaks.append(Break(context, position, problem))

    for position, aggregate_id, version, topic, state, stored in stored_rows(conn, context):
        if state is None:
            broken(position, "an event is missing (its link is stored, the event is not)")
            previous = bytes(stored)
            continue
        count += 1
        expected = link(previous, position, aggregate_id, version, topic, bytes(state))
        if stored is None:
            broken(position, "an event has no link (inserted outside the store?)")
        elif bytes(stored) != expected:
            broken(position, "the event or its link was changed (the hash does not follow)")
        previous, head = expected, position
        if anchor is not None and position == anchor[0]:
            anchored = expected == anchor[1]
            if not anchored:
                broken(position, "the chain no longer passes through the anchored hash")
    if anchor is not None and not anchored and head < anchor[0]:
        broken(anchor[0], "the anchored position is beyond the end of the chain")
    return Verification(context, count, head, previous, tuple(breaks))


def heads(conn: psycopg.Connection, contexts: Iterable[str]) -> dict[str, tuple[int, bytes]]:
    """The last link of each store: what an anchor records."""
    found = {}
    for context in contexts:
        row = (
            conn.cursor(row_factory=tuple_row)
            .execute(
                sql.SQL("SELECT position, hash FROM {} ORDER BY position DESC LIMIT 1").format(
                    sql.Identifier(chain_table(context))
                )
            )
            .fetchone()
        )
        found[context] = (0, GENESIS) if row is None else (int(row[0]), bytes(row[1]))
    return found


def backfill(conn: psycopg.Connection, context: str, page: int = 10_000) -> int:
    """Link the events a store recorded before it kept a chain (an upgrade): only when the
    chain is empty. Returns the events linked. Runs under the store's table lock."""
    events, chain = sql.Identifier(f"{context}_events"), sql.Identifier(chain_table(context))
    with conn.transaction(), conn.cursor(row_factory=tuple_row) as cursor:
        cursor.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(events))
        if cursor.execute(sql.SQL("SELECT 1 FROM {} LIMIT 1").format(chain)).fetchone():
            return 0
        previous, after, linked = GENESIS, 0, 0
        while True:
            rows = cursor.execute(
                sql.SQL(
                    "SELECT notification_id, originator_id, originator_version, topic, state "
                    "FROM {} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
                ).format(events),
                (after, page),
            ).fetchall()
            if not rows:
                return linked
            new = links(previous, [(r[0], r[1], r[2], r[3], bytes(r[4])) for r in rows])
            cursor.executemany(
                sql.SQL("INSERT INTO {} (position, hash) VALUES (%s, %s)").format(chain), new
            )
            previous, after, linked = new[-1][1], rows[-1][0], linked + len(rows)
