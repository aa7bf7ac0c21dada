"""A conditional order survives a restart exactly: its trigger, a trailing stop's best price
and its status are rebuilt from the order's own stored events (v3 ``OrderSubmitted``,
``OrderTrailingStopMoved``, ``OrderTriggered``), and it goes on where it left off."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bounded_contexts.execution.adapters.venues.simulated import VenueBar
from bounded_contexts.execution.domain.events import OrderFilled, OrderTriggered
from bounded_contexts.execution.domain.order import OrderStatus
from events.effects import EventsToAppend
from tests.execution.unit.test_execution_service import MINUTE, ORDER_ID, T0, cause, command

pytestmark = pytest.mark.integration

D = Decimal


def bar(minute: int, o: str, h: str, low: str) -> VenueBar:
    return VenueBar(T0 + minute * MINUTE, D(o), D(h), D(low), D(100000))


def test_a_trailing_stop_goes_on_from_its_stored_best_price_after_a_restart(
    database_url,
    make_platform,  # type: ignore[no-untyped-def]
) -> None:
    first = make_platform(database_url, with_bus=False)
    first.build()
    service, store = first.execution, first.stores["execution"]
    service.instrument_listed("AAA")
    uow = EventsToAppend()
    service.submit(
        command(order_type="TRAILING_STOP", side="BUY", trail_percent=D(1)), uow, cause(T0)
    )
    for b in (bar(1, "100", "100.5", "98"), bar(2, "98.5", "98.9", "97")):
        service.on_bar("AAA", b, uow, cause(b.ts_start, key=f"bar/{b.ts_start}"))
    store.append(uow.items)
    live = service.orders[ORDER_ID]
    assert (live.best_price, live.trigger_price) == (D(97), D("97.9700"))
    first.close()

    restarted = make_platform(database_url, with_bus=False)
    restarted.build()
    again = restarted.execution
    again.reload_own_state()
    again.instrument_listed("AAA")
    order = again.orders[ORDER_ID]
    assert order.submitted is not None and order.submitted.trail_percent == D(1)
    assert (order.status, order.best_price, order.trigger_price) == (
        OrderStatus.ACCEPTED,
        D(97),
        D("97.9700"),
    )
    uow = EventsToAppend()
    # high 98 crosses the stop 97.97 as it stood: triggered there, filled + 2 bp
    again.on_bar("AAA", bar(3, "97.5", "98", "97.2"), uow, cause(T0 + 3 * MINUTE))
    events = [p.event for p, _ in uow.items]
    assert events[0] == OrderTriggered(ORDER_ID, D("97.9700"), T0 + 3 * MINUTE)
    assert isinstance(events[1], OrderFilled) and events[1].price == D("97.9896")
    restarted.stores["execution"].append(uow.items)
    restarted.close()
