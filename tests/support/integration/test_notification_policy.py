"""The policy turns execution's facts into notifications exactly once, whatever the broker
redelivers, and marks equity at bars only up to what execution had seen (deterministic)."""

from __future__ import annotations

import random
import uuid
from decimal import Decimal

import pytest

from bounded_contexts.support.application.notification_ports import RecipientsUnavailable
from bounded_contexts.support.domain.notifications import NotificationRequested
from bounded_contexts.support.notification_bootstrap import build_notifications
from events.consumer import TrackedConsumer
from events.relay import send
from tests.support.notification_helpers import (
    Facts,
    FakeClock,
    FakeRecipients,
    requested,
    wait_for,
)


def consumer(platform, recipients, *, bus=True, chunk_size=100):  # type: ignore[no-untyped-def]
    built = build_notifications(
        platform.stores, platform.read_store, recipients, clock_ns=FakeClock()
    )
    return TrackedConsumer(
        built.policy,
        built.effects,
        platform.stores,
        platform.dead_letters,
        platform.bus if bus else None,
        chunk_size=chunk_size,
        idle_catch_up_s=3600,  # only deliveries (and gap healing) apply events here
    )


def told(platform) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return sorted(
        (e.event.rule, e.event.recipient)
        for e in requested(platform.stores["support"])
        if isinstance(e.event, NotificationRequested)
    )


def publish_again(platform, copies: int) -> None:  # type: ignore[no-untyped-def]
    """Every execution event, ``copies`` times, shuffled: what a failing-over broker does."""
    raws = platform.stores["execution"].read_raw(0, limit=10_000)
    messages = [raw for raw in raws for _ in range(copies)]
    random.Random(3).shuffle(messages)
    producer = platform.bus.producer(platform.bus.topic("execution", "orders"))
    for raw in messages:
        send(producer, raw)
    producer.flush()


@pytest.mark.integration
def test_a_fill_and_a_rejection_notify_each_viewer_once_even_when_redelivered(
    database_url, make_platform
) -> None:
    platform = make_platform(database_url)
    recipients = FakeRecipients({"ACC-1": ["bob", "alice", "alice"]})
    live = consumer(platform, recipients)
    live.start()
    try:
        facts, order_id = Facts(platform.stores), uuid.uuid4()
        facts.account()
        facts.order(order_id)
        facts.rejection(order_id)
        facts.fill()
        head = platform.stores["execution"].head()
        publish_again(platform, copies=3)
        wait_for(lambda: live.positions.get("execution") == head, what="all applied")
        marker = facts.order(uuid.uuid4())  # published last: applied after the stale copies
        publish_again(platform, copies=2)  # after everything was applied: all stale
        wait_for(lambda: live.positions.get("execution") == marker, what="marker applied")
        assert live.duplicates > 0
    finally:
        live.stop()
    assert not live.failed, live.last_error
    assert told(platform) == [
        ("fill", "alice"), ("fill", "bob"), ("order_rejected", "alice"), ("order_rejected", "bob"),
    ]  # fmt: skip
    rejection = next(
        e.event for e in requested(platform.stores["support"]) if e.event.rule == "order_rejected"
    )
    assert rejection.title == "Order rejected: BUY 10 SAP (max_order_notional)"
    assert rejection.channels == ("in_app",) and rejection.account_id == "ACC-1"
    assert rejection.cause_context == "execution" and rejection.cause_position == 3

    # A restart rebuilds the open orders from the log and notifies nothing again.
    restarted = consumer(platform, recipients, bus=False)
    assert restarted.drain() == 0 and len(told(platform)) == 4
    later = uuid.uuid4()
    facts.order(later)
    restarted.drain()
    facts.rejection(later)
    assert consumer(platform, recipients, bus=False).drain() == 1  # another restart between
    assert len(told(platform)) == 6


@pytest.mark.integration
def test_an_unreachable_authoriser_is_retried_never_dead_lettered(
    database_url, make_platform
) -> None:
    platform = make_platform(database_url, with_bus=False)
    recipients = FakeRecipients({"ACC-1": ["alice"]})
    recipients.failure = OSError("authoriser unreachable")
    facts = Facts(platform.stores)
    facts.account()
    facts.fill()
    policy = consumer(platform, recipients, bus=False)
    with pytest.raises(RecipientsUnavailable, match="authoriser unreachable"):
        policy.drain()
    assert platform.dead_letters.count() == 0 and told(platform) == []
    recipients.failure = None
    policy.drain()
    assert told(platform) == [("fill", "alice")]


def drawdowns(platform) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        e.event.details["level"]
        for e in requested(platform.stores["support"])
        if e.event.rule == "drawdown"
    ]


@pytest.mark.integration
def test_drawdown_is_marked_at_bars_up_to_what_execution_had_seen(
    database_url, make_platform
) -> None:
    platform = make_platform(database_url, with_bus=False)
    policy = consumer(platform, FakeRecipients({"ACC-1": ["alice"]}), bus=False)
    facts = Facts(platform.stores)
    facts.account(cash="1000")
    bar = facts.bar("100", minute=0)
    facts.fill(
        quantity="10", price="100", cash_after="0", position_after="10", marks={"ingestion": bar}
    )
    facts.bar("95", minute=1)  # 5 %
    facts.bar("89", minute=2)  # 11 %
    seen = facts.bar("85", minute=3)  # 15 %
    facts.bar("70", minute=4)  # 30 %, after what execution has seen so far
    policy.drain()
    assert drawdowns(platform) == []  # no execution event has seen those bars yet
    facts.order(uuid.uuid4(), marks={"ingestion": seen})
    policy.drain()
    assert drawdowns(platform) == ["0.05", "0.1"]
    facts.order(uuid.uuid4(), marks={"ingestion": platform.stores["ingestion"].head()})
    policy.drain()
    assert drawdowns(platform) == ["0.05", "0.1", "0.2"]
    alert = requested(platform.stores["support"])[-1]
    assert alert.event.title == "Drawdown on ACC-1 beyond 20 %: 30.00 %"
    assert alert.event.cause_context == "ingestion" and alert.watermarks["ingestion"] == 5
    # The bar is the cause: an auditor walks from the notice to the price that caused it.
    assert alert.causation_id == platform.stores["ingestion"].read(4, limit=1)[0].event_id


@pytest.mark.integration
def test_the_same_log_gives_the_same_notifications_whatever_the_chunking(
    new_database, make_platform
) -> None:
    outcomes = []
    for chunk_size in (1, 100):
        platform = make_platform(new_database(), with_bus=False)
        facts = Facts(platform.stores)
        facts.account(cash="1000")
        rng = random.Random(11)
        price, position = Decimal(100), 0
        for minute in range(36):
            bar = facts.bar(str(price), minute=minute)
            if minute % 7 == 0:
                position += 1
                facts.fill(
                    quantity="1", price=str(price), cash_after=str(1000 - position * 100),
                    position_after=str(position), marks={"ingestion": bar},
                )  # fmt: skip
            price = (price * Decimal(1 + rng.uniform(-0.04, 0.035))).quantize(Decimal("0.01"))
        facts.order(uuid.uuid4(), marks={"ingestion": platform.stores["ingestion"].head()})
        recipients = FakeRecipients({"ACC-1": ["alice"]})
        consumer(platform, recipients, bus=False, chunk_size=chunk_size).drain()
        outcomes.append(
            [(e.event.rule, e.event.title) for e in requested(platform.stores["support"])]
        )
    assert outcomes[0] == outcomes[1]
    assert any(rule == "drawdown" for rule, _ in outcomes[0])
