"""The RTS 6 controls in force — each scope's kill switch and pre-trade limits — and the log
of every change to them, for the risk desk's screens and the regulator's questions ("who
stopped what, when, why")."""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import Cursor

from bounded_contexts.execution.domain.controls.events import (
    KillSwitchEngaged,
    KillSwitchReleased,
    RiskLimitsSet,
)
from events.envelope import EventEnvelope
from projections.base import Projection
from projections.text import storable, storable_json


class ControlsProjection(Projection):
    name = "projection.controls"
    upstreams = ("execution",)
    tables = ("rm_kill_switches", "rm_risk_limits", "rm_control_changes")

    def fold(self, events: Sequence[EventEnvelope], cur: Cursor) -> None:  # type: ignore[type-arg]
        for envelope in events:
            e = envelope.event
            if not isinstance(e, KillSwitchEngaged | KillSwitchReleased | RiskLimitsSet):
                continue
            reason, actor = storable(e.reason), storable(envelope.actor)
            ts, seq = envelope.ts_event, envelope.position
            if isinstance(e, RiskLimitsSet):
                limits = e.limits
                cur.execute(
                    "INSERT INTO rm_risk_limits (scope, max_order_quantity, max_order_notional, "
                    "max_position_notional, price_collar_pct, max_messages_per_second, "
                    "max_executions_per_minute, rolling_collar_pct, rolling_collar_window_s, "
                    "reason, actor, ts_updated, updated_seq) VALUES "
                    "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (scope) DO UPDATE SET "
                    "max_order_quantity = EXCLUDED.max_order_quantity, "
                    "max_order_notional = EXCLUDED.max_order_notional, "
                    "max_position_notional = EXCLUDED.max_position_notional, "
                    "price_collar_pct = EXCLUDED.price_collar_pct, "
                    "max_messages_per_second = EXCLUDED.max_messages_per_second, "
                    "max_executions_per_minute = EXCLUDED.max_executions_per_minute, "
                    "rolling_collar_pct = EXCLUDED.rolling_collar_pct, "
                    "rolling_collar_window_s = EXCLUDED.rolling_collar_window_s, "
                    "reason = EXCLUDED.reason, actor = EXCLUDED.actor, "
                    "ts_updated = EXCLUDED.ts_updated, updated_seq = EXCLUDED.updated_seq "
                    "WHERE rm_risk_limits.updated_seq < EXCLUDED.updated_seq",
                    (
                        e.scope,
                        limits.max_order_quantity,
                        limits.max_order_notional,
                        limits.max_position_notional,
                        limits.price_collar_pct,
                        limits.max_messages_per_second,
                        limits.max_executions_per_minute,
                        limits.rolling_collar_pct,
                        limits.rolling_collar_window_s,
                        reason,
                        actor,
                        ts,
                        seq,
                    ),
                )
            else:
                cur.execute(
                    "INSERT INTO rm_kill_switches (scope, engaged, reason, actor, ts_updated, "
                    "updated_seq) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (scope) DO UPDATE "
                    "SET engaged = EXCLUDED.engaged, reason = EXCLUDED.reason, "
                    "actor = EXCLUDED.actor, ts_updated = EXCLUDED.ts_updated, "
                    "updated_seq = EXCLUDED.updated_seq "
                    "WHERE rm_kill_switches.updated_seq < EXCLUDED.updated_seq",
                    (e.scope, isinstance(e, KillSwitchEngaged), reason, actor, ts, seq),
                )
            cur.execute(
                "INSERT INTO rm_control_changes (seq, event_type, scope, reason, actor, "
                "ts_event, payload) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (
                    seq,
                    envelope.event_type,
                    e.scope,
                    reason,
                    actor,
                    ts,
                    storable_json(envelope.payload),
                ),
            )
