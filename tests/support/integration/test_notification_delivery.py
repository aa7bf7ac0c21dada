"""Delivery on the outside channels against real receivers: a local HTTP server for the
webhook (signed bodies; retries with backoff on the injected clock, each attempt an event,
while fills keep flowing), and a local SMTP server (aiosmtpd) for e-mail."""

from __future__ import annotations

import email
import json
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from aiosmtpd.controller import Controller

from bounded_contexts.support.adapters.channels.email import SmtpConfig
from bounded_contexts.support.adapters.channels.signing import verify
from bounded_contexts.support.adapters.channels.webhook import WebhookConfig, WebhookSender
from bounded_contexts.support.application.delivery import DeliveryConfig, DeliveryWorker
from bounded_contexts.support.application.notification_config import NotificationConfig
from bounded_contexts.support.domain.notifications import (
    NotificationDelivered,
    NotificationDeliveryFailed,
    RetrySchedule,
)
from bounded_contexts.support.notification_bootstrap import Notifications, build_notifications
from events.consumer import TrackedConsumer
from projections.notifications import NotificationsProjection
from projections.registry import create_read_model_tables
from tests.support.notification_helpers import (
    T0,
    Facts,
    FakeClock,
    FakeRecipients,
    FakeSecrets,
    Receiver,
    events_of,
    requested,
    wait_for,
)

SECRET = b"alice-webhook-secret"
NS = 1_000_000_000


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()


def notifications(platform: Any, clock: FakeClock, **config: Any) -> Notifications:
    return build_notifications(
        platform.stores,
        platform.read_store,
        FakeRecipients({"ACC-1": ["alice", "bob"]}),
        config=NotificationConfig(**config),
        secrets=FakeSecrets({"env:ALICE_HOOK": SECRET}),
        clock_ns=clock,
    )


def attempts(platform: Any) -> list[Any]:
    support = platform.stores["support"]
    recorded = events_of(support, NotificationDelivered) + events_of(
        support, NotificationDeliveryFailed
    )
    return sorted(recorded, key=lambda e: (str(e.notification_id), e.channel, e.attempt))


