"""Ports of the notification service (kept apart from ``ports.py``, whose ``Authoriser`` is
another piece of work): who is told, where secrets come from, and how a channel sends.

Adapters implement these; unit tests use small hand-written fakes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from bounded_contexts.support.domain.notifications.events import Channel

Clock = Callable[[], int]
"""UTC nanoseconds now. Injected: the retry schedule and every delivery record run on it, so
tests move time instead of sleeping."""


class Recipients(Protocol):
    """Who hears about what; answered by the authorisation model (users with view access on
    an account; the operators for dead letters and failing components). Order does not
    matter (the service sorts), duplicates are dropped."""

    def for_account(self, account_id: str) -> list[str]: ...

    def operators(self) -> list[str]: ...


class RecipientsUnavailable(ConnectionError):
    """The recipients could not be asked (the authorisation model is unreachable or raised).

    A ``ConnectionError`` on purpose: the consumer then treats it as an infrastructure
    failure and retries with backoff instead of dead-lettering the fill that was being
    notified — an authoriser outage must not lose notifications."""


class Secrets(Protocol):
    """Resolves a secret *reference* (``env:NAME``) to the secret; None when it cannot."""

    def resolve(self, reference: str) -> bytes | None: ...


@dataclass(frozen=True)
class OutgoingNotification:
    """What a channel sends: the notification as requested, plus the attempt and when it
    is sent (``ts_sent``, UTC ns, from the delivery component's clock: the webhook timestamp
    and the e-mail date, so that tests fix them)."""

    notification_id: UUID
    rule: str
    recipient: str
    account_id: str | None
    severity: str
    title: str
    body: str
    details: dict[str, str]
    ts_event: int
    attempt: int
    ts_sent: int


@dataclass(frozen=True)
class ChannelTarget:
    """Where to send on a channel, from the recipient's preference in force."""

    webhook_url: str | None = None
    secret_ref: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class SendResult:
    """One attempt's outcome. ``permanent``: trying again cannot help (a 4xx, a refused
    address, a secret that does not resolve), so the delivery gives up at once."""

    ok: bool
    status_code: int | None = None
    error: str = ""
    permanent: bool = False


class ChannelSender(Protocol):
    """Sends one attempt and reports; must return within its own timeout and never raise
    for the receiver's failures (an exception is recorded as a transient failure anyway)."""

    channel: Channel

    def send(self, message: OutgoingNotification, target: ChannelTarget) -> SendResult: ...
