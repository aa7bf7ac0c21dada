"""Events of the notification service (support context, stream ``notifications``).

A notification is requested once per rule firing and recipient (``NotificationRequested``,
version 1 of the notification's aggregate), may be read in the app (``NotificationRead``,
version 2), and is delivered per outside channel by a delivery aggregate of its own whose
version *n* is attempt *n* (``NotificationDelivered`` / ``NotificationDeliveryFailed``): one
record per attempt, and two writers can never both record the same attempt. Preferences are
facts too (``NotificationPreferenceSet``), so who asked for what is in the log.

Secrets never enter the log: a webhook preference names its signing secret by *reference*
(``env:NAME``), resolved by the delivery component when it signs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from events.domain import DomainEvent

Channel = Literal["in_app", "webhook", "email"]
Severity = Literal["INFO", "WARNING", "CRITICAL"]

CHANNELS: tuple[Channel, ...] = ("in_app", "webhook", "email")
OUTSIDE_CHANNELS: tuple[Channel, ...] = ("webhook", "email")
"""Channels the delivery component sends to; ``in_app`` is the read model itself."""

RULES = (
    "fill",
    "order_rejected",
    "drawdown",
    "kill_switch",
    "reconciliation_break",
    "dead_letter",
    "component_failing",
)
"""The rules that request notifications. ``rule`` is a plain string in the events (not an
enum in the schema) so that a new rule is not a breaking schema change."""

EVERY_RULE = "*"
"""A preference for every rule; a preference for one rule overrides it."""


@dataclass(frozen=True)
class _NotificationEvent(DomainEvent):
    CONTEXT = "support"
    STREAM = "notifications"


@dataclass(frozen=True)
class NotificationRequested(_NotificationEvent):
    """A rule fired and ``recipient`` is to be told, on ``channels`` (decided from the
    recipient's preferences when it was requested). ``key`` names the firing (``fill/<event
    id>``, ``dead-letter/<id>``, …): the notification's id is derived from it and the
    recipient, so the same firing never notifies the same user twice. The cause is the
    upstream event (``cause_context``, ``cause_event_id``, ``cause_position``) or, for
    operational rules, the row that triggered it (``cause_position`` = its id)."""

    notification_id: UUID
    key: str
    rule: str
    recipient: str
    account_id: str | None
    severity: Severity
    title: str
    body: str
    details: dict[str, str]
    channels: tuple[Channel, ...]
    cause_context: str
    cause_event_id: UUID | None
    cause_position: int | None


@dataclass(frozen=True)
class NotificationRead(_NotificationEvent):
    """The recipient marked the notification read in the app."""

    notification_id: UUID
    recipient: str


@dataclass(frozen=True)
class NotificationDelivered(_NotificationEvent):
    """Attempt ``attempt`` on ``channel`` succeeded (``status_code``: the HTTP status or the
    SMTP reply code, when the channel has one). Nothing more is sent on that channel."""

    notification_id: UUID
    channel: Channel
    attempt: int
    status_code: int | None


@dataclass(frozen=True)
class NotificationDeliveryFailed(_NotificationEvent):
    """Attempt ``attempt`` on ``channel`` failed with ``error`` (and ``status_code`` when the
    receiver answered). ``next_attempt_at`` (UTC ns) is when it is tried again; null: never
    (the failure is permanent, or the attempts are used up)."""

    notification_id: UUID
    channel: Channel
    attempt: int
    status_code: int | None
    error: str
    next_attempt_at: int | None


@dataclass(frozen=True)
class NotificationPreferenceSet(_NotificationEvent):
    """``user_id`` wants (``enabled``) or does not want notifications of ``rule`` (or ``*``:
    every rule without a preference of its own) on ``channel``. A webhook names its URL and
    the *reference* of its signing secret, an e-mail preference its address."""

    user_id: str
    rule: str
    channel: Channel
    enabled: bool
    webhook_url: str | None
    secret_ref: str | None
    email: str | None
