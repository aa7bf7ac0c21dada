"""Exactly-once effects over an at-least-once broker (real pulsar-lite, real PostgreSQL).

The projection under test is the portfolio: it *adds* fees and replaces cash per fill, so a
doubled delivery would show as doubled fees and a lost one as missing fees."""

from __future__ import annotations

import random
import time
import uuid
from decimal import Decimal

import pytest

from bounded_contexts.execution.domain.account import Account
from events.consumer import TrackedConsumer
from events.relay import Relay, send
from projections.portfolio import PortfolioProjection
from tests.pipeline_helpers import table_rows

FILLS = 120


def _book_fills(platform) -> Decimal:  # type: ignore[no-untyped-def]
    """Account opened + FILLS fills in the execution store; returns the total fees."""
    from events.envelope import Cause

    account = Account.open("ACC-1", "EUR", Decimal(1_000_000))
    fees = Decimal(0)
    for i in range(FILLS):
        fee = Decimal(i % 7 + 1) / Decimal(100) + Decimal(1)
        fees += fee
        account.book_fill(
            order_id=uuid.uuid4(),
            instrument_id="SAP",
            side="BUY" if i % 3 else "SELL",
            quantity=Decimal(10),
            price=Decimal("200.00") + Decimal(i) / Decimal(100),
            fee=fee,
        )
    cause = Cause.origin(ts_event=1, actor="test", key="fills")
    platform.stores["execution"].append([(p, cause) for p in account.collect_pending()])
    return fees


def _consumer(platform, *, idle_catch_up_s: float, fault=None, **options) -> TrackedConsumer:  # type: ignore[no-untyped-def]
    """The portfolio projection as a tracked consumer; ``options`` go to TrackedConsumer."""
    return TrackedConsumer(
        PortfolioProjection(),
        platform.read_effects,
        platform.stores,
        platform.dead_letters,
        platform.bus,
        chunk_size=17,
        idle_catch_up_s=idle_catch_up_s,
        fault=fault,
        **options,
    )


