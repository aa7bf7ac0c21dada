"""Orders (current state), their full event history, and their fills.

Every row carries the execution store position of the event that created it (``seq``) and,
for an order, of the last event that changed it (``updated_seq``): lists page by them and
subscriptions resume from them (see schema.sql)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from psycopg import Cursor

from bounded_contexts.execution.domain.events import (
    OrderAccepted,
    OrderActivated,
    OrderAmended,
    OrderAmendRejected,
    OrderCancelled,
    OrderCancelRequested,
    OrderFillCorrected,
    OrderFilled,
    OrderQueued,
    OrderRejected,
    OrderReplaceRequested,
    OrderRequestRefused,
    OrderRouted,
    OrderSubmitted,
    OrderTrailingStopMoved,
    OrderTriggered,
)
from events.envelope import EventEnvelope
from projections.base import Projection

ORDER_EVENTS = (
    OrderSubmitted,
    OrderAccepted,
    OrderRejected,
    OrderFilled,
    OrderCancelled,
    OrderFillCorrected,
    OrderTriggered,
    OrderTrailingStopMoved,
    OrderAmended,
    OrderAmendRejected,
    OrderRouted,
    OrderActivated,
    OrderQueued,
    OrderCancelRequested,
    OrderReplaceRequested,
    OrderRequestRefused,
)


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
                    envelope.position,
                )
            )
            self._apply(e, envelope, cur)
        if history:
            cur.executemany(
                "INSERT INTO rm_order_events (order_id, version, event_type, ts_event, payload, "
                "seq) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                history,
            )

    def _apply(self, e: object, envelope: EventEnvelope, cur: Cursor) -> None:  # type: ignore[type-arg]
        ts, version, seq = envelope.ts_event, envelope.aggregate_version, envelope.position
        match e:
            case OrderSubmitted():
                cur.execute(
                    "INSERT INTO rm_orders (order_id, account_id, instrument_id, side, order_type, "
                    "quantity, limit_price, status, filled_quantity, origin, decision_id, "
                    "algo_id, actor, time_in_force, expire_at, ts_submitted, ts_updated, "
                    "version, seq, updated_seq, stop_price, trail_amount, trail_percent, "
                    "trigger_price, post_only, reduce_only, oco_group, parent_order_id) VALUES "
                    "(%s, %s, %s, %s, %s, %s, %s, %s, 0, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
                    "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (
                        e.order_id,
                        e.account_id,
                        e.instrument_id,
                        e.side,
                        e.order_type,
                        e.quantity,
                        e.limit_price,
                        "NEW" if e.parent_order_id is None else "HELD",  # a child waits, unsent
                        e.origin,
                        e.decision_id,
                        e.algo_id,
                        envelope.actor,
                        e.time_in_force,
                        e.expire_at,
                        ts,
                        ts,
                        version,
                        seq,
                        seq,
                        e.stop_price,
                        e.trail_amount,
                        e.trail_percent,
                        e.stop_price,
                        e.post_only,
                        e.reduce_only,
                        e.oco_group,
                        e.parent_order_id,
                    ),
                )
            case OrderActivated():
                cur.execute(
                    "UPDATE rm_orders SET status = 'NEW', quantity = %s, ts_activated = %s, "
                    "ts_updated = %s, version = %s, updated_seq = %s "
                    "WHERE order_id = %s AND version < %s",
                    (e.quantity, e.ts_activated, ts, version, seq, e.order_id, version),
                )
            case OrderTriggered():
                cur.execute(
                    "UPDATE rm_orders SET status = 'TRIGGERED', trigger_price = %s, "
                    "ts_triggered = %s, ts_updated = %s, version = %s, updated_seq = %s "
                    "WHERE order_id = %s AND version < %s",
                    (e.trigger_price, e.ts_triggered, ts, version, seq, e.order_id, version),
                )
            case OrderTrailingStopMoved():
                cur.execute(
                    "UPDATE rm_orders SET trigger_price = %s, ts_updated = %s, version = %s, "
                    "updated_seq = %s WHERE order_id = %s AND version < %s",
                    (e.trigger_price, ts, version, seq, e.order_id, version),
                )
            case OrderAmended():
                cur.execute(
                    "UPDATE rm_orders SET quantity = %s, limit_price = %s, stop_price = %s, "
                    "trigger_price = CASE WHEN status = 'ACCEPTED' AND stop_price IS NOT NULL "
                    "THEN %s ELSE trigger_price END, pending_request = NULL, ts_updated = %s, "
                    "version = %s, updated_seq = %s WHERE order_id = %s AND version < %s",
                    (
                        e.quantity,
                        e.limit_price,
                        e.stop_price,
                        e.stop_price,
                        ts,
                        version,
                        seq,
                        e.order_id,
                        version,
                    ),
                )
            case OrderAmendRejected() | OrderQueued():  # terms stand: only the version moves
                cur.execute(
                    "UPDATE rm_orders SET ts_updated = %s, version = %s, updated_seq = %s "
                    "WHERE order_id = %s AND version < %s",
                    (ts, version, seq, e.order_id, version),
                )
            case OrderCancelRequested() | OrderReplaceRequested() | OrderRequestRefused():
                pending = {OrderCancelRequested: "CANCEL", OrderReplaceRequested: "REPLACE"}
                cur.execute(
                    "UPDATE rm_orders SET pending_request = %s, ts_updated = %s, version = %s, "
                    "updated_seq = %s WHERE order_id = %s AND version < %s",
                    (pending.get(type(e)), ts, version, seq, e.order_id, version),
                )
            case OrderAccepted():
                self._status(cur, e.order_id, "ACCEPTED", envelope)
            case OrderRejected():
                breaches = json.dumps(e.to_payload()["breaches"])
                self._status(cur, e.order_id, "REJECTED", envelope, e.reason, breaches)
            case OrderCancelled():  # a pending request ends with it
                self._status(cur, e.order_id, "CANCELLED", envelope, e.reason, pending_ends=True)
            case OrderFilled():
                status = "FILLED" if e.remaining_quantity == 0 else "PARTIALLY_FILLED"
                cur.execute(
                    "UPDATE rm_orders SET status = %s, filled_quantity = %s, "
                    "average_fill_price = %s, ts_updated = %s, version = %s, updated_seq = %s "
                    "WHERE order_id = %s AND version < %s",
                    (
                        status,
                        e.filled_quantity,
                        e.average_price,
                        ts,
                        version,
                        seq,
                        e.order_id,
                        version,
                    ),
                )
                cur.execute(
                    "INSERT INTO rm_fills (order_id, fill_seq, account_id, instrument_id, side, "
                    "quantity, price, fee, ts_event, seq) SELECT order_id, %s, account_id, "
                    "instrument_id, side, %s, %s, %s, %s, %s FROM rm_orders WHERE order_id = %s "
                    "ON CONFLICT DO NOTHING",
                    (e.fill_seq, e.quantity, e.price, e.fee, ts, seq, e.order_id),
                )
            case OrderFillCorrected():
                # The fill shows its corrected terms; the order's history keeps both events.
                cur.execute(
                    "UPDATE rm_orders SET average_fill_price = %s, ts_updated = %s, "
                    "version = %s, updated_seq = %s WHERE order_id = %s AND version < %s",
                    (e.average_price, ts, version, seq, e.order_id, version),
                )
                cur.execute(
                    "UPDATE rm_fills SET price = %s, fee = %s, corrected_seq = %s "
                    "WHERE order_id = %s AND fill_seq = %s",
                    (e.price, e.fee, seq, e.order_id, e.fill_seq),
                )

    @staticmethod
    def _status(
        cur: Cursor,  # type: ignore[type-arg]
        order_id: object,
        status: str,
        envelope: EventEnvelope,
        reason: str | None = None,
        breaches: str | None = None,
        *,
        pending_ends: bool = False,
    ) -> None:
        version = envelope.aggregate_version
        cur.execute(
            "UPDATE rm_orders SET status = %s, reject_reason = COALESCE(%s, reject_reason), "
            "breaches = COALESCE(%s::jsonb, breaches), ts_updated = %s, version = %s, "
            "updated_seq = %s, pending_request = CASE WHEN %s THEN NULL ELSE pending_request "
            "END WHERE order_id = %s AND version < %s",
            (
                status,
                reason,
                breaches,
                envelope.ts_event,
                version,
                envelope.position,
                pending_ends,
                order_id,
                version,
            ),
        )
