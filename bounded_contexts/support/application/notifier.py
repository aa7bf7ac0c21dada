"""Turning alerts into notifications: who is told (the recipients port) and on which channels
(their preferences), one ``NotificationRequested`` per recipient with a channel enabled.

Shared by the policy (fills, rejections, drawdown) and the operations watcher (dead letters,
failing components), so both decide recipients and channels alike.
"""

from __future__ import annotations

from collections.abc import Callable

from bounded_contexts.support.application.notification_log import PreferenceReader
from bounded_contexts.support.application.notification_ports import (
    Recipients,
    RecipientsUnavailable,
)
from bounded_contexts.support.domain.notifications.notification import Notification
from bounded_contexts.support.domain.notifications.rules import Alert
from events.effects import EventsToAppend
from events.envelope import Cause


class Notifier:
    def __init__(self, recipients: Recipients, preferences: PreferenceReader) -> None:
        self.recipients, self.preferences = recipients, preferences
        self._asked: dict[str | None, list[str]] = {}

    def forget_recipients(self) -> None:
        """Start a new batch: recipients are asked once per account per batch (a chunk of
        fills on one account asks the authorisation model once, not per fill)."""
        self._asked = {}

    def recipients_of(self, alert: Alert) -> list[str]:
        """Sorted and distinct (the order of the appended events must not depend on the
        port's); a failing port becomes :class:`RecipientsUnavailable` (retried, never
        dead-lettered)."""
        known = self._asked.get(alert.account_id)
        if known is None:
            known = self._asked[alert.account_id] = self._ask(alert)
        return known

    def _ask(self, alert: Alert) -> list[str]:
        ask: Callable[[], list[str]] = (
            self.recipients.operators
            if alert.account_id is None
            else (lambda: self.recipients.for_account(alert.account_id or ""))
        )
        try:
            return sorted(set(ask()))
        except Exception as exc:
            raise RecipientsUnavailable(
                f"cannot ask who to notify about {alert.key}: {type(exc).__name__}: {exc}"
            ) from exc

    def notify(
        self,
        alert: Alert,
        uow: EventsToAppend,
        cause: Cause,
        *,
        cause_context: str,
        cause_position: int | None,
    ) -> int:
        """Save one notification per recipient with an enabled channel; returns how many."""
        book = self.preferences.book
        saved = 0
        for recipient in self.recipients_of(alert):
            channels = book.channels(recipient, alert.rule)
            if not channels:
                continue  # every channel disabled: nothing is recorded
            uow.save(
                Notification.request(
                    key=alert.key,
                    rule=alert.rule,
                    recipient=recipient,
                    account_id=alert.account_id,
                    severity=alert.severity,
                    title=alert.title,
                    body=alert.body,
                    details=alert.details,
                    channels=channels,
                    cause_context=cause_context,
                    cause_event_id=cause.causation_id,
                    cause_position=cause_position,
                ),
                cause,
            )
            saved += 1
        return saved