def _wait_for(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def _publish(platform, positions: list[int]) -> None:  # type: ignore[no-untyped-def]
    store = platform.stores["execution"]
    raws = {raw.position: raw for raw in store.read_raw(0, limit=10_000)}
    producer = platform.bus.producer(platform.bus.topic("execution", "orders"))
    for position in positions:
        send(producer, raws[position])
    producer.flush()


def _portfolio(url: str) -> list[tuple]:  # type: ignore[type-arg]
    return table_rows(url, "rm_portfolio") + table_rows(url, "rm_positions")


@pytest.fixture
def clean_run(new_database, make_platform):  # type: ignore[no-untyped-def]
    """The reference: the same events folded straight from the store."""
    url = new_database()
    platform = make_platform(url, with_bus=False)
    fees = _book_fills(platform)
    consumer = _consumer(platform, idle_catch_up_s=0)
    consumer.drain()
    assert _portfolio(url)[0][4] == fees
    return _portfolio(url)


def _tracked(platform, consumer) -> int:  # type: ignore[no-untyped-def]
    return platform.read_effects.tracked_position(consumer.name, "execution")


@pytest.mark.integration
def test_duplicated_reordered_and_missing_deliveries_end_in_the_clean_state(
    database_url,
    make_platform,
    clean_run,  # type: ignore[no-untyped-def]
) -> None:
    platform = make_platform(database_url)
    consumer = _consumer(platform, idle_catch_up_s=3600)  # only deliveries and gap healing
    consumer.start()
    _book_fills(platform)
    head = platform.stores["execution"].head()
    rng = random.Random(5)
    positions = [p for p in range(1, head + 1) if rng.random() > 0.15 or p == head]  # lose ~15 %
    positions += rng.sample(positions, len(positions) // 4)  # duplicate a quarter
    for start in range(0, len(positions), 10):  # reorder within windows
        window = positions[start : start + 10]
        rng.shuffle(window)
        positions[start : start + 10] = window
    _publish(platform, positions)

    _wait_for(lambda: _tracked(platform, consumer) == head)
    consumer.stop()
    assert not consumer.failed, consumer.last_error
    assert _portfolio(database_url) == clean_run
    assert consumer.healed > 0 and consumer.duplicates > 0


@pytest.mark.integration
def test_a_lost_last_message_is_applied_by_the_idle_catch_up(
    database_url,
    make_platform,
    clean_run,  # type: ignore[no-untyped-def]
) -> None:
    platform = make_platform(database_url)
    consumer = _consumer(platform, idle_catch_up_s=0.2)
    consumer.start()
    _book_fills(platform)
    head = platform.stores["execution"].head()
    _publish(platform, list(range(1, head - 2)))  # the last three never arrive

    _wait_for(lambda: _tracked(platform, consumer) == head)
    consumer.stop()
    assert _portfolio(database_url) == clean_run


@pytest.mark.integration
def test_a_consumer_killed_between_its_commit_and_its_acknowledgement_loses_and_doubles_nothing(
    database_url,
    make_platform,
    clean_run,  # type: ignore[no-untyped-def]
) -> None:
    platform = make_platform(database_url)
    crashes = {"left": 1}

    def crash_once(point: str) -> None:
        if point == "before_ack" and crashes["left"]:
            crashes["left"] -= 1
            raise RuntimeError("killed after commit, before ack")

    first = _consumer(platform, idle_catch_up_s=3600, fault=crash_once)
    first.start()
    _book_fills(platform)
    head = platform.stores["execution"].head()
    _publish(platform, list(range(1, head + 1)))
    _wait_for(lambda: first.failures >= 1)  # supervised: it fails, then restarts
    applied_before_crash = _tracked(platform, first)
    first.stop()  # its connection goes: unacknowledged messages are redelivered
    assert applied_before_crash > 0

    second = _consumer(platform, idle_catch_up_s=3600)
    second.start()
    _wait_for(lambda: _tracked(platform, second) == head)
    second.stop()
    assert not second.failed, second.last_error
    assert _portfolio(database_url) == clean_run


@pytest.mark.integration
def test_a_relay_that_dies_before_recording_its_position_republishes_and_nothing_doubles(
    database_url,
    make_platform,
    clean_run,  # type: ignore[no-untyped-def]
) -> None:
    platform = make_platform(database_url)
    consumer = _consumer(platform, idle_catch_up_s=3600)
    consumer.start()
    _book_fills(platform)
    head = platform.stores["execution"].head()
    relay = Relay(platform.stores["execution"], platform.bus, listen_url=database_url)
    relay.start()
    _wait_for(lambda: relay.position == head)
    relay.stop()
    with platform.read_store.transaction(commit=True) as cur:  # as if it died before saving
        cur.execute("UPDATE relay_positions SET position = 0 WHERE context = 'execution'")

    restarted = Relay(platform.stores["execution"], platform.bus, listen_url=database_url)
    restarted.start()
    _wait_for(lambda: restarted.position == head)
    _wait_for(lambda: consumer.duplicates >= head)  # every republished message was seen...
    restarted.stop()
    consumer.stop()
    assert _portfolio(database_url) == clean_run  # ...and dropped
    assert restarted.published == head


@pytest.mark.integration
def test_poison_messages_go_to_dead_letters_with_a_reason_and_the_consumer_keeps_running(
    database_url,
    make_platform,
    clean_run,  # type: ignore[no-untyped-def]
) -> None:
    platform = make_platform(database_url)
    consumer = _consumer(platform, idle_catch_up_s=3600)
    consumer.start()
    producer = platform.bus.producer(platform.bus.topic("execution", "orders"))
    producer.send(b"\x00not json", properties={"position": "9999"}, partition_key=str(uuid.uuid4()))
    producer.send(b"{}", properties={"type": "FillBooked"}, partition_key="not-a-uuid")
    _book_fills(platform)
    head = platform.stores["execution"].head()
    _publish(platform, list(range(1, head + 1)))

    _wait_for(lambda: _tracked(platform, consumer) == head)
    _wait_for(lambda: platform.dead_letters.count(consumer.name) == 2)
    consumer.stop()
    assert not consumer.failed
    reasons = [letter["reason"] for letter in platform.dead_letters.list()]
    assert any("undecodable" in r for r in reasons), reasons
    assert _portfolio(database_url) == clean_run
