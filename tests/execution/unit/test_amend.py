"""Amending a working order (ISO 20022 CHME): the new terms pass the kill switches and the
pre-trade controls on what is left to send, and the venue acknowledges — or the refusal is
recorded and the order works on unchanged; a malformed change or an order no longer working
is refused and records nothing; the amended terms are what the venue fills."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from bounded_contexts.execution.application.service import ExecutionService
from bounded_contexts.execution.domain.controls.events import Limits
from bounded_contexts.execution.domain.controls.scope import ControlScope
from bounded_contexts.execution.domain.errors import (
    IllegalOrderTransition,
    InvalidOrder,
    PriceOffTick,
)
from bounded_contexts.execution.domain.events import (
    ControlBreach,
    OrderAmended,
    OrderAmendRejected,
    OrderFilled,
)
from bounded_contexts.execution.domain.order import OrderStatus
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

ORDER = uuid.UUID(int=1)


def resting(svc: ExecutionService, **overrides: object) -> uuid.UUID:
    """A limit buy of 10 at 90, below the market: it rests."""
    fields: dict[str, object] = {
        "order_id": ORDER,
        "order_type": "LIMIT",
        "limit_price": Decimal(90),
    }
    fields.update(overrides)
    return svc.submit(command(**fields), EventsToAppend(), cause(T0))


def amend(svc: ExecutionService, **change: object) -> list[object]:
    uow = EventsToAppend()
    svc.amend(ORDER, uow=uow, cause=cause(T0 + 5, "amend"), **change)  # type: ignore[arg-type]
    return events_of(uow)


def test_an_amended_price_and_quantity_are_acknowledged_and_filled_on() -> None:
    svc = service()
    resting(svc)
    recorded = amend(svc, quantity=Decimal(20), limit_price=Decimal(100))
    assert recorded == [
        OrderAmended(
            ORDER, Decimal(20), Decimal(100), None, Decimal(10), Decimal(90), None, Decimal(20),
            T0 + 5,
        )
    ]  # fmt: skip
    uow = EventsToAppend()
    svc.on_bar("AAA", bar_at(T0 + MINUTE, open_="100", low="99"), uow, cause(T0 + MINUTE))
    [fill] = [e for e in events_of(uow) if isinstance(e, OrderFilled)]
    assert (fill.quantity, fill.price) == (Decimal(20), Decimal(100))  # the new terms


def test_a_partly_filled_order_is_amended_on_what_is_left() -> None:
    svc = service()
    resting(svc, limit_price=Decimal(100), quantity=Decimal(40))
    # a thin bar: 25 % of 100 traded fills 25 of the 40
    svc.on_bar("AAA", bar_at(T0 + MINUTE, volume="100"), EventsToAppend(), cause(T0 + MINUTE))
    assert svc.orders[ORDER].filled == Decimal(25)
    with pytest.raises(InvalidOrder, match="above the 25 already filled"):
        amend(svc, quantity=Decimal(25))
    [amended] = amend(svc, quantity=Decimal(30))
    assert amended.remaining_quantity == Decimal(5)
    assert svc.orders[ORDER].status is OrderStatus.PARTIALLY_FILLED


def test_an_amendment_breaking_a_control_is_recorded_as_refused_and_the_order_works_on() -> None:
    svc = service()
    resting(svc)
    uow = EventsToAppend()
    svc.set_risk_limits(
        ControlScope.parse("instrument:AAA"),
        Limits(max_order_quantity=Decimal(50)),
        "desk",
        uow,
        cause(T0),
    )
    [refused] = amend(svc, quantity=Decimal(60))
    assert isinstance(refused, OrderAmendRejected)
    assert refused.breaches == (
        ControlBreach("max_order_quantity", Decimal(50), Decimal(60), "instrument:AAA"),
    )
    assert refused.requested_quantity == Decimal(60)
    order = svc.orders[ORDER]
    assert (order.quantity, order.status) == (Decimal(10), OrderStatus.ACCEPTED)


def test_an_amendment_under_an_engaged_kill_switch_is_refused() -> None:
    svc = service()
    resting(svc)
    svc.engage_kill_switch(ControlScope.parse("trader:bob"), "x", EventsToAppend(), cause(T0))
    assert isinstance(amend(svc, limit_price=Decimal(91))[0], OrderAmended)  # alice's order
    svc.engage_kill_switch(ControlScope.parse("trader:alice"), "x", EventsToAppend(), cause(T0))
    assert svc.orders[ORDER].status is OrderStatus.CANCELLED  # the switch cancelled it
    with pytest.raises(IllegalOrderTransition, match="CANCELLED: cannot amend"):
        amend(svc, limit_price=Decimal(92))


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({}, InvalidOrder, "already has these terms"),
        ({"limit_price": Decimal(90)}, InvalidOrder, "already has these terms"),
        ({"stop_price": Decimal(95)}, InvalidOrder, "LIMIT order's stop price cannot"),
        ({"limit_price": Decimal("-1")}, InvalidOrder, "positive"),
        ({"limit_price": Decimal("90.00001")}, PriceOffTick, "tick size"),
        ({"quantity": Decimal(0)}, InvalidOrder, "quantity"),
    ],
)
def test_a_malformed_amendment_is_refused_and_records_nothing(
    change: dict[str, object], error: type[Exception], message: str
) -> None:
    svc = service()
    resting(svc)
    uow = EventsToAppend()
    with pytest.raises(error, match=message):
        svc.amend(ORDER, uow=uow, cause=cause(T0 + 5), **change)  # type: ignore[arg-type]
    assert uow.items == []
    assert svc.orders[ORDER].quantity == Decimal(10)


def test_a_market_order_s_limit_cannot_be_amended_and_a_filled_order_not_at_all() -> None:
    svc = service()
    order_id = svc.submit(command(), EventsToAppend(), cause(T0))
    with pytest.raises(InvalidOrder, match="MARKET order's limit price cannot"):
        svc.amend(order_id, limit_price=Decimal(1), uow=EventsToAppend(), cause=cause(T0))
    svc.on_bar("AAA", bar_at(T0 + MINUTE), EventsToAppend(), cause(T0 + MINUTE))
    with pytest.raises(IllegalOrderTransition, match="FILLED: cannot amend"):
        svc.amend(order_id, quantity=Decimal(20), uow=EventsToAppend(), cause=cause(T0))


def test_a_stop_moves_before_its_trigger_and_not_after() -> None:
    svc = service()
    resting(svc, order_type="STOP", limit_price=None, stop_price=Decimal(105))
    [moved] = amend(svc, stop_price=Decimal(110))
    assert (moved.stop_price, moved.previous_stop_price) == (Decimal(110), Decimal(105))
    assert svc.orders[ORDER].trigger_price == Decimal(110)
