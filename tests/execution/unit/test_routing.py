"""Smart order routing across simulated venues: every order goes to the venue with the best
expected price after fees, the decision recorded with every candidate and the reason before
the venue sees the order; the order fills on that venue's terms (its slippage and fees); one
venue configured routes nothing; a routing configuration without distinct MICs is refused."""

from __future__ import annotations

import uuid
from decimal import Decimal as D

import pytest

from bounded_contexts.execution.adapters.venues.simulated import SimulatedVenueConfig
from bounded_contexts.execution.application.service import ExecutionConfig
from bounded_contexts.execution.domain.events import (
    OrderAccepted,
    OrderFilled,
    OrderRouted,
    OrderSubmitted,
    RouteCandidate,
)
from bounded_contexts.execution.domain.routing import VenueTerms, route
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
