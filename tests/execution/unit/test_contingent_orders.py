"""Contingent orders — OCO groups, OTO parents with held children, brackets — against the
simulated venue with known-answer prices: the service on an in-memory unit of work, bars fed
one by one as ``on_bar`` gets them.

Venue defaults: slippage 2 bp, fee 1.5 bp with a 1.00 minimum, at most 25 % of a bar's volume
per fill. Orders are placed at T0; the first bar starts a minute later."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from bounded_contexts.execution.adapters.venues.simulated import VenueBar
from bounded_contexts.execution.application.contingent import CONTINGENT_ACTOR
from bounded_contexts.execution.application.service import ExecutionService, SubmitOrder
from bounded_contexts.execution.domain.controls.scope import ControlScope
from bounded_contexts.execution.domain.errors import (
    ContingentAtTheBroker,
    IllegalOrderTransition,
    InvalidOrder,
)
from bounded_contexts.execution.domain.events import (
    ControlBreach,
    OrderAccepted,
    OrderActivated,
    OrderCancelled,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
    OrderTriggered,
)
from bounded_contexts.execution.domain.order import OrderStatus
from bounded_contexts.execution.domain.pretrade import PreTradeLimits
from events.codec import upcast
from events.domain import DomainEvent
from events.effects import EventsToAppend
from tests.execution.unit.test_execution_service import MINUTE, T0, cause, command, service

D = Decimal
SHORTS = PreTradeLimits(allow_short=True, max_messages_per_second=1000)  # counted
ENTRY, PROFIT, STOP = (uuid.UUID(int=n) for n in (0xE1, 0x71, 0x51))
A, B, C = (uuid.UUID(int=n) for n in (0xA, 0xB, 0xC))


def bar(minute: int, o: str, h: str, low: str, volume: str = "100000") -> VenueBar:
    return VenueBar(T0 + minute * MINUTE, D(o), D(h), D(low), D(volume))


def feed(svc: ExecutionService, *bars: VenueBar) -> list[DomainEvent]:
    uow = EventsToAppend()
    for b in bars:
        svc.on_bar("AAA", b, uow, cause(b.ts_start, key=f"bar/{b.ts_start}"))
    return [p.event for p, _ in uow.items]


def of(events: list[DomainEvent], order_id: uuid.UUID) -> list[DomainEvent]:
    """The order's own events (not the account's booking of its fills)."""
    return [
        e
        for e in events
        if type(e).__name__.startswith("Order") and getattr(e, "order_id", None) == order_id
    ]


def bracket(side: str = "BUY", **changes: dict[str, object]) -> tuple[SubmitOrder, ...]:
    """A long (or short) bracket of 10 around an entry limit at 100: take-profit 105 (95 for a
    short), stop-loss 95 (105)."""
    exit_side = "SELL" if side == "BUY" else "BUY"
    profit, loss = (D(105), D(95)) if side == "BUY" else (D(95), D(105))
    legs = {
        "entry": {"order_id": ENTRY, "side": side, "order_type": "LIMIT", "limit_price": D(100)},
        "take_profit": {
            "order_id": PROFIT,
            "side": exit_side,
            "order_type": "LIMIT",
            "limit_price": profit,
        },
        "stop_loss": {
            "order_id": STOP,
            "side": exit_side,
            "order_type": "STOP",
            "stop_price": loss,
        },
    }
    return tuple(command(**{**legs[name], **changes.get(name, {})}) for name in legs)


def place_bracket(
    svc: ExecutionService, side: str = "BUY", **changes: dict[str, object]
) -> list[DomainEvent]:
    uow = EventsToAppend()
    svc.submit_bracket(*bracket(side, **changes), uow, cause(T0))
    return [p.event for p, _ in uow.items]


# -- brackets -------------------------------------------------------------------------------
def test_a_bracket_records_its_entry_sent_and_its_exits_held_in_one_unit_of_work() -> None:
    svc = service(limits=SHORTS)
    events = place_bracket(svc)
    assert [(type(e).__name__, e.order_id) for e in events[1:]] == [  # after AccountOpened
        ("OrderSubmitted", ENTRY),
        ("OrderAccepted", ENTRY),
        ("OrderSubmitted", STOP),
        ("OrderSubmitted", PROFIT),
    ]
    entry, stop, profit = (e for e in events if isinstance(e, OrderSubmitted))
    assert (entry.oco_group, entry.parent_order_id) == (None, None)
    assert stop.parent_order_id == profit.parent_order_id == ENTRY
    assert stop.oco_group == profit.oco_group is not None
    assert (stop.ts_submitted, profit.ts_submitted) == (None, None)  # not sent yet
    assert svc.orders[STOP].status is svc.orders[PROFIT].status is OrderStatus.HELD
    assert set(svc.held) == {STOP, PROFIT} and set(svc.working) == {ENTRY}
    assert svc.controls.messages_sent(ControlScope.parse("firm"), T0) == 1  # the entry only


def test_a_bracket_whose_take_profit_is_hit_sells_there_and_cancels_the_stop_loss() -> None:
    svc = service(limits=SHORTS)
    place_bracket(svc)
    first = feed(svc, bar(1, "100", "100.5", "99.5"))
    # the entry buys at its limit; its exits go to the venue as it fills (stop-loss first)
    assert [type(e) for e in of(first, ENTRY)] == [OrderFilled]
    (bought,) = of(first, ENTRY)
    assert (bought.quantity, bought.price, bought.fee) == (10, D(100), D("1.00"))  # type: ignore[attr-defined]
    activated = [e for e in first if isinstance(e, OrderActivated)]
    assert [(e.order_id, e.quantity, e.ts_activated) for e in activated] == [
        (STOP, 10, T0 + MINUTE),
        (PROFIT, 10, T0 + MINUTE),
    ]
    assert activated[0].reason == f"parent {ENTRY} filled"
    assert [type(e) for e in of(first, PROFIT)] == [OrderActivated, OrderAccepted]
    assert not any(isinstance(e, OrderFilled) for e in of(first, PROFIT) + of(first, STOP))
    # the next bar reaches 106: the take-profit sells at its limit 105, the stop-loss goes
    second = feed(svc, bar(2, "102", "106", "101.5"))
    (sold,) = [e for e in of(second, PROFIT) if isinstance(e, OrderFilled)]
    assert (sold.quantity, sold.price, sold.fee) == (10, D(105), D("1.00"))
    (cancelled,) = of(second, STOP)
    assert cancelled == OrderCancelled(STOP, f"OCO: order {PROFIT} executed", D(10))
    assert second.index(sold) < second.index(cancelled)  # the same unit of work, after it
    assert svc.accounts["DEMO-001"].position("AAA") == 0


def test_a_bracket_whose_stop_loss_is_hit_sells_at_the_stop_less_slippage() -> None:
    svc = service(limits=SHORTS)
    place_bracket(svc)
    feed(svc, bar(1, "100", "100.5", "99.5"))
    events = feed(svc, bar(2, "99", "99.5", "94"))
    assert [type(e) for e in of(events, STOP)] == [OrderTriggered, OrderFilled]
    sold = of(events, STOP)[1]
    assert (sold.quantity, sold.price, sold.fee) == (10, D("94.9810"), D("1.00"))  # type: ignore[attr-defined]
    # the take-profit had joined the book's queue at 105 (OrderQueued) before it went
    assert of(events, PROFIT)[-1] == OrderCancelled(PROFIT, f"OCO: order {STOP} executed", D(10))
    assert svc.accounts["DEMO-001"].position("AAA") == 0


def test_a_bar_crossing_both_exits_fills_the_stop_loss_and_only_it() -> None:
    """A bar has no path: the venue takes the adverse reading (the stop-loss was reached
    first), so the stop-loss fills and the take-profit goes — no profit the market may not
    have given."""
    svc = service(limits=SHORTS)
    place_bracket(svc)
    feed(svc, bar(1, "100", "100.5", "99.5"))
    events = feed(svc, bar(2, "100", "106", "94"))
    assert svc.orders[STOP].status is OrderStatus.FILLED
    assert of(events, PROFIT)[-1] == OrderCancelled(PROFIT, f"OCO: order {STOP} executed", D(10))
    assert not [e for e in of(events, PROFIT) if isinstance(e, OrderFilled)]


def test_a_short_bracket_mirrors_the_long_one() -> None:
    svc = service(limits=SHORTS)
    place_bracket(svc, "SELL")
    feed(svc, bar(1, "100", "100.5", "99.5"))
    events = feed(svc, bar(2, "97", "98", "94"))
    (bought,) = [e for e in of(events, PROFIT) if isinstance(e, OrderFilled)]
    assert (bought.quantity, bought.price) == (10, D(95))
    assert svc.orders[STOP].status is OrderStatus.CANCELLED
    assert svc.accounts["DEMO-001"].position("AAA") == 0


def test_the_exits_never_trade_on_the_bar_their_entry_filled_on() -> None:
    svc = service(limits=SHORTS)
    place_bracket(svc)
    events = feed(svc, bar(1, "100", "106", "94"))  # crosses both exits after the entry
    assert svc.orders[ENTRY].status is OrderStatus.FILLED
    assert svc.orders[STOP].status is svc.orders[PROFIT].status is OrderStatus.ACCEPTED
    assert not [e for e in events if isinstance(e, OrderFilled) and e.order_id != ENTRY]


# -- a parent that ends -----------------------------------------------------------------------
def test_a_parent_cancelled_before_any_fill_cancels_its_held_children_never_sent() -> None:
    svc = service(limits=SHORTS)
    place_bracket(svc)
    uow = EventsToAppend()
    svc.cancel(ENTRY, "cancelled by alice", uow, cause(T0 + 1))
    events = [p.event for p, _ in uow.items]
    assert [(type(e), e.order_id) for e in events] == [  # type: ignore[attr-defined]
        (OrderCancelled, ENTRY),
        (OrderCancelled, STOP),
        (OrderCancelled, PROFIT),
    ]
    reason = f"never sent: parent {ENTRY} cancelled with nothing filled"
    assert events[1].reason == reason  # type: ignore[attr-defined]
    assert [c.actor for _, c in uow.items][1:] == [CONTINGENT_ACTOR] * 2
    assert svc.held == {} and svc.working == {}
    assert svc.controls.messages_sent(ControlScope.parse("firm"), T0 + 1) == 2  # entry + cancel


def test_a_parent_partly_filled_then_expired_activates_its_children_for_what_it_filled() -> None:
    svc = service(limits=SHORTS)
    place_bracket(svc, entry={"time_in_force": "GTD", "expire_at": T0 + 2 * MINUTE})
    first = feed(svc, bar(1, "100", "100.5", "99.5", volume="16"))  # 25 %: 4 of 10
    assert svc.orders[ENTRY].filled == 4 and svc.held.keys() == {STOP, PROFIT}
    assert not of(first, STOP)  # a partial fill sends nothing yet
    second = feed(svc, bar(2, "100", "100.5", "99.5"))
    assert [type(e) for e in of(second, ENTRY)] == [OrderCancelled]
    activated = [e for e in second if isinstance(e, OrderActivated)]
    assert [(e.order_id, e.quantity, e.previous_quantity) for e in activated] == [
        (STOP, 4, 10),
        (PROFIT, 4, 10),
    ]
    assert activated[0].reason == (f"parent {ENTRY} expired with 4 of 10 filled: 4 of 10 activated")
    assert svc.orders[STOP].status is OrderStatus.ACCEPTED and svc.orders[STOP].quantity == 4
    third = feed(svc, bar(3, "102", "106", "101.5"))
    (sold,) = [e for e in of(third, PROFIT) if isinstance(e, OrderFilled)]
    assert (sold.quantity, sold.price) == (4, D(105))
    assert svc.accounts["DEMO-001"].position("AAA") == 0


def test_a_child_share_under_one_lot_is_cancelled_rather_than_sent() -> None:
    svc = service(limits=SHORTS)
    svc.instrument_listed("AAA", lot_size=D(5))
    place_bracket(svc, entry={"time_in_force": "IOC"})
    feed(svc, bar(1, "100", "100.5", "99.5", volume="16"))  # 4 filled: under one lot of 5
    assert svc.orders[STOP].status is OrderStatus.CANCELLED
    assert svc.orders[STOP].reject_reason == (
        f"never sent: parent {ENTRY} expired with a share under one lot"
    )


def test_a_rejected_parent_cancels_its_children_in_the_same_unit_of_work() -> None:
    svc = service(limits=PreTradeLimits(max_order_quantity=D(5), allow_short=True))
    events = place_bracket(svc)
    assert [type(e) for e in of(events, ENTRY)] == [OrderSubmitted, OrderRejected]
    assert svc.orders[STOP].status is svc.orders[PROFIT].status is OrderStatus.CANCELLED
    assert svc.orders[PROFIT].reject_reason == (
        f"never sent: parent {ENTRY} rejected with nothing filled"
    )


def test_a_child_refused_by_a_control_at_activation_is_rejected_there_naming_it() -> None:
    """Children are not checked when placed — only when sent: a child above the order
    quantity limit is recorded held, then rejected when its parent fills."""
    svc = service(limits=PreTradeLimits(max_order_quantity=D(15), allow_short=True))
    parent = command(order_id=A, order_type="LIMIT", limit_price=D(100))
    big = command(order_id=B, side="SELL", order_type="LIMIT", limit_price=D(105), quantity=D(20))
    small = command(order_id=C, side="SELL", order_type="LIMIT", limit_price=D(106))
    uow = EventsToAppend()
    assert svc.submit_oto(parent, [big, small], uow, cause(T0)) == [A, B, C]
    assert svc.orders[B].status is OrderStatus.HELD  # not checked yet
    events = feed(svc, bar(1, "100", "100.5", "99.5"))
    assert [type(e) for e in of(events, B)] == [OrderActivated, OrderRejected]
    rejected = of(events, B)[1]
    assert rejected.breaches == (  # type: ignore[attr-defined]
        ControlBreach("max_order_quantity", D(15), D(20), "firm"),
    )
    assert svc.orders[C].status is OrderStatus.ACCEPTED  # not an OCO: the other goes on


def test_a_bracket_exit_rejected_at_activation_leaves_the_other_protecting_the_position() -> None:
    svc = service(limits=PreTradeLimits(price_collar_pct=D(8), allow_short=True))
    place_bracket(svc, take_profit={"limit_price": D(120)})  # 20 % away: outside the collar
    events = feed(svc, bar(1, "100", "100.5", "99.5"))
    assert [type(e) for e in of(events, PROFIT)] == [OrderActivated, OrderRejected]
    assert svc.orders[STOP].status is OrderStatus.ACCEPTED


# -- kill switch, cancel-all, amend -----------------------------------------------------------
def test_a_kill_switch_cancels_held_children_with_their_parent() -> None:
    svc = service(limits=SHORTS)
    place_bracket(svc)
    uow = EventsToAppend()
    cancelled = svc.engage_kill_switch(ControlScope.parse("firm"), "runaway", uow, cause(T0 + 1))
    assert cancelled == [ENTRY, STOP, PROFIT]
    assert all(svc.orders[o].status is OrderStatus.CANCELLED for o in cancelled)
    reasons = {svc.orders[o].reject_reason for o in (STOP, PROFIT)}
    assert reasons == {"never sent: kill switch of firm engaged: runaway"}  # the switch's own
    assert {c.actor for _, c in uow.items} == {"person:alice"}
    assert svc.held == {} and svc.working == {}


def test_cancel_all_in_a_scope_cancels_held_children_too() -> None:
    svc = service(limits=SHORTS)
    place_bracket(svc)
    uow = EventsToAppend()
    cancelled = svc.cancel_all(ControlScope.parse("instrument:AAA"), "end of day", uow, cause(1))
    assert cancelled == [ENTRY, STOP, PROFIT] and svc.held == {}


def test_a_held_child_cannot_be_amended() -> None:
    svc = service(limits=SHORTS)
    place_bracket(svc)
    with pytest.raises(IllegalOrderTransition, match="is HELD: cannot amend"):
        svc.amend(STOP, stop_price=D(96), uow=EventsToAppend(), cause=cause(T0 + 1))


def test_a_person_may_cancel_one_held_exit_which_cancels_its_oco_partner() -> None:
    svc = service(limits=SHORTS)
    place_bracket(svc)
    uow = EventsToAppend()
    svc.cancel(STOP, "cancelled by alice", uow, cause(T0 + 1))
    assert svc.orders[STOP].reject_reason == "never sent: cancelled by alice"
    assert svc.orders[PROFIT].reject_reason == f"never sent: OCO: order {STOP} cancelled"
    assert svc.orders[ENTRY].status is OrderStatus.ACCEPTED  # the entry works on, unprotected
    assert svc.controls.messages_sent(ControlScope.parse("firm"), T0 + 1) == 1  # nothing sent


# -- OCO groups -------------------------------------------------------------------------------
def oco(svc: ExecutionService, **changes: dict[str, object]) -> list[DomainEvent]:
    """Sell 10 at 105 (limit) or sell 10 at 95 (stop)."""
    members = [
        command(order_id=A, side="SELL", order_type="LIMIT", limit_price=D(105)),
        command(order_id=B, side="SELL", order_type="STOP", stop_price=D(95)),
    ]
    members = [
        SubmitOrder(**{**m.__dict__, **changes.get(name, {})})
        for m, name in zip(members, ("a", "b"), strict=True)
    ]
    uow = EventsToAppend()
    svc.submit_oco(members, uow, cause(T0))
    return [p.event for p, _ in uow.items]


def test_the_first_fill_of_an_oco_member_cancels_the_others_in_the_same_unit_of_work() -> None:
    svc = service(limits=SHORTS)
    events = oco(svc)
    assert [type(e) for e in of(events, A)] == [OrderSubmitted, OrderAccepted]
    assert of(events, A)[0].oco_group == of(events, B)[0].oco_group is not None  # type: ignore[attr-defined]
    events = feed(svc, bar(1, "104", "106", "103"))
    (filled,) = [e for e in of(events, A) if isinstance(e, OrderFilled)]
    assert (filled.quantity, filled.price) == (10, D(105))
    assert of(events, B) == [OrderCancelled(B, f"OCO: order {A} executed", D(10))]


def test_a_partial_fill_of_an_oco_member_is_its_first_execution_too() -> None:
    svc = service(limits=SHORTS)
    oco(svc)
    events = feed(svc, bar(1, "104", "106", "103", volume="8"))  # 25 %: 2 of 10
    assert svc.orders[A].status is OrderStatus.PARTIALLY_FILLED and svc.orders[A].filled == 2
    assert of(events, B) == [OrderCancelled(B, f"OCO: order {A} executed", D(10))]
    feed(svc, bar(2, "104", "106", "103"))  # the executed member works on to the end
    assert svc.orders[A].status is OrderStatus.FILLED


def test_cancelling_one_oco_member_cancels_the_group() -> None:
    svc = service(limits=SHORTS)
    oco(svc)
    uow = EventsToAppend()
    svc.cancel(B, "cancelled by alice", uow, cause(T0 + 1))
    assert [(type(p.event), p.aggregate_id) for p, _ in uow.items] == [
        (OrderCancelled, B),
        (OrderCancelled, A),
    ]
    assert svc.orders[A].reject_reason == f"OCO: order {B} cancelled"


def test_an_oco_member_rejected_at_placement_rejects_the_whole_group() -> None:
    limits = PreTradeLimits(max_order_quantity=D(15), allow_short=True, max_messages_per_second=9)
    svc = service(limits=limits)
    events = oco(svc, b={"quantity": D(20)})
    assert [type(e) for e in events if isinstance(e, OrderRejected | OrderAccepted)] == [
        OrderRejected,
        OrderRejected,
    ]
    assert svc.orders[B].breaches == (ControlBreach("max_order_quantity", D(15), D(20), "firm"),)
    assert svc.orders[A].reject_reason is not None
    assert svc.orders[A].reject_reason.startswith(f"OCO group refused: order {B} was rejected")
    assert svc.working == {}
    assert svc.controls.messages_sent(ControlScope.parse("firm"), T0) == 0


# -- bad input: named errors, nothing recorded ------------------------------------------------
@pytest.mark.parametrize(
    ("side", "changes", "field", "message"),
    [
        ("BUY", {"take_profit": {"side": "BUY"}}, "take_profit.side", "must be a SELL"),
        ("BUY", {"stop_loss": {"quantity": D(5)}}, "stop_loss.quantity", "entry's quantity 10"),
        (
            "BUY",
            {"take_profit": {"limit_price": D(99)}},
            "take_profit.limit_price",
            "must lie above the entry's price 100",
        ),
        (
            "BUY",
            {"stop_loss": {"stop_price": D(101)}},
            "stop_loss.stop_price",
            "must lie below the entry's price 100",
        ),
        (
            "SELL",
            {"stop_loss": {"stop_price": D(99)}},
            "stop_loss.stop_price",
            "must lie above the entry's price 100",
        ),
        (
            "BUY",
            {"take_profit": {"limit_price": D(94)}, "entry": {"order_type": "MARKET"}},
            "take_profit.limit_price",
            "must lie above its stop-loss stop 95",
        ),
        ("BUY", {"take_profit": {"order_type": "MARKET"}}, "take_profit.order_type", "LIMIT"),
        ("BUY", {"stop_loss": {"instrument_id": "BBB"}}, "stop_loss.instrument_id", "'AAA'"),
        (
            "BUY",
            {"stop_loss": {"stop_price": D("94.00001")}},
            "stop_loss.stop_price",
            "stop_loss: stop price",
        ),
    ],
)
def test_a_malformed_bracket_is_refused_naming_the_field_and_records_nothing(
    side: str, changes: dict[str, dict[str, object]], field: str, message: str
) -> None:
    svc = service(limits=SHORTS)
    svc.instrument_listed("BBB")
    if changes.get("entry", {}).get("order_type") == "MARKET":
        changes["entry"]["limit_price"] = None
    uow = EventsToAppend()
    with pytest.raises(InvalidOrder, match=message) as info:
        svc.submit_bracket(*bracket(side, **changes), uow, cause(T0))
    assert info.value.field == field
    assert uow.items == [] and svc.orders == {} and svc.held == {}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"b": {"instrument_id": "BBB"}}, "orders[1].instrument_id", "the group's instrument"),
        ({"b": {"account_id": "OTHER"}}, "orders[1].account_id", "the group's account"),
        ({"b": {"order_id": A}}, "orders[1].order_id", "repeats order id"),
        ({"b": {"order_type": "LIMIT"}}, "orders[1].limit_price", "orders\\[1\\]: "),
    ],
)
def test_a_malformed_oco_group_is_refused_naming_the_member_and_records_nothing(
    changes: dict[str, dict[str, object]], field: str, message: str
) -> None:
    svc = service(limits=SHORTS)
    svc.instrument_listed("BBB")
    with pytest.raises(InvalidOrder, match=message) as info:
        oco(svc, **changes)
    assert info.value.field == field
    assert svc.orders == {} and svc.working == {}


def test_an_oco_group_of_one_is_refused() -> None:
    svc = service()
    with pytest.raises(InvalidOrder, match="2 to 10 orders, got 1"):
        svc.submit_oco([command()], EventsToAppend(), cause(T0))
    assert svc.orders == {}


def test_a_contingent_order_routed_to_the_fix_broker_is_refused() -> None:
    svc = service(limits=SHORTS, fix_broker_mic="XBRK")
    svc.instrument_listed("AAA", mic="XBRK")
    uow = EventsToAppend()
    with pytest.raises(ContingentAtTheBroker, match="not supported at a FIX broker") as info:
        svc.submit_bracket(*bracket(), uow, cause(T0))
    assert info.value.field == "entry" and uow.items == [] and svc.orders == {}


def test_a_v3_order_reads_as_v4_without_contingency() -> None:
    v3 = command().__dict__  # any order: its OrderSubmitted as v3 stored it
    submitted = OrderSubmitted(
        v3["order_id"], "DEMO-001", "AAA", "BUY", "MARKET", D(10), None, "GTC", None, "MANUAL",
        None, None,
    ).to_payload()  # fmt: skip
    del submitted["oco_group"], submitted["parent_order_id"]
    payload = upcast(OrderSubmitted, 3, submitted, where="test")
    event = OrderSubmitted.from_payload(payload)
    assert (event.oco_group, event.parent_order_id) == (None, None)
