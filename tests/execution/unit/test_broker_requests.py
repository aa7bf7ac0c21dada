"""Cancels and amendments of orders working at a FIX broker: each is a request the broker
answers. The order is pending meanwhile — it works on and may still fill — until the broker
confirms (OrderCancelled, CAME / OrderAmended, CHME) or refuses (OrderRequestRefused); one
request at a time; the kill switch requests cancels of the broker's orders in its own append.
Reports are fed as the FIX link maps them (``VenueReport``); the wire is tested against
QuickFIX in tests/execution/integration/test_fix44_execution.py."""

from __future__ import annotations

import uuid
from decimal import Decimal as D

import pytest

from bounded_contexts.execution.application.service import ExecutionService
from bounded_contexts.execution.application.venue_reports import VenueReport
from bounded_contexts.execution.domain.controls.scope import ControlScope
from bounded_contexts.execution.domain.errors import IllegalOrderTransition
from bounded_contexts.execution.domain.events import (
    OrderAmended,
    OrderCancelled,
    OrderCancelRequested,
    OrderFilled,
    OrderReplaceRequested,
    OrderRequestRefused,
)
from bounded_contexts.execution.domain.order import Order, OrderStatus, order_id_of_ref
from events.domain import DomainEvent
from events.effects import EventsToAppend
from tests.execution.unit.test_execution_service import ORDER_ID, T0, cause, command, service

BROKER = "XBRK"
HEX = ORDER_ID.hex


def at_broker() -> tuple[ExecutionService, list[DomainEvent]]:
    """A limit order routed to the broker and acknowledged by it."""
    svc = service(fix_broker_mic=BROKER)
    svc.instrument_listed("AAA", mic=BROKER)
    recorded = EventsToAppend()
    svc.submit(command(order_type="LIMIT", limit_price=D(99)), recorded, cause(T0))
    report(svc, VenueReport(HEX, "N1", "NEW"))
    return svc, [p.event for p, _ in recorded.items]


def report(svc: ExecutionService, venue_report: VenueReport) -> list[DomainEvent]:
    uow = EventsToAppend()
    svc.on_broker_report(venue_report, uow, cause(T0 + 5, key=venue_report.exec_id))
    return [p.event for p, _ in uow.items]


def do(svc: ExecutionService, what: str, **terms: object) -> list[DomainEvent]:
    uow = EventsToAppend()
    if what == "cancel":
        svc.cancel(ORDER_ID, "desk: flat before the close", uow, cause(T0 + 1))
    else:
        svc.amend(ORDER_ID, uow=uow, cause=cause(T0 + 1), **terms)  # type: ignore[arg-type]
    return [p.event for p, _ in uow.items]


def test_a_cancel_is_requested_and_the_broker_s_confirmation_cancels_the_order() -> None:
    svc, _ = at_broker()
    assert do(svc, "cancel") == [
        OrderCancelRequested(ORDER_ID, f"{HEX}.1", "desk: flat before the close")
    ]
    order = svc.orders[ORDER_ID]
    assert order.status is OrderStatus.ACCEPTED and order.is_open  # pending, still working
    confirmed = report(svc, VenueReport(HEX, "C1", "CANCELED", request_ref=f"{HEX}.1"))
    assert confirmed == [
        OrderCancelled(ORDER_ID, "desk: flat before the close (confirmed by the broker)", D(10))
    ]
    assert order.pending_request is None and ORDER_ID not in svc.working


def test_a_fill_while_the_cancel_is_pending_is_a_fill_and_the_rest_is_cancelled() -> None:
    svc, _ = at_broker()
    do(svc, "cancel")
    late = report(svc, VenueReport(HEX, "T1", "TRADE", last_qty=D(4), last_px=D("98.9")))
    assert OrderFilled in [type(e) for e in late]
    report(svc, VenueReport(HEX, "C1", "CANCELED", request_ref=f"{HEX}.1"))
    order = svc.orders[ORDER_ID]
    assert (order.status, order.filled, order.remaining) == (OrderStatus.CANCELLED, 4, 6)
    assert svc.accounts["DEMO-001"].position("AAA") == 4


def test_a_refused_cancel_leaves_the_order_working_and_a_late_refusal_is_recorded_too() -> None:
    svc, _ = at_broker()
    do(svc, "cancel")
    refused = report(
        svc,
        VenueReport(
            HEX, "R1", "CANCEL_REJECTED", text="too late to cancel", request_ref=f"{HEX}.1"
        ),
    )
    assert refused == [OrderRequestRefused(ORDER_ID, f"{HEX}.1", "CANCEL", "too late to cancel")]
    order = svc.orders[ORDER_ID]
    assert order.is_open and order.pending_request is None
    assert [type(e) for e in do(svc, "cancel")] == [OrderCancelRequested]  # may ask again
    assert svc.orders[ORDER_ID].pending_request.request_id == f"{HEX}.2"  # type: ignore[union-attr]


