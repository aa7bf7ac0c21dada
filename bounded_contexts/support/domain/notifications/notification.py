"""The notification and its deliveries, as aggregates.

A :class:`Notification` is requested once (version 1) and may be read (version 2). Each
outside channel's deliveries are a :class:`Delivery` aggregate whose version *n* is attempt
*n*: optimistic concurrency then guarantees one record per attempt, whoever writes it.

Ids are derived, never random: the notification's from the firing's key and the recipient
(so a redelivered upstream event, a restarted watcher or a second instance cannot notify the
same user twice — the second append conflicts), a delivery's from the notification and the
channel.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from uuid import UUID

from bounded_contexts.support.domain.notifications.events import (
    Channel,
    NotificationDelivered,
    NotificationDeliveryFailed,
    NotificationRead,
    NotificationRequested,
    Severity,
)
from events.domain import Aggregate, DomainEvent

NOTIFICATION_NAMESPACE = UUID("8f3a6c1e-2b4d-4e5f-9a7b-1c2d3e4f5a6b")


def notification_id_for(key: str, recipient: str) -> UUID:
    return uuid.uuid5(NOTIFICATION_NAMESPACE, f"notification/{key}/{recipient}")


def delivery_id_for(notification_id: UUID, channel: str) -> UUID:
    return uuid.uuid5(NOTIFICATION_NAMESPACE, f"delivery/{notification_id}/{channel}")


class Notification(Aggregate):
    def _init_state(self) -> None:
        self.recipient = ""
        self.read = False

    @classmethod
    def request(
        cls,
        *,
        key: str,
        rule: str,
        recipient: str,
        account_id: str | None,
        severity: Severity,
        title: str,
        body: str,
        details: Mapping[str, str],
        channels: tuple[Channel, ...],
        cause_context: str,
        cause_event_id: UUID | None,
        cause_position: int | None,
    ) -> Notification:
        if not channels:
            raise ValueError("a notification needs at least one channel")
        notification = cls(notification_id_for(key, recipient))
        notification._init_state()
        notification._record(
            NotificationRequested(
                notification.id,
                key,
                rule,
                recipient,
                account_id,
                severity,
                title,
                body,
                dict(details),
                channels,
                cause_context,
                cause_event_id,
                cause_position,
            )
        )
        return notification

    def mark_read(self) -> None:
        if self.read:
            raise ValueError(f"notification {self.id} is already read")
        self._record(NotificationRead(self.id, self.recipient))

    def apply(self, event: DomainEvent) -> None:
        match event:
            case NotificationRequested():
                self.recipient = event.recipient
            case NotificationRead():
                self.read = True
            case _:
                super().apply(event)


class Delivery(Aggregate):
    """The attempts on one channel of one notification; ``version`` = attempts recorded."""

    def _init_state(self) -> None:
        self.notification_id: UUID | None = None
        self.channel: Channel | None = None
        self.delivered = False
        self.given_up = False

    @classmethod
    def resume(cls, notification_id: UUID, channel: Channel, attempts: int) -> Delivery:
        """The aggregate after ``attempts`` recorded attempts, none of them final (the
        delivery component knows that much from the log and needs nothing else)."""
        delivery = cls(delivery_id_for(notification_id, channel))
        delivery._init_state()
        delivery.notification_id, delivery.channel = notification_id, channel
        delivery.version = attempts
        return delivery

    @property
    def finished(self) -> bool:
        return self.delivered or self.given_up

    def delivered_on_attempt(self, status_code: int | None) -> None:
        self._check_open()
        assert self.notification_id is not None and self.channel is not None
        self._record(
            NotificationDelivered(self.notification_id, self.channel, self.version + 1, status_code)
        )

    def failed_on_attempt(
        self, *, status_code: int | None, error: str, next_attempt_at: int | None
    ) -> None:
        self._check_open()
        assert self.notification_id is not None and self.channel is not None
        self._record(
            NotificationDeliveryFailed(
                self.notification_id,
                self.channel,
                self.version + 1,
                status_code,
                error,
                next_attempt_at,
            )
        )

    def _check_open(self) -> None:
        if self.finished:
            raise ValueError(f"delivery {self.id} is finished; nothing more is attempted")

    def apply(self, event: DomainEvent) -> None:
        match event:
            case NotificationDelivered():
                self.notification_id, self.channel = event.notification_id, event.channel
                self.delivered = True
            case NotificationDeliveryFailed():
                self.notification_id, self.channel = event.notification_id, event.channel
                self.given_up = event.next_attempt_at is None
            case _:
                super().apply(event)
