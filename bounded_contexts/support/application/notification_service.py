"""Commands of the notification service: preferences, and marking notifications read.

Use cases return plain data (positions, booleans, preferences), never aggregates. Every
change is an event in the support store; nothing else changes state.
"""

from __future__ import annotations

import threading
import time
from uuid import UUID

from bounded_contexts.support.application.notification_log import PreferenceReader
from bounded_contexts.support.application.notification_ports import Clock
from bounded_contexts.support.domain.notifications.errors import NotificationNotFound
from bounded_contexts.support.domain.notifications.events import (
    Channel,
    NotificationRequested,
)
from bounded_contexts.support.domain.notifications.notification import Notification
from bounded_contexts.support.domain.notifications.preferences import Preference
from events.effects import EventsToAppend
from events.envelope import Cause
from events.store import ConcurrencyConflict, EventStore

RETRIES_ON_CONFLICT = 3


class NotificationService:
    def __init__(self, store: EventStore, *, clock_ns: Clock = time.time_ns) -> None:
        self.store, self.clock_ns = store, clock_ns
        self._preferences = PreferenceReader(store)
        self._lock = threading.Lock()  # one command at a time per process: one reader

    # -- preferences ------------------------------------------------------------------
    def set_preference(
        self,
        user_id: str,
        rule: str,
        channel: Channel,
        *,
        enabled: bool,
        webhook_url: str | None = None,
        secret_ref: str | None = None,
        email: str | None = None,
        actor: str,
    ) -> int | None:
        """Record ``user_id``'s preference for ``rule`` (or ``*``) on ``channel``; returns its
        store position, or None when that preference is already in force (nothing recorded).
        Raises :class:`InvalidPreference` saying what is wrong. ``actor`` is the verified
        principal (the user, or an administrator acting for them)."""
        preference = Preference(rule, channel, enabled, webhook_url, secret_ref, email)
        with self._lock:
            for attempt in range(RETRIES_ON_CONFLICT):
                user = self._preferences.refresh().of(user_id).copy()
                if not user.set(preference):
                    return None
                uow = EventsToAppend()
                cause = Cause.origin(
                    ts_event=self.clock_ns(),
                    actor=actor,
                    key=f"preferences/{user_id}/{user.version}",
                )
                uow.save(user, cause)
                try:
                    return self.store.append(uow.items)[0]
                except ConcurrencyConflict:
                    if attempt == RETRIES_ON_CONFLICT - 1:
                        raise
        raise AssertionError("unreachable")  # pragma: no cover

    def preferences(self, user_id: str) -> list[Preference]:
        """The user's explicit preferences (defaults apply to everything else)."""
        with self._lock:
            user = self._preferences.refresh().of(user_id)
        return sorted(user.settings.values(), key=lambda p: (p.rule, p.channel))

    def channels(self, user_id: str, rule: str) -> tuple[Channel, ...]:
        """The channels a notification of ``rule`` would reach ``user_id`` on now."""
        with self._lock:
            return self._preferences.refresh().channels(user_id, rule)

    # -- reading ----------------------------------------------------------------------
    def mark_read(self, user_id: str, notification_id: UUID, *, actor: str) -> bool:
        """Mark the user's notification read; False if it already was. A notification that
        does not exist or is someone else's raises :class:`NotificationNotFound` alike."""
        position = self.store.position_of(notification_id, 1)
        requested = None
        if position is not None:
            raws = self.store.read_raw(position - 1, limit=1, upto=position)
            requested = self.store.decode(raws[0]) if raws else None
        if (
            requested is None
            or not isinstance(requested.event, NotificationRequested)
            or requested.event.recipient != user_id
        ):
            raise NotificationNotFound(f"no notification {notification_id} for {user_id}")
        if self.store.position_of(notification_id, 2) is not None:
            return False
        notification = Notification.replay(notification_id, [requested.event])
        notification.mark_read()
        uow = EventsToAppend()
        uow.save(
            notification,
            Cause(
                ts_event=self.clock_ns(),
                actor=actor,
                correlation_id=requested.correlation_id,
                causation_id=requested.event_id,
            ),
        )
        try:
            self.store.append(uow.items)
        except ConcurrencyConflict:
            return False  # read at the same moment elsewhere: read either way
        return True
