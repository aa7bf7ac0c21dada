"""Notifications in the app (the in-app channel), their deliveries on the outside channels,
and each user's preferences — from the support context's notification events.

- ``rm_notifications``: one row per notification requested with the ``in_app`` channel, for
  its recipient, newest first by ``seq`` (the support position of its request), with
  read/unread. The gateway serves it as the ``alerts`` subscription (resume after a ``seq``;
  the projection's commit sends ``NOTIFY quantvista_projection_progress``) and a query.
- ``rm_notification_deliveries``: per notification and outside channel, where its delivery
  stands (``PENDING``, ``RETRYING``, ``DELIVERED``, ``FAILED``), the attempts, the last status
  code or error, and the next attempt time.
- ``rm_notification_preferences``: each user's explicit preferences (defaults: in-app on,
  the rest off), with targets; secrets appear only as references.

Stateless and rebuildable like every projection: rows are written from the events alone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from psycopg import Cursor

from bounded_contexts.support.domain.notifications.events import (
    OUTSIDE_CHANNELS,
    NotificationDelivered,
    NotificationDeliveryFailed,
    NotificationPreferenceSet,
    NotificationRead,
    NotificationRequested,
)
from events.envelope import EventEnvelope
from projections.base import Projection

TABLES = ("rm_notifications", "rm_notification_deliveries", "rm_notification_preferences")


class NotificationsProjection(Projection):
    name = "projection.notifications"
    upstreams = ("support",)
    tables = TABLES

    def fold(self, events: Sequence[EventEnvelope], cur: Cursor) -> None:  # type: ignore[type-arg]
        for envelope in events:
            e, seq, ts = envelope.event, envelope.position, envelope.ts_event
            match e:
                case NotificationRequested():
                    self._requested(e, seq, ts, cur)
                case NotificationRead():
                    cur.execute(
                        "UPDATE rm_notifications SET read = true, read_at = %s, updated_seq = %s "
                        "WHERE notification_id = %s",
                        (ts, seq, e.notification_id),
                    )
                case NotificationDelivered():
                    self._attempt(e, "DELIVERED", seq, ts, cur)
                case NotificationDeliveryFailed():
                    status = "FAILED" if e.next_attempt_at is None else "RETRYING"
                    self._attempt(e, status, seq, ts, cur)
                case NotificationPreferenceSet():
                    cur.execute(
                        "INSERT INTO rm_notification_preferences (user_id, rule, channel, "
                        "enabled, webhook_url, secret_ref, email, ts_updated, updated_seq) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
                        "ON CONFLICT (user_id, rule, channel) DO UPDATE SET "
                        "enabled = EXCLUDED.enabled, webhook_url = EXCLUDED.webhook_url, "
                        "secret_ref = EXCLUDED.secret_ref, email = EXCLUDED.email, "
                        "ts_updated = EXCLUDED.ts_updated, updated_seq = EXCLUDED.updated_seq",
                        (
                            e.user_id,
                            e.rule,
                            e.channel,
                            e.enabled,
                            e.webhook_url,
                            e.secret_ref,
                            e.email,
                            ts,
                            seq,
                        ),
                    )

    def _requested(
        self,
        e: NotificationRequested,
        seq: int,
        ts: int,
        cur: Cursor,  # type: ignore[type-arg]
    ) -> None:
        if "in_app" in e.channels:
            cur.execute(
                "INSERT INTO rm_notifications (notification_id, recipient, account_id, rule, "
                "severity, title, body, details, ts_event, seq, updated_seq) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (
                    e.notification_id,
                    e.recipient,
                    e.account_id,
                    e.rule,
                    e.severity,
                    e.title,
                    e.body,
                    json.dumps(e.details, sort_keys=True),
                    ts,
                    seq,
                    seq,
                ),
            )
        outside = [c for c in e.channels if c in OUTSIDE_CHANNELS]
        if outside:
            cur.executemany(
                "INSERT INTO rm_notification_deliveries (notification_id, channel, recipient, "
                "status, attempts, ts_updated, seq, updated_seq) "
                "VALUES (%s, %s, %s, 'PENDING', 0, %s, %s, %s) ON CONFLICT DO NOTHING",
                [(e.notification_id, c, e.recipient, ts, seq, seq) for c in outside],
            )

    def _attempt(
        self,
        e: NotificationDelivered | NotificationDeliveryFailed,
        status: str,
        seq: int,
        ts: int,
        cur: Cursor,  # type: ignore[type-arg]
    ) -> None:
        error = e.error if isinstance(e, NotificationDeliveryFailed) else None
        retry_at = e.next_attempt_at if isinstance(e, NotificationDeliveryFailed) else None
        cur.execute(
            "UPDATE rm_notification_deliveries SET status = %s, attempts = %s, "
            "status_code = %s, last_error = %s, next_attempt_at = %s, ts_updated = %s, "
            "updated_seq = %s WHERE notification_id = %s AND channel = %s",
            (
                status,
                e.attempt,
                e.status_code,
                error,
                retry_at,
                ts,
                seq,
                e.notification_id,
                e.channel,
            ),
        )
