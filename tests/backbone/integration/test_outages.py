"""Outages of the database and the broker: reported fast and clearly, never hung on, never a
lost effect. The "unreachable" servers are closed local ports: refused at once, like a server
that was killed."""

from __future__ import annotations

import socket
import time
import uuid
from decimal import Decimal

import pytest

from bounded_contexts.execution.domain.account import Account
from events.bus import PulsarBus
from events.consumer import TrackedConsumer
from events.envelope import Cause
from events.relay import Relay
from events.store import EventStore, StoreUnavailable, datastore_from_url
from projections.portfolio import PortfolioProjection
from quantvista.watchdog import DatabaseLost, DatabaseWatch
from tests.outage_proxy import DatabaseProxy

pytestmark = pytest.mark.integration


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


def _wait_for(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


def _account_events(account_id: str = "ACC-1") -> list:  # type: ignore[type-arg]
    account = Account.open(account_id, "EUR", Decimal(1_000))
    account.book_fill(
        order_id=uuid.uuid4(),
        instrument_id="SAP",
        side="BUY",
        quantity=Decimal(1),
        price=Decimal("100"),
        fee=Decimal(1),
    )
    cause = Cause.origin(ts_event=1, actor="test", key="outage")
    return [(p, cause) for p in account.collect_pending()]


def test_an_append_after_the_database_is_lost_fails_with_store_unavailable_then_fails_fast(
    database_url: str,
) -> None:
    proxy = DatabaseProxy(database_url)
    store = EventStore("execution", datastore_from_url(proxy.url))
    try:
        store.create_tables()
        store.append(_account_events())
        proxy.cut()
        with pytest.raises(StoreUnavailable, match=r"unreachable.*nothing was recorded") as first:
            store.append(_account_events())
        assert first.value.__cause__ is not None  # it really tried
        with pytest.raises(StoreUnavailable) as second:
            store.append(_account_events())
        assert second.value.__cause__ is None  # within the cool-down: refused without a wait
        proxy.restore()
        time.sleep(store.OUTAGE_COOL_DOWN_S)
        store.append(_account_events("ACC-2"))  # back: appends again, nothing half-written
        assert [e.aggregate_version for e in store.read()] == [1, 2, 1, 2]
    finally:
        store.datastore.close()
        proxy.close()


def test_a_manual_order_while_the_database_is_lost_is_refused_at_once_and_recorded_later(
    database_url: str,
    make_platform,  # type: ignore[no-untyped-def]
) -> None:
    from quantvista.platform import Platform
    from tests.pipeline_helpers import feed_synthetic

    proxy = DatabaseProxy(database_url)
    setup = make_platform(database_url, with_bus=False)
    feed_synthetic(setup, seed=3, instruments=2, days=1)
    platform = Platform(proxy.url)
    try:
        platform.build(["execution"])
        platform.run_until_caught_up()
        commands = platform.execution_commands

        def place() -> object:
            return commands.place_order(
                _principal(),
                account_id="DEMO-001",
                instrument_id="SAP",
                side="BUY",
                quantity=Decimal(1),
                order_type="MARKET",
                limit_price=None,
            )

        place()
        head = platform.stores["execution"].head()
        proxy.cut()
        with pytest.raises(StoreUnavailable):
            place()
        with pytest.raises(StoreUnavailable):
            place()
        proxy.restore()
        time.sleep(platform.stores["execution"].OUTAGE_COOL_DOWN_S)
        place()  # the view was reloaded from the store: nothing of the refused ones remains
        orders = [e for e in platform.stores["execution"].read(limit=10_000)]
        assert platform.stores["execution"].head() > head
        submitted = [e for e in orders if e.event_type == "OrderSubmitted"]
        assert len(submitted) == 2
    finally:
        platform.close()
        proxy.close()


def _principal():  # type: ignore[no-untyped-def]
    from gateway.ports import Principal

    return Principal(subject="tester")


def test_the_database_watch_declares_an_unreachable_database_lost_and_a_live_one_fine(
    database_url: str,
) -> None:
    dead = DatabaseWatch(
        f"postgresql://postgres@127.0.0.1:{_closed_port()}/x", grace_s=0.3, interval_s=0.05
    )
    told: list[DatabaseLost] = []
    dead.on_lost = told.append
    live = DatabaseWatch(database_url, grace_s=0.3, interval_s=0.05)
    dead.start()
    live.start()
    try:
        _wait_for(lambda: bool(told))
        with pytest.raises(DatabaseLost, match=r"unreachable for .* the run stopped"):
            dead.check()
        time.sleep(0.5)  # longer than the grace period
        live.check()
        assert live.reachable
    finally:
        dead.stop()
        live.stop()


def test_a_consumer_without_a_reachable_broker_follows_the_stores(
    database_url: str,
    make_platform,  # type: ignore[no-untyped-def]
) -> None:
    platform = make_platform(database_url, with_bus=False)
    bus = PulsarBus(f"pulsar://127.0.0.1:{_closed_port()}", "dead", operation_timeout_s=1)
    consumer = TrackedConsumer(
        PortfolioProjection(),
        platform.read_effects,
        platform.stores,
        platform.dead_letters,
        bus,
        idle_catch_up_s=0.05,
    )
    consumer.start()
    try:
        platform.stores["execution"].append(_account_events())
        head = platform.stores["execution"].head()
        _wait_for(lambda: consumer.positions.get("execution") == head)
        assert consumer.broker_error is not None
        assert consumer.failures == 0  # degraded, not failing: the stores carry the events
        assert consumer.status()["broker"].startswith("following the stores")
    finally:
        consumer.stop()
        bus.client.close()


def test_a_relay_whose_broker_is_gone_keeps_failing_with_its_reason_and_publishes_nothing(
    database_url: str,
    make_platform,  # type: ignore[no-untyped-def]
) -> None:
    platform = make_platform(database_url, with_bus=False)
    platform.stores["execution"].append(_account_events())
    bus = PulsarBus(f"pulsar://127.0.0.1:{_closed_port()}", "dead", operation_timeout_s=1)
    relay = Relay(platform.stores["execution"], bus, listen_url=database_url)
    relay.start()
    try:
        _wait_for(lambda: relay.failures >= 2)  # failed, backed off, tried again
        assert relay.failed and relay.last_error
        assert relay.status()["state"] == "failing"
        assert relay.published == 0 and relay.position == 0  # nothing marked as carried
    finally:
        relay.stop()
        bus.client.close()


def test_a_healthy_platform_is_ready_and_one_with_a_lost_database_is_not(
    database_url: str,
    make_platform,  # type: ignore[no-untyped-def]
) -> None:
    platform = make_platform(database_url, with_bus=False)
    platform.build(["projections"])
    platform.start()
    try:
        report = platform.readiness()
        assert report["status"] == "ready", report
        assert report["checks"]["database"] == "ok" and report["checks"]["lag"] == 0
    finally:
        platform.stop()
    lost = make_platform(database_url, with_bus=False)
    lost.watch = DatabaseWatch(
        f"postgresql://postgres@127.0.0.1:{_closed_port()}/x", grace_s=0.2, interval_s=0.05
    )
    lost.watch.start()
    try:
        _wait_for(lambda: not lost.watch.reachable)
        report = lost.readiness()
        assert report["status"] == "unavailable"
        assert report["checks"]["database"] == "unreachable"
    finally:
        lost.watch.stop()
