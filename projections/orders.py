"""Orders (current state), their full event history, and their fills."""

from __future__ import annotations

import json
from collections.abc import Sequence

from psycopg import Cursor

from bounded_contexts.execution.domain.events import (
    OrderAccepted,
    OrderCancelled,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
)
from events.envelope import EventEnvelope
from projections.base import Projection

ORDER_EVENTS = (OrderSubmitted, OrderAccepted, OrderRejected, OrderFilled, OrderCancelled)


class OrdersProjection(Projection):
    name = "projection.orders"
    upstreams = ("execution",)
    tables = ("rm_orders", "rm_order_events", "rm_fills")

    def fold(self, events: Sequence[EventEnvelope], cur: Cursor) -> None:  # type: ignore[type-arg]
        history = []
        for envelope in events:
            e = envelope.event
            if not isinstance(e, ORDER_EVENTS):
                continue
            history.append(
                (
                    e.order_id,
                    envelope.aggregate_version,
                    envelope.event_type,
                    envelope.ts_event,
                    json.dumps({**envelope.payload, "actor": envelope.actor}),
                )
            )
            self._apply(e, envelope, cur)
        if history:
            cur.executemany(
                "INSERT INTO rm_order_events (order_id, version, event_type, ts_event, payload) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                history,
            )

    def _apply(self, e: object, envelope: EventEnvelope, cur: Cursor) -> None:  # type: ignore[type-arg]
        ts, version = envelope.ts_event, envelope.aggregate_version
        match e:
            case OrderSubmitted():
                cur.execute(
                    "INSERT INTO rm_orders (order_id, account_id, instrument_id, side, order_type, "
                    "quantity, limit_price, status, filled_quantity, origin, decision_id, "
                    "ts_submitted, ts_updated, version) VALUES "
                    "(%s, %s, %s, %s, %s, %s, %s, 'NEW', 0, %s, %s, %s, %s, %s) "
                    "ON CONFLICT DO NOTHING",
                    (
                        e.order_id,
                        e.account_id,
                        e.instrument_id,
                        e.side,
                        e.order_type,
                        e.quantity,
                        e.limit_price,
                        e.origin,
                        e.decision_id,
                        ts,
                        ts,
                        version,
                    ),
                )
            case OrderAccepted():
                self._status(cur, e.order_id, "ACCEPTED", ts, version)
            case OrderRejected():
                self._status(cur, e.order_id, "REJECTED", ts, version, reason=e.reason)
            case OrderCancelled():
                self._status(cur, e.order_id, "CANCELLED", ts, version, reason=e.reason)
            case OrderFilled():
                status = "FILLED" if e.remaining_quantity == 0 else "PARTIALLY_FILLED"
                cur.execute(
                    "UPDATE rm_orders SET status = %s, filled_quantity = %s, "
                    "average_fill_price = %s, ts_updated = %s, version = %s "
                    "WHERE order_id = %s AND version < %s",
                    (status, e.filled_quantity, e.average_price, ts, version, e.order_id, version),
                )
                cur.execute(
                    "INSERT INTO rm_fills (order_id, fill_seq, account_id, instrument_id, side, "
                    "quantity, price, fee, ts_event) SELECT order_id, %s, account_id, "
                    "instrument_id, side, %s, %s, %s, %s FROM rm_orders WHERE order_id = %s "
                    "ON CONFLICT DO NOTHING",
                    (e.fill_seq, e.quantity, e.price, e.fee, ts, e.order_id),
                )

    @staticmethod
    def _status(
        cur: Cursor, order_id: object, status: str, ts: int, version: int, reason: str | None = None
    ) -> None:  # type: ignore[type-arg]
        cur.execute(
            "UPDATE rm_orders SET status = %s, reject_reason = COALESCE(%s, reject_reason), "
            "ts_updated = %s, version = %s WHERE order_id = %s AND version < %s",
            (status, reason, ts, version, order_id, version),
        )
