"""The execution service trading through a FIX 4.4 broker — QuickFIX as the broker, its data
dictionary validating what we send — on a real event store: an order routed to the broker is
recorded NEW, sent once, acknowledged and filled by the broker's reports (each fill once,
kept with its ExecID); a report delivered again is no second fill; after a restart the link
does not send an order again; cancelling it from here is refused (not wired over FIX yet, so
not faked) and a kill switch blocks new orders without pretending to cancel it; cancelled at
the broker, it is cancelled here."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from bounded_contexts.execution.adapters.venues.fix44.link import FixVenueLink
from bounded_contexts.execution.adapters.venues.simulated import SimulatedVenueConfig
from bounded_contexts.execution.application.service import ExecutionConfig
from bounded_contexts.execution.application.venue_reports import VenueReport
from bounded_contexts.execution.domain.errors import AtTheBroker
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


def test_a_restarted_link_does_not_send_again_and_a_broker_cancel_is_recorded(
    world: FixWorld, database_url: str
) -> None:
    platform = platform_on(database_url)
    link = FixVenueLink(platform.execution_commands, world.config, BROKER, poll_s=0.05)
    link.start()
    assert link.broker.wait_logged_on(10)
    order = place(platform, "LIMIT", limit_price=Decimal("101.5"))
    service = platform.execution
    assert wait_until(lambda: service.orders[order.order_id].status is OrderStatus.ACCEPTED, 15)
    link.stop()

    restarted = FixVenueLink(platform.execution_commands, world.config, BROKER, poll_s=0.05)
    assert order.order_id.hex in restarted.sent  # from the session's store, not memory
    restarted.start()
    try:
        assert restarted.broker.wait_logged_on(10)
        time.sleep(0.3)  # polls that must send nothing
        assert world.broker.count("D") == 1
        with pytest.raises(AtTheBroker, match="cancel or amend it at the broker"):
            platform.execution_commands.cancel_order(TRADER, order_id=order.order_id)
        switch = platform.execution_commands.engage_kill_switch(
            Principal("risk-1"), scope="firm", reason="drill"
        )
        assert switch.cancelled_orders == ()  # not faked: the broker's order is the broker's
        assert place(platform, "LIMIT", limit_price=Decimal(1)).status == "REJECTED"
        from bounded_contexts.execution.adapters.venues.fix44 import OrderCancelRequest

        restarted.broker.send_cancel(
            OrderCancelRequest(
                cl_ord_id="c" + order.order_id.hex[:16],
                orig_cl_ord_id=order.order_id.hex,
                symbol=order.instrument_id,
                side="BUY",
                quantity=Decimal(10),
                transact_time=time.time_ns(),
            )
        )
        assert wait_until(
            lambda: service.orders[order.order_id].status is OrderStatus.CANCELLED, 15
        )
    finally:
        restarted.stop()
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