def test_one_request_at_a_time_but_a_cancel_supersedes_a_pending_replace() -> None:
    svc, _ = at_broker()
    do(svc, "cancel")
    with pytest.raises(IllegalOrderTransition, match=f"request {HEX}.1 is pending at the broker"):
        do(svc, "cancel")
    with pytest.raises(IllegalOrderTransition, match="pending at the broker"):
        do(svc, "amend", quantity=D(20))

    other, _ = at_broker()
    do(other, "amend", quantity=D(20))
    with pytest.raises(IllegalOrderTransition, match="pending at the broker"):
        do(other, "amend", quantity=D(30))
    assert [type(e) for e in do(other, "cancel")] == [OrderCancelRequested]  # e.g. a kill switch
    # the replace's late answer no longer matches what is pending: it changes nothing
    assert report(other, VenueReport(HEX, "P1", "REPLACED", request_ref=f"{HEX}.1")) == []
    report(other, VenueReport(HEX, "C1", "CANCELED", request_ref=f"{HEX}.2"))
    assert other.orders[ORDER_ID].status is OrderStatus.CANCELLED


def test_an_amendment_passes_the_controls_is_requested_and_the_replace_confirms_it() -> None:
    svc, _ = at_broker()
    assert do(svc, "amend", quantity=D(20), limit_price=D("98.5")) == [
        OrderReplaceRequested(ORDER_ID, f"{HEX}.1", D(20), D("98.5"), None)
    ]
    order = svc.orders[ORDER_ID]
    assert (order.quantity, order.submitted.limit_price) == (10, 99)  # type: ignore[union-attr]
    replaced = report(svc, VenueReport(f"{HEX}", "P1", "REPLACED", request_ref=f"{HEX}.1"))
    assert [type(e) for e in replaced] == [OrderAmended]
    assert (order.quantity, order.submitted.limit_price) == (20, D("98.5"))  # type: ignore[union-attr]
    assert order.cl_ord_id == f"{HEX}.1"  # the broker knows it by the replace's id now
    # its later reports name it so, and still map to the order
    assert order_id_of_ref(f"{HEX}.1") == ORDER_ID
    fill = report(svc, VenueReport(f"{HEX}.1", "T1", "TRADE", last_qty=D(20), last_px=D("98.5")))
    assert OrderFilled in [type(e) for e in fill]


def test_an_amendment_failing_a_control_is_rejected_here_and_never_sent() -> None:
    svc, _ = at_broker()
    events = do(svc, "amend", quantity=D(5_000))  # 5,000 x 99 over the order value limit
    assert [type(e).__name__ for e in events] == ["OrderAmendRejected"]
    assert svc.orders[ORDER_ID].pending_request is None


def test_a_refused_replace_leaves_the_old_terms() -> None:
    svc, _ = at_broker()
    do(svc, "amend", quantity=D(20))
    report(
        svc,
        VenueReport(HEX, "R1", "CANCEL_REJECTED", text="order not found", request_ref=f"{HEX}.1"),
    )
    order = svc.orders[ORDER_ID]
    assert (order.quantity, order.cl_ord_id, order.pending_request) == (10, HEX, None)


def test_an_answer_to_no_pending_request_records_nothing() -> None:
    svc, _ = at_broker()
    stray = VenueReport(HEX, "R9", "CANCEL_REJECTED", text="?", request_ref=f"{HEX}.7")
    assert report(svc, stray) == []
    assert report(svc, VenueReport(HEX, "P9", "REPLACED", request_ref=f"{HEX}.7")) == []


def test_the_kill_switch_requests_cancels_of_the_broker_s_orders_in_its_own_append() -> None:
    svc, _ = at_broker()
    uow = EventsToAppend()
    cancelled = svc.engage_kill_switch(ControlScope.parse("firm"), "drill", uow, cause(T0 + 2))
    events = [p.event for p, _ in uow.items]
    assert cancelled == []  # none cancelled at once: the broker confirms
    switch, requested = events
    assert switch.orders_cancelled == 0  # type: ignore[attr-defined]
    assert requested == OrderCancelRequested(
        ORDER_ID, f"{HEX}.1", "kill switch of firm engaged: drill"
    )
    report(svc, VenueReport(HEX, "C1", "CANCELED", request_ref=f"{HEX}.1"))
    assert svc.orders[ORDER_ID].reject_reason == (
        "kill switch of firm engaged: drill (confirmed by the broker)"
    )


def test_a_pending_request_survives_a_replay() -> None:
    svc, placed = at_broker()
    requested = do(svc, "amend", quantity=D(20))
    replayed = Order.replay(
        ORDER_ID,
        [e for e in [*placed, *requested] if type(e).__name__.startswith("Order")],
    )
    assert replayed.pending_request == requested[0]
    assert replayed.requests == 1


def test_a_reference_that_is_not_an_order_id_is_refused() -> None:
    for ref in ("", "abc", "c" + HEX[:16]):
        with pytest.raises(ValueError):
            order_id_of_ref(ref)
    assert order_id_of_ref(uuid.UUID(int=5).hex + ".12") == uuid.UUID(int=5)