@pytest.mark.integration
def test_a_webhook_gets_a_correctly_signed_body_once_even_after_a_restart(
    database_url, make_platform, receiver: Receiver
) -> None:
    platform = make_platform(database_url, with_bus=False)
    clock = FakeClock()
    built = notifications(platform, clock)
    built.service.set_preference(
        "alice", "fill", "webhook", enabled=True, webhook_url=receiver.url,
        secret_ref="env:ALICE_HOOK", actor="person:alice",
    )  # fmt: skip
    facts = Facts(platform.stores)
    facts.account()
    facts.fill(price="200")
    TrackedConsumer(built.policy, built.effects, platform.stores, platform.dead_letters).drain()
    built.delivery.start()
    try:
        wait_for(lambda: events_of(platform.stores["support"], NotificationDelivered))
    finally:
        built.delivery.stop()
    assert built.delivery.failures == 0, built.delivery.last_error
    [(headers, body)] = receiver.requests
    assert verify(body, headers, SECRET, now_s=clock() // NS)
    assert headers["X-QuantVista-Signature"].startswith("sha256=")
    assert headers["X-QuantVista-Timestamp"] == str(T0 // NS)
    notices = {e.event.recipient: e.event for e in requested(platform.stores["support"])}
    notice = notices["alice"]
    assert notices["bob"].channels == ("in_app",)
    document = json.loads(body)
    assert document["id"] == str(notice.notification_id) == headers["X-QuantVista-Notification"]
    assert (document["rule"], document["title"], document["attempt"]) == (
        "fill", "Bought 10 SAP at 200", 1,
    )  # fmt: skip
    assert [(a.attempt, a.status_code) for a in attempts(platform)] == [(1, 200)]

    # Restarted: the log says it was delivered, so nothing is sent again.
    support = platform.stores["support"]
    again = DeliveryWorker(support, {"webhook": WebhookSender(FakeSecrets({}))}, clock_ns=clock)
    again.start()
    try:
        wait_for(lambda: again.status()["position"] == support.head())
        assert again.status()["pending"] == 0
    finally:
        again.stop()
    assert len(receiver.requests) == 1


def inbox_size(url: str, user: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM rm_notifications WHERE recipient = %s", (user,)
        ).fetchone()
    return int(row[0]) if row else 0


@pytest.mark.integration
def test_a_failing_webhook_is_retried_with_backoff_while_fills_keep_flowing(
    database_url, make_platform, receiver: Receiver
) -> None:
    platform = make_platform(database_url, with_bus=False)
    with platform.read_store.transaction(commit=True) as cur:
        create_read_model_tables(cur)
    receiver.script = ["500", "500", "hang", "ok"]
    clock = FakeClock()
    schedule = RetrySchedule(max_attempts=5, initial_s=1, multiplier=2, max_delay_s=60, jitter=0)
    built = notifications(
        platform,
        clock,
        delivery=DeliveryConfig(retry=schedule),
        webhook=WebhookConfig(timeout_s=0.3),
    )
    built.service.set_preference(
        "alice", "order_rejected", "webhook", enabled=True, webhook_url=receiver.url,
        secret_ref="env:ALICE_HOOK", actor="person:alice",
    )  # fmt: skip
    platform.consumers = [
        TrackedConsumer(built.policy, built.effects, platform.stores, platform.dead_letters),
        TrackedConsumer(
            NotificationsProjection(), platform.read_effects, platform.stores, platform.dead_letters
        ),
    ]
    for component in [*platform.consumers, built.delivery]:
        component.start()
    facts, order = Facts(platform.stores), uuid.uuid4()
    url, fills = platform.database_url, 0

    def fills_flow(count: int) -> None:
        nonlocal fills
        for _ in range(count):
            facts.fill()
        fills += count
        wait_for(lambda: inbox_size(url, "alice") == fills + 1 and platform.lag() == 0)
        assert built.delivery.status()["pending"] == 1  # the webhook is still failing

    try:
        facts.account()
        facts.order(order)
        facts.rejection(order)
        wait_for(lambda: len(attempts(platform)) == 1, what="attempt 1")
        fills_flow(3)
        clock.advance(1)
        wait_for(lambda: len(attempts(platform)) == 2, what="attempt 2")
        fills_flow(3)
        clock.advance(2)
        wait_for(lambda: len(attempts(platform)) == 3, what="attempt 3 (timed out)")
        fills_flow(3)
        clock.advance(4)
        wait_for(lambda: len(attempts(platform)) == 4, what="attempt 4")
    finally:
        built.delivery.stop()
    for component in [*platform.consumers, built.delivery]:
        assert component.failures == 0, f"{component.name}: {component.last_error}"
    recorded = attempts(platform)
    assert [(type(a).__name__, a.attempt, a.status_code) for a in recorded] == [
        ("NotificationDeliveryFailed", 1, 500),
        ("NotificationDeliveryFailed", 2, 500),
        ("NotificationDeliveryFailed", 3, None),
        ("NotificationDelivered", 4, 200),
    ]
    assert [a.next_attempt_at for a in recorded[:3]] == [T0 + 1 * NS, T0 + 3 * NS, T0 + 7 * NS]
    assert "HTTP 500" in recorded[0].error and "timed out after 0.3 s" in recorded[2].error
    stamps = [int(h["X-QuantVista-Timestamp"]) - T0 // NS for h, _ in receiver.requests]
    assert stamps == [0, 1, 3, 7]  # each attempt when its backoff came due, never earlier
    for headers, body in receiver.requests:
        assert verify(body, headers, SECRET, now_s=int(headers["X-QuantVista-Timestamp"]))

    def delivery_row() -> tuple[object, ...] | None:
        with psycopg.connect(url) as conn:
            return conn.execute(
                "SELECT status, attempts, status_code FROM rm_notification_deliveries"
            ).fetchone()

    # the projection applies the last attempt on its own thread: wait for it, then compare
    wait_for(lambda: delivery_row() == ("DELIVERED", 4, 200), what="the read model")


class _Controller(Controller):
    """aiosmtpd's threaded controller on a port the kernel picks."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if address.endswith("@invalid.example"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[_Controller, _Mailbox]]:
    mailbox = _Mailbox()
    controller = _Controller(mailbox, hostname="127.0.0.1", port=0)
    controller.start()
    yield controller, mailbox
    controller.stop()


@pytest.mark.integration
def test_an_e_mail_reaches_the_smtp_server_and_a_refused_address_is_not_retried(
    database_url, make_platform, smtp
) -> None:
    controller, mailbox = smtp
    platform = make_platform(database_url, with_bus=False)
    clock = FakeClock()
    built = notifications(
        platform,
        clock,
        smtp=SmtpConfig(host="127.0.0.1", port=controller.port, sender="alerts@qv.example"),
    )
    for user, address in (("alice", "alice@example.com"), ("bob", "bob@invalid.example")):
        built.service.set_preference(
            user, "fill", "email", enabled=True, email=address, actor=f"person:{user}"
        )
    facts = Facts(platform.stores)
    facts.account()
    facts.fill(price="200")
    TrackedConsumer(built.policy, built.effects, platform.stores, platform.dead_letters).drain()
    built.delivery.start()
    try:
        wait_for(lambda: len(attempts(platform)) == 2)
    finally:
        built.delivery.stop()
    assert built.delivery.failures == 0, built.delivery.last_error
    [(sender, to, content)] = mailbox.messages
    message = email.message_from_bytes(content)
    owners = {e.event.recipient: e.event for e in requested(platform.stores["support"])}
    assert sender == "alerts@qv.example" and to == ["alice@example.com"]
    assert message["To"] == "alice@example.com"
    assert message["Subject"] == "[QuantVista] INFO: Bought 10 SAP at 200"
    assert message["Message-ID"] == f"<{owners['alice'].notification_id}@qv.example>"
    assert "Fill booked on ACC-1" in message.get_payload()
    outcome = {a.notification_id: a for a in attempts(platform)}
    delivered = outcome[owners["alice"].notification_id]
    assert isinstance(delivered, NotificationDelivered) and delivered.status_code == 250
    refused = outcome[owners["bob"].notification_id]
    assert isinstance(refused, NotificationDeliveryFailed)
    assert refused.status_code == 550 and refused.next_attempt_at is None  # permanent
    assert "no such user" in refused.error


@pytest.mark.integration
def test_a_restarted_delivery_resumes_the_retry_schedule_from_the_log(
    database_url, make_platform, receiver: Receiver
) -> None:
    platform = make_platform(database_url, with_bus=False)
    receiver.script = ["503", "ok"]
    clock = FakeClock()
    schedule = RetrySchedule(initial_s=30, jitter=0)
    built = notifications(platform, clock, delivery=DeliveryConfig(retry=schedule))
    built.service.set_preference(
        "alice", "*", "webhook", enabled=True, webhook_url=receiver.url,
        secret_ref="env:ALICE_HOOK", actor="person:alice",
    )  # fmt: skip
    facts = Facts(platform.stores)
    facts.account()
    facts.fill()
    TrackedConsumer(built.policy, built.effects, platform.stores, platform.dead_letters).drain()
    built.delivery.start()
    try:
        wait_for(lambda: len(attempts(platform)) == 1)
    finally:
        built.delivery.stop()
    support = platform.stores["support"]
    restarted = DeliveryWorker(
        support,
        {"webhook": WebhookSender(FakeSecrets({"env:ALICE_HOOK": SECRET}))},
        config=DeliveryConfig(retry=schedule),
        clock_ns=clock,
    )
    restarted.start()
    try:
        wait_for(lambda: restarted.status()["next_due_ns"] == T0 + 30 * NS)  # read back
        clock.advance(30)
        wait_for(lambda: len(attempts(platform)) == 2)
    finally:
        restarted.stop()
    assert built.delivery.failures == restarted.failures == 0, restarted.last_error
    assert [(type(a).__name__, a.attempt) for a in attempts(platform)] == [
        ("NotificationDeliveryFailed", 1),
        ("NotificationDelivered", 2),
    ]
    assert [json.loads(body)["attempt"] for _, body in receiver.requests] == [1, 2]
