"""Smart order routing across simulated venues: every order goes to the venue with the best
expected price after fees, the decision recorded with every candidate and the reason before
the venue sees the order; the order fills on that venue's terms (its slippage and fees); one
venue configured routes nothing; a routing configuration without distinct MICs is refused."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal as D

import jsonschema
import pytest

from bounded_contexts.execution.adapters.venues.simulated import SimulatedVenueConfig
from bounded_contexts.execution.application.service import ExecutionConfig, ExecutionService
from bounded_contexts.execution.domain.errors import InvalidOrder
from bounded_contexts.execution.domain.events import (
    OrderAccepted,
    OrderCancelled,
    OrderFilled,
    OrderRouted,
    OrderSubmitted,
    RouteCandidate,
    RouteSlice,
)
from bounded_contexts.execution.domain.order import Order
from bounded_contexts.execution.domain.routing import VenueTerms, route
from events.catalogue import schema_path
from events.codec import upcast
from events.domain import DomainEvent
from events.effects import EventsToAppend
from tests.execution.unit.test_execution_service import (
    MINUTE,
    T0,
    bar_at,
    cause,
    command,
    events_of,
    service,
)

LIT = SimulatedVenueConfig(mic="XETR", slippage_bps=D(2), fee_bps=D("1.5"), min_fee=D(0))
CHEAP = SimulatedVenueConfig(mic="TRQX", slippage_bps=D(1), fee_bps=D("0.5"), min_fee=D(0))
DEAR = SimulatedVenueConfig(mic="BATE", slippage_bps=D(1), fee_bps=D(5), min_fee=D(0))


def test_the_best_all_in_price_wins_for_a_buy_and_for_a_sell() -> None:
    venues = [VenueTerms("XETR", D(2), D("1.5")), VenueTerms("BATE", D(1), D(5))]
    buy = route("BUY", D(100), venues)
    assert buy.venue == "XETR"  # 100.02 + 0.015 = 100.035 beats 100.01 + 0.050 = 100.060
    assert buy.candidates == (
        RouteCandidate("XETR", D("100.020000"), D("0.015003"), D("100.035003")),
        RouteCandidate("BATE", D("100.010000"), D("0.050005"), D("100.060005")),
    )
    assert "XETR 100.035003 (against BATE 100.060005)" in buy.reason
    sell = route("SELL", D(100), venues)
    assert sell.venue == "XETR"  # 99.98 - 0.015 = 99.965 beats 99.99 - 0.05 = 99.94


def test_an_order_is_routed_before_the_venue_sees_it_and_fills_on_its_terms() -> None:
    svc = service(venue=LIT, venues=(DEAR, CHEAP))
    uow = EventsToAppend()
    svc.submit(command(), uow, cause(T0))
    recorded = [e for e in events_of(uow) if not type(e).__name__.startswith("Account")]
    assert [type(e) for e in recorded] == [OrderSubmitted, OrderRouted, OrderAccepted]
    submitted, routed = recorded[0], recorded[1]
    assert (routed.venue, submitted.venue) == ("TRQX", "TRQX")
    assert [c.venue for c in routed.candidates] == ["XETR", "BATE", "TRQX"]
    fills = EventsToAppend()
    svc.on_bar("AAA", bar_at(T0 + MINUTE), fills, cause(T0 + MINUTE))
    [fill] = [e for e in events_of(fills) if isinstance(e, OrderFilled)]
    assert fill.price == D("100.0100")  # the open moved by TRQX's 1 bp
    assert fill.fee == (fill.quantity * fill.price * D("0.5") / 10_000).quantize(D("0.01"))
    assert fill.venue == "TRQX"


def test_one_venue_routes_nothing() -> None:
    svc = service()
    uow = EventsToAppend()
    svc.submit(command(order_id=uuid.UUID(int=2)), uow, cause(T0))
    assert not any(isinstance(e, OrderRouted) for e in events_of(uow))


def test_routing_without_distinct_mics_is_refused() -> None:
    with pytest.raises(ValueError, match="a distinct MIC for every venue"):
        ExecutionConfig(venue=LIT, venues=(SimulatedVenueConfig(mic="XETR"),))
    with pytest.raises(ValueError, match="a distinct MIC for every venue"):
        ExecutionConfig(venues=(CHEAP,))  # the default venue names no MIC


# -- splitting by liquidity ---------------------------------------------------------------
def test_an_order_larger_than_the_best_venue_s_liquidity_is_split_best_price_first() -> None:
    venues = [
        VenueTerms("XETR", D(2), D("1.5"), liquidity=D(250)),
        VenueTerms("BATE", D(1), D(5), liquidity=D(400)),
        VenueTerms("TRQX", D(1), D("0.5"), liquidity=D(100)),
    ]  # all-in for a buy: TRQX 100.015 < XETR 100.035 < BATE 100.060
    decision = route("BUY", D(100), venues, quantity=D(1_000))
    assert decision.venue == "TRQX"
    # TRQX 100, XETR 250, BATE 400: 750; the 250 no venue fills in one bar stay with TRQX
    assert decision.slices == (
        RouteSlice("TRQX", D(350), D(100)),
        RouteSlice("XETR", D(250), D(250)),
        RouteSlice("BATE", D(400), D(400)),
    )
    assert "split by liquidity, best price first: TRQX 350 (liquidity 100)" in decision.reason


def test_no_split_when_the_best_venue_suffices_or_liquidity_is_unknown() -> None:
    known = [VenueTerms("XETR", D(2), D("1.5"), D(250)), VenueTerms("TRQX", D(1), D(5), D(90))]
    assert route("BUY", D(100), known, quantity=D(250)).slices == ()
    unknown = [VenueTerms("XETR", D(2), D("1.5")), VenueTerms("TRQX", D(1), D(5), D(90))]
    assert route("BUY", D(100), unknown, quantity=D(10_000)).slices == ()


def test_slices_are_whole_lots_and_a_dry_best_venue_keeps_the_rest() -> None:
    venues = [VenueTerms("XETR", D(1), D(0), D(30)), VenueTerms("TRQX", D(2), D(0), D(250))]
    assert route("SELL", D(100), venues, quantity=D(400), lot=D(100)).slices == (
        RouteSlice("XETR", D(200), D(30)),  # under one lot of liquidity: the rest, 200
        RouteSlice("TRQX", D(200), D(250)),  # 250 is two whole lots
    )


SHARED_A = SimulatedVenueConfig(
    mic="XETR", slippage_bps=D(1), fee_bps=D(1), min_fee=D(0), volume_share=D("0.6")
)
SHARED_B = SimulatedVenueConfig(
    mic="TRQX",
    slippage_bps=D(2),
    fee_bps=D(2),
    min_fee=D(0),
    volume_share=D("0.4"),
    latency_ns=90_000_000_000,  # 90 s away: it trades from the second bar
)


def split_service() -> tuple[ExecutionService, list[DomainEvent]]:
    svc = service(venue=SHARED_A, venues=(SHARED_B,))
    for minute in range(-20, 0):  # 20 bars of 1,000: XETR 150 a bar, TRQX 100
        svc.remember_bar("AAA", bar_at(T0 + minute * MINUTE, volume="1000"), D(100))
    uow = EventsToAppend()
    svc.submit(command(quantity=D(400)), uow, cause(T0))
    return svc, events_of(uow)


def test_a_split_order_works_each_slice_at_its_venue_on_its_terms() -> None:
    svc, recorded = split_service()
    [routed] = [e for e in recorded if isinstance(e, OrderRouted)]
    assert routed.slices == (RouteSlice("XETR", D(300), D(150)), RouteSlice("TRQX", D(100), D(100)))
    first = EventsToAppend()
    svc.on_bar("AAA", bar_at(T0 + MINUTE, volume="1000"), first, cause(T0 + MINUTE))
    fills = [e for e in events_of(first) if isinstance(e, OrderFilled)]
    assert [(f.venue, f.quantity, f.price) for f in fills] == [("XETR", D(150), D("100.0100"))]
    second = EventsToAppend()
    svc.on_bar("AAA", bar_at(T0 + 2 * MINUTE, volume="1000"), second, cause(T0 + 2 * MINUTE))
    fills = [e for e in events_of(second) if isinstance(e, OrderFilled)]
    assert [(f.venue, f.quantity, f.price, f.fee) for f in fills] == [
        ("XETR", D(150), D("100.0100"), D("1.50")),
        ("TRQX", D(100), D("100.0200"), D("2.00")),  # its own slippage and fee
    ]
    order = svc.orders[routed.order_id]
    assert order.status.value == "FILLED" and order.filled_at == {"XETR": 300, "TRQX": 100}
    # a restart rebuilds the slices and what each venue filled from the events alone
    stored = [*recorded, *events_of(first), *events_of(second)]
    replayed = Order.replay(order.id, [e for e in stored if type(e).__name__.startswith("Order")])
    assert (replayed.slices, replayed.filled_at) == (order.slices, order.filled_at)


def test_a_split_order_cannot_be_amended_but_cancels_as_one_order() -> None:
    svc, recorded = split_service()
    [routed] = [e for e in recorded if isinstance(e, OrderRouted)]
    with pytest.raises(InvalidOrder, match="split across venues"):
        svc.amend(routed.order_id, quantity=D(300), uow=EventsToAppend(), cause=cause(T0 + 1))
    uow = EventsToAppend()
    svc.cancel(routed.order_id, "changed my mind", uow, cause(T0 + 2))
    assert [type(e) for e in events_of(uow)] == [OrderCancelled]


def test_limit_and_ioc_orders_go_whole_to_one_venue() -> None:
    svc, _ = split_service()
    for number, terms in (
        (2, {"order_type": "LIMIT", "limit_price": D(99)}),
        (3, {"time_in_force": "IOC"}),
    ):
        uow = EventsToAppend()
        svc.submit(
            command(order_id=uuid.UUID(int=number), quantity=D(400), **terms), uow, cause(T0)
        )
        [routed] = [e for e in events_of(uow) if isinstance(e, OrderRouted)]
        assert routed.slices == ()


def test_routings_recorded_before_splitting_read_back_unsplit() -> None:
    v1 = {"order_id": str(uuid.UUID(int=1)), "venue": "XETR", "candidates": [], "reason": "r"}
    payload = upcast(OrderRouted, 1, v1, where="execution#1")
    jsonschema.validate(payload, json.loads(schema_path(OrderRouted, 2).read_text()))
    assert OrderRouted.from_payload(payload).slices == ()
