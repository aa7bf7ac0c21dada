"""Contingent orders survive a restart exactly: OCO groups, OTO parents and their held
children are rebuilt from the stored events (``OrderSubmitted`` v4's links, ``OrderActivated``)
and go on where they left off — a held child still held, activated when its parent fills, its
OCO partner cancelled when it executes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bounded_contexts.execution.adapters.venues.simulated import VenueBar
from bounded_contexts.execution.domain.events import OrderActivated, OrderCancelled, OrderFilled
from bounded_contexts.execution.domain.order import OrderStatus
from events.effects import EventsToAppend
from tests.execution.unit.test_contingent_orders import ENTRY, PROFIT, STOP, bracket
from tests.execution.unit.test_execution_service import MINUTE, T0, cause

pytestmark = pytest.mark.integration

D = Decimal


def bar(minute: int, o: str, h: str, low: str, volume: str = "100000") -> VenueBar:
    return VenueBar(T0 + minute * MINUTE, D(o), D(h), D(low), D(volume))


def test_a_bracket_goes_on_from_its_stored_events_after_a_restart(
    database_url,
    make_platform,  # type: ignore[no-untyped-def]
) -> None:
    first = make_platform(database_url, with_bus=False)
    first.build()
    service, store = first.execution, first.stores["execution"]
    service.instrument_listed("AAA")
    uow = EventsToAppend()
    service.submit_bracket(*bracket(), uow, cause(T0))
    # a partial fill of the entry: the exits stay held
    service.on_bar("AAA", bar(1, "100", "100.5", "99.5", volume="16"), uow, cause(T0 + MINUTE))
    store.append(uow.items)
    assert service.orders[ENTRY].filled == 4
    first.close()

    restarted = make_platform(database_url, with_bus=False)
    restarted.build()
    again = restarted.execution
    again.reload_own_state()
    again.instrument_listed("AAA")
    assert set(again.held) == {STOP, PROFIT}
    assert [o.id for o in again.children[ENTRY]] == [STOP, PROFIT]
    group = again.orders[STOP].oco_group
    assert group is not None and [o.id for o in again.oco_groups[group]] == [STOP, PROFIT]
    assert again.orders[ENTRY].status is OrderStatus.PARTIALLY_FILLED
    uow = EventsToAppend()
    # the entry fills its last 6: the exits go to the venue in the same unit of work
    again.on_bar("AAA", bar(2, "100", "100.5", "99.5"), uow, cause(T0 + 2 * MINUTE))
    events = [p.event for p, _ in uow.items]
    assert [(e.order_id, e.quantity) for e in events if isinstance(e, OrderActivated)] == [
        (STOP, 10),
        (PROFIT, 10),
    ]
    restarted.stores["execution"].append(uow.items)
    restarted.close()

    third = make_platform(database_url, with_bus=False)
    third.build()
    once_more = third.execution
    once_more.reload_own_state()
    once_more.instrument_listed("AAA")
    stop = once_more.orders[STOP]
    assert (stop.status, stop.quantity, stop.activated_at) == (
        OrderStatus.ACCEPTED,
        10,
        T0 + 2 * MINUTE,
    )
    assert once_more.held == {} and set(once_more.working) == {STOP, PROFIT}
    uow = EventsToAppend()
    once_more.on_bar("AAA", bar(3, "102", "106", "101.5"), uow, cause(T0 + 3 * MINUTE))
    events = [p.event for p, _ in uow.items]
    assert [e.price for e in events if isinstance(e, OrderFilled)] == [D(105)]
    assert OrderCancelled(STOP, f"OCO: order {PROFIT} executed", D(10)) in events
    third.stores["execution"].append(uow.items)
    third.close()
