"""The execution service trading through a FIX 4.4 broker — QuickFIX as the broker, its data
dictionary validating what we send — on a real event store: an order routed to the broker is
recorded NEW, sent once, acknowledged and filled by the broker's reports (each fill once,
kept with its ExecID); a report delivered again is no second fill; a cancel or an amendment
is a request sent once (also by a link restarted after it was recorded) that the broker
confirms (Canceled, Replaced) or refuses (OrderCancelReject), each recorded; the kill switch
requests the cancel of the broker's orders and blocks new ones."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from bounded_contexts.execution.adapters.venues.fix44.link import FixVenueLink
from bounded_contexts.execution.adapters.venues.simulated import SimulatedVenueConfig
from bounded_contexts.execution.application.service import ExecutionConfig
from bounded_contexts.execution.application.venue_reports import VenueReport
from bounded_contexts.execution.domain.events import OrderFilled
from bounded_contexts.execution.domain.order import OrderStatus
from bounded_contexts.ingestion.adapters.csv_replay import read_instruments, sample_path
from gateway.ports import Principal
from quantvista.platform import PipelineConfig, Platform
from tests.execution.integration.fix44_kit import FixWorld, wait_until

pytestmark = pytest.mark.integration

BROKER = "XBRK"
TRADER = Principal("trader-1")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[FixWorld]:
    made = FixWorld(tmp_path)
    yield made
    made.close()


def platform_on(database_url: str) -> Platform:
    config = ExecutionConfig(venue=SimulatedVenueConfig(mic=BROKER), fix_broker_mic=BROKER)
    platform = Platform(database_url, None, config=PipelineConfig(execution=config))
    platform.create_tables()
    platform.build()
    listings = read_instruments(sample_path("instruments.csv"))[:1]
    platform.ingestion.list_instruments(listings, actor="test")
    platform.run_until_caught_up()
    return platform


def place(platform: Platform, order_type: str, **terms: object):  # type: ignore[no-untyped-def]
    instrument = next(iter(platform.execution.instruments))
    return platform.execution_commands.place_order(
        TRADER,
        account_id="DEMO-001",
        instrument_id=instrument,
        side="BUY",
        quantity=Decimal(10),
        order_type=order_type,
        limit_price=terms.get("limit_price"),  # type: ignore[arg-type]
    ).order


def pending_in_read_model(url: str, order_id: object) -> str | None:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT pending_request FROM rm_orders WHERE order_id = %s", (order_id,)
        ).fetchone()
    assert row is not None, "the order is in the read model"
    return row[0]  # type: ignore[no-any-return]


def fills_of(platform: Platform, order_id: object) -> list[OrderFilled]:
    return [
        e.event
        for e in platform.stores["execution"].aggregate_events(order_id)  # type: ignore[arg-type]
        if isinstance(e.event, OrderFilled)
    ]


def test_an_order_routed_to_the_broker_is_sent_once_acknowledged_and_filled_by_its_reports(
    world: FixWorld, database_url: str
) -> None:
    platform = platform_on(database_url)
    link = FixVenueLink(platform.execution_commands, world.config, BROKER, poll_s=0.05)
    try:
        link.start()
        assert link.broker.wait_logged_on(10)
        placed = place(platform, "LIMIT", limit_price=Decimal("101.5"))
        assert placed.status == "NEW"  # submitted, not yet acknowledged by the broker
        order_id = placed.order_id
        assert wait_until(lambda: world.broker.count("D") == 1)
        assert wait_until(
            lambda: platform.execution.orders[order_id].status is OrderStatus.ACCEPTED, 15
        )
        world.broker.fill(order_id.hex, Decimal(4), Decimal("101.25"))
        world.broker.fill(order_id.hex, Decimal(6), Decimal("101.5"))
        service = platform.execution
        assert wait_until(lambda: service.orders[order_id].status is OrderStatus.FILLED, 15)
        # the view holds a fill a moment before its append commits: wait for the store
        assert wait_until(lambda: len(fills_of(platform, order_id)) == 2, 15)
        fills = fills_of(platform, order_id)
        assert sum(f.quantity for f in fills) == Decimal(10)
        assert all(f.venue_transaction_id and f.venue == BROKER for f in fills)
        assert world.broker.count("D") == 1  # sent once
        assert world.broker.validation_complaints() == []

        # the same trade report again (a PossResend copy, a replay after a crash): one fill
        again = VenueReport(order_id.hex, fills[0].venue_transaction_id or "", "TRADE",
                            last_qty=fills[0].quantity, last_px=fills[0].price)  # fmt: skip
        assert platform.execution_commands.record_broker_report(again, venue=BROKER) is None
        assert len(fills_of(platform, order_id)) == len(fills)
        account = service.accounts["DEMO-001"]
        assert account.position(placed.instrument_id) == Decimal(10)
    finally:
        link.stop()
        platform.close()


def test_a_restarted_link_sends_a_recorded_cancel_once_and_the_broker_confirms_it(
    world: FixWorld, database_url: str
) -> None:
    platform = platform_on(database_url)
    link = FixVenueLink(platform.execution_commands, world.config, BROKER, poll_s=0.05)
    link.start()
    assert link.broker.wait_logged_on(10)
    order = place(platform, "LIMIT", limit_price=Decimal("101.5"))
    service = platform.execution
    assert wait_until(lambda: service.orders[order.order_id].status is OrderStatus.ACCEPTED, 15)
    link.stop()  # the link is down when the person cancels: the request waits in the store
    asked = platform.execution_commands.cancel_order(TRADER, order_id=order.order_id)
    assert (asked.order.status, asked.order.pending_request) == ("ACCEPTED", "CANCEL")
    platform.run_until_caught_up()
    assert pending_in_read_model(database_url, order.order_id) == "CANCEL"
    assert world.broker.count("F") == 0

    restarted = FixVenueLink(platform.execution_commands, world.config, BROKER, poll_s=0.05)
    assert order.order_id.hex in restarted.sent  # from the session's store, not memory
    restarted.start()
    try:
        assert restarted.broker.wait_logged_on(10)
        assert wait_until(
            lambda: service.orders[order.order_id].status is OrderStatus.CANCELLED, 15
        )
        time.sleep(0.3)  # polls that must send nothing more
        assert (world.broker.count("D"), world.broker.count("F")) == (1, 1)  # each once
        assert service.orders[order.order_id].reject_reason == (
            "cancelled by trader-1 (confirmed by the broker)"
        )
        assert wait_until(
            lambda: (
                platform.run_until_caught_up() is None
                and (pending_in_read_model(database_url, order.order_id) is None)
            )
        )
        assert world.broker.validation_complaints() == []
    finally:
        restarted.stop()
        platform.close()


def test_a_replace_a_refused_cancel_and_the_kill_switch_go_through_the_broker(
    world: FixWorld, database_url: str
) -> None:
    platform = platform_on(database_url)
    link = FixVenueLink(platform.execution_commands, world.config, BROKER, poll_s=0.05)
    link.start()
    service = platform.execution
    try:
        assert link.broker.wait_logged_on(10)
        first = place(platform, "LIMIT", limit_price=Decimal("101.5"))
        assert wait_until(lambda: service.orders[first.order_id].status is OrderStatus.ACCEPTED)
        platform.execution_commands.amend_order(
            TRADER,
            order_id=first.order_id,
            quantity=Decimal(20),
            limit_price=Decimal("101.25"),
            stop_price=None,
        )
        replaced = service.orders[first.order_id]
        assert wait_until(lambda: replaced.pending_request is None and replaced.quantity == 20)
        assert replaced.submitted.limit_price == Decimal("101.25")  # type: ignore[union-attr]
        assert replaced.cl_ord_id == f"{first.order_id.hex}.1"
        # the broker fills it under its new ClOrdID, then refuses a cancel: too late
        world.broker.fill(replaced.cl_ord_id, Decimal(20), Decimal("101.25"))
        assert wait_until(lambda: replaced.status is OrderStatus.FILLED)

        second = place(platform, "LIMIT", limit_price=Decimal("100"))
        assert wait_until(lambda: service.orders[second.order_id].status is OrderStatus.ACCEPTED)
        switch = platform.execution_commands.engage_kill_switch(
            Principal("risk-1"), scope="firm", reason="drill"
        )
        assert switch.cancelled_orders == ()  # none at once: the broker confirms each
        assert wait_until(
            lambda: service.orders[second.order_id].status is OrderStatus.CANCELLED, 15
        )
        assert service.orders[second.order_id].reject_reason == (
            "kill switch of firm engaged: drill (confirmed by the broker)"
        )
        assert place(platform, "LIMIT", limit_price=Decimal(1)).status == "REJECTED"
        kinds = [
            e.event_type
            for e in platform.stores["execution"].aggregate_events(first.order_id)  # type: ignore[arg-type]
        ]
        assert "OrderReplaceRequested" in kinds and "OrderAmended" in kinds
        assert world.broker.count("G") == 1 and world.broker.validation_complaints() == []
    finally:
        link.stop()
        platform.close()


def test_a_cancel_the_broker_refuses_is_recorded_and_the_order_works_on(
    world: FixWorld, database_url: str
) -> None:
    platform = platform_on(database_url)
    link = FixVenueLink(platform.execution_commands, world.config, BROKER, poll_s=0.05)
    link.start()
    service = platform.execution
    try:
        assert link.broker.wait_logged_on(10)
        order = place(platform, "LIMIT", limit_price=Decimal("101.5"))
        assert wait_until(lambda: service.orders[order.order_id].status is OrderStatus.ACCEPTED)
        world.broker.orders[order.order_id.hex].open = False  # the broker lost it
        platform.execution_commands.cancel_order(TRADER, order_id=order.order_id)
        store = platform.stores["execution"]

        def refusals() -> list[object]:
            events = store.aggregate_events(order.order_id)  # type: ignore[arg-type]
            return [e.event for e in events if e.event_type == "OrderRequestRefused"]

        assert wait_until(lambda: bool(refusals()), 15)  # recorded, not only in memory
        assert [(r.request, r.reason) for r in refusals()] == [("CANCEL", "unknown order")]  # type: ignore[attr-defined]
        assert service.orders[order.order_id].pending_request is None
        assert service.orders[order.order_id].status is OrderStatus.ACCEPTED
    finally:
        link.stop()
        platform.close()


def test_a_platform_configured_with_a_fix_broker_runs_the_link_and_a_gateway_worker_does_not(
    world: FixWorld, database_url: str
) -> None:
    config = ExecutionConfig(
        venue=SimulatedVenueConfig(mic=BROKER), fix_broker_mic=BROKER, fix_broker=world.config
    )
    gateway_like = Platform(database_url, None, config=PipelineConfig(execution=config))
    gateway_like.create_tables()
    gateway_like.build(["execution"], fix_link=False)
    assert gateway_like.fix_link is None  # one FIX session: the execution process's
    gateway_like.close()

    platform = Platform(database_url, None, config=PipelineConfig(execution=config))
    platform.create_tables()
    platform.build(["ingestion", "execution"])
    try:
        platform.start()
        assert platform.fix_link is not None and platform.fix_link.broker.wait_logged_on(10)
        listings = read_instruments(sample_path("instruments.csv"))[:1]
        platform.ingestion.list_instruments(listings, actor="test")
        assert wait_until(lambda: bool(platform.execution.instruments), 15)
        order = place(platform, "LIMIT", limit_price=Decimal("101.5"))
        assert wait_until(
            lambda: platform.execution.orders[order.order_id].status is OrderStatus.ACCEPTED, 15
        )
    finally:
        platform.close()
    assert platform.fix_link is None  # stopped with the platform
