"""The client records RTS 22 reports identify clients by: recorded as events in the support
store (``ClientRecorded``, one version after another), read as they stood at a moment.

The firm file's ``[clients]`` table is the fallback for a client never recorded here (a
first configuration); once a client is recorded, the recorded version in force at the end of
a report's day is the one reported, so changing a client later never rewrites a file already
sent and regenerating a day gives the same bytes.
"""

from __future__ import annotations

from dataclasses import asdict, fields, replace
from typing import Any

import psycopg

from bounded_contexts.support.application.mifid.log import events_between, events_of_aggregate
from bounded_contexts.support.domain.mifid.events import (
    ClientFile,
    ClientRecorded,
)
from bounded_contexts.support.domain.mifid.firm import ClientRecord, FirmConfig
from events.effects import EventsToAppend
from events.envelope import Cause
from events.store import ConcurrencyConflict, EventStore


class ClientRecordConflict(ValueError):
    """Someone else recorded the same client at the same moment: read it again and retry."""


def record_client(
    store: EventStore,
    conn: psycopg.Connection[Any],
    record: ClientRecord,
    reason: str,
    *,
    actor: str,
    ts_event: int,
) -> tuple[int, int]:
    """Record a new version of a client's record; returns (support position, version).
    ``ValueError`` naming the field when the record could not identify the client in a report,
    or when it changes nothing."""
    client = ClientFile.open(record.client_id)
    history = events_of_aggregate(conn, "support", client.id)
    if history:
        client = ClientFile.replay(
            client.id, [ClientRecorded.from_payload(e.payload) for e in history]
        )
    client.record(ClientRecorded(**asdict(record), reason=reason.strip()))  # same fields
    uow = EventsToAppend()
    uow.save(client, Cause.origin(ts_event=ts_event, actor=actor, key=f"client/{client.id}"))
    try:
        (position,) = store.append(uow.items)
    except ConcurrencyConflict:
        raise ClientRecordConflict(
            f"client {record.client_id} was recorded by someone else just now; retry"
        ) from None
    return position, client.version


def clients_as_of(conn: psycopg.Connection[Any], until_ns: int) -> dict[str, ClientRecord]:
    """Every recorded client as its record stood before ``until_ns`` (domain time)."""
    found: dict[str, ClientRecord] = {}
    for event in events_between(conn, "support", ["ClientRecorded"], ts_to=until_ns):
        p = event.payload
        found[p["client_id"]] = ClientRecord(**{f.name: p[f.name] for f in fields(ClientRecord)})
    return found


def with_recorded_clients(
    conn: psycopg.Connection[Any], firm: FirmConfig, until_ns: int
) -> FirmConfig:
    """The firm configuration with its clients as recorded by ``until_ns`` (the firm file's
    ``[clients]`` for those never recorded)."""
    recorded = clients_as_of(conn, until_ns)
    if not recorded:
        return firm
    return replace(firm, clients={**firm.clients, **recorded})
