"""Annex IV order records for a time window, from the event log, and their files.

:func:`order_records` returns one :class:`OrderRecord` per order event whose domain time
(``ts_event``) is in ``[start, end)``, in store position order (the order in which the
execution context recorded them), each joined with its order's ``OrderSubmitted`` (which may
be older than the window) as amended by the ``OrderAmended`` events recorded up to that event —
a row shows the quantity, limit and stop price in force when it happened — and its
instrument's listing. Plain data for the CLI and the gateway.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import psycopg

from bounded_contexts.support.adapters.mifid.order_record_files import (
    order_records_csv,
    order_records_parquet,
)
from bounded_contexts.support.application.mifid.clients import with_recorded_clients
from bounded_contexts.support.application.mifid.log import (
    LoggedEvent,
    events_between,
    events_of_aggregates,
    first_events,
)
from bounded_contexts.support.application.mifid.reference import algorithms, instruments
from bounded_contexts.support.domain.mifid.firm import FirmConfig
from bounded_contexts.support.domain.mifid.order_records import (
    ORDER_EVENT_TYPES,
    OrderEvent,
    OrderRecord,
    order_record,
)

Format = Literal["csv", "parquet"]


def order_records(
    conn: psycopg.Connection, firm: FirmConfig | None, start: int, end: int
) -> list[OrderRecord]:
    events = events_between(conn, "execution", ORDER_EVENT_TYPES, start, end)
    if firm is not None:  # clients as recorded by the window's end
        firm = with_recorded_clients(conn, firm, end)
    orders = first_events(conn, "execution", (e.aggregate_id for e in events))
    amendments: dict[object, list[LoggedEvent]] = {}
    changes = ("OrderAmended", "OrderActivated")
    for amended in events_of_aggregates(conn, "execution", changes, orders):
        amendments.setdefault(amended.aggregate_id, []).append(amended)
    listed = instruments(conn)
    codes = algorithms(conn)
    records = []
    for event in events:
        order = orders.get(event.aggregate_id)
        if order is None:  # an order event whose order is not in the store: cannot happen
            continue
        records.append(
            order_record(
                OrderEvent(
                    position=event.position,
                    event_type=event.event_type,
                    written_version=event.written_version,
                    ts_event=event.ts_event,
                    ts_recorded=event.ts_recorded,
                    actor=event.actor,
                    payload=event.payload,
                    order=_as_amended(order.payload, amendments.get(event.aggregate_id, ()), event),
                    order_actor=order.actor,
                ),
                listed.get(order.payload["instrument_id"]),
                firm,
                codes,
            )
        )
    return records


def _as_amended(
    submitted: dict[str, Any], amendments: Sequence[LoggedEvent], event: LoggedEvent
) -> dict[str, Any]:
    """The order's terms in force at ``event``: its submission, then every amendment (and a
    held child's activation: the quantity it was sent for, and when) recorded up to and
    including it."""
    terms = submitted
    for amended in amendments:
        if amended.position > event.position:
            break
        p = amended.payload
        if amended.event_type == "OrderActivated":
            terms = {**terms, "quantity": p["quantity"], "ts_submitted": p["ts_activated"]}
            continue
        terms = {
            **terms,
            "quantity": p["quantity"],
            "limit_price": p["limit_price"],
            "stop_price": p["stop_price"],
        }
    return terms


def order_records_bytes(records: list[OrderRecord], fmt: Format) -> bytes:
    if fmt == "csv":
        return order_records_csv(records)
    if fmt == "parquet":
        return order_records_parquet(records)
    raise ValueError(f"--format must be csv or parquet, got {fmt!r}")


def write_order_records(records: list[OrderRecord], fmt: Format, out: Path) -> int:
    content = order_records_bytes(records, fmt)
    out.write_bytes(content)
    return len(content)
