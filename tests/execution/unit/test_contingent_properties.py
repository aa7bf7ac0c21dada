"""Properties of contingent orders on any bars and any interventions (hypothesis): no
sequence leaves two members of an OCO group both executed, a held child never fills before
its parent has ended or filled, and every order's recorded events replay to what it is."""

from __future__ import annotations

import uuid
from decimal import Decimal

from hypothesis import event, given, settings
from hypothesis import strategies as st

from bounded_contexts.execution.adapters.venues.simulated import VenueBar
from bounded_contexts.execution.application.service import ExecutionService
from bounded_contexts.execution.domain.controls.scope import ControlScope
from bounded_contexts.execution.domain.events import (
    OrderActivated,
    OrderCancelled,
    OrderFilled,
    OrderRejected,
)
from bounded_contexts.execution.domain.order import Order, OrderStatus
from bounded_contexts.execution.domain.pretrade import PreTradeLimits
from events.effects import EventsToAppend
from tests.execution.unit.test_execution_service import MINUTE, T0, cause, command, service

D = Decimal
ENTRY, PROFIT, STOP, A, B = (uuid.UUID(int=n) for n in (1, 2, 3, 4, 5))
ENTRIES = st.sampled_from(
    [
        {"order_type": "MARKET"},
        {"order_type": "LIMIT", "limit_price": D(100)},
        {"order_type": "LIMIT", "limit_price": D(100), "time_in_force": "IOC"},
        {"order_type": "STOP", "stop_price": D(101)},
    ]
)
BARS = st.tuples(
    st.just("bar"),
    st.integers(min_value=9300, max_value=10700),
    st.integers(min_value=0, max_value=900),
    st.integers(min_value=8, max_value=200),  # 0 would never fill: rarely useful
)
STEPS = st.lists(
    st.one_of(
        *[BARS] * 8,  # mostly bars: interventions are the exception
        st.tuples(st.just("cancel"), st.sampled_from([ENTRY, PROFIT, STOP, A, B])),
        st.tuples(st.just("kill"), st.sampled_from(["instrument:AAA", "firm"])),
    ),
    min_size=3,
    max_size=14,
)


def place(
    svc: ExecutionService, entry: dict[str, object], quantity: Decimal, uow: EventsToAppend
) -> None:
    svc.submit_bracket(
        command(order_id=ENTRY, quantity=quantity, **entry),
        command(
            order_id=PROFIT, side="SELL", quantity=quantity, order_type="LIMIT", limit_price=D(103)
        ),
        command(order_id=STOP, side="SELL", quantity=quantity, order_type="STOP", stop_price=D(97)),
        uow,
        cause(T0),
    )
    svc.submit_oco(
        [
            command(order_id=A, side="BUY", order_type="LIMIT", limit_price=D(98)),
            command(order_id=B, side="BUY", order_type="STOP", stop_price=D(102)),
        ],
        uow,
        cause(T0),
    )


@settings(max_examples=300, deadline=None)
@given(ENTRIES, st.integers(min_value=1, max_value=40).map(Decimal), STEPS)
def test_no_sequence_fills_two_oco_members_or_a_held_child_before_its_parent(
    entry: dict[str, object], quantity: Decimal, steps: list[tuple[object, ...]]
) -> None:
    svc = service(limits=PreTradeLimits(allow_short=True))
    uow = EventsToAppend()
    place(svc, entry, quantity, uow)
    minute, killed = 0, set()
    for step in steps:
        if step[0] == "bar":
            minute += 1
            low, spread, volume = step[1:]  # type: ignore[misc]
            bar = VenueBar(
                T0 + minute * MINUTE,
                D(low + spread // 2) / 100,  # type: ignore[operator]
                D(low + spread) / 100,  # type: ignore[operator]
                D(low) / 100,  # type: ignore[arg-type]
                D(volume),  # type: ignore[arg-type]
            )
            svc.on_bar("AAA", bar, uow, cause(bar.ts_start, key=f"bar/{minute}"))
        elif step[0] == "cancel":
            order = svc.orders[step[1]]  # type: ignore[index]
            if order.is_open:
                svc.cancel(order.id, "by alice", uow, cause(T0 + minute * MINUTE + 1))
        elif step[1] not in killed:
            killed.add(step[1])
            scope = ControlScope.parse(str(step[1]))
            svc.engage_kill_switch(scope, "stop", uow, cause(T0 + minute * MINUTE + 2))
    events = [p.event for p, _ in uow.items]
    for group in ((PROFIT, STOP), (A, B)):
        executed = [o for o in group if svc.orders[o].filled > 0]
        assert len(executed) <= 1, f"both members of {group} executed"
        event(f"OCO members executed: {len(executed)}")
    parent = svc.orders[ENTRY]
    for child_id in (PROFIT, STOP):
        child = svc.orders[child_id]
        fills = [e for e in events if isinstance(e, OrderFilled) and e.order_id == child_id]
        if not fills:
            continue
        event("a bracket exit filled")
        first_fill = events.index(fills[0])
        ended = [
            i
            for i, e in enumerate(events)
            if getattr(e, "order_id", None) == ENTRY
            and (
                isinstance(e, OrderCancelled | OrderRejected)
                or (isinstance(e, OrderFilled) and e.remaining_quantity == 0)
            )
        ]
        activated = [
            i
            for i, e in enumerate(events)
            if isinstance(e, OrderActivated) and e.order_id == child_id
        ]
        assert ended and activated and ended[0] < activated[0] < first_fill
        assert child.quantity <= parent.filled  # never more than the position it protects
    for order in svc.orders.values():
        assert order.status is not OrderStatus.HELD or parent.is_open
        replayed = Order.replay(
            order.id, [p.event for p, _ in uow.items if p.aggregate_id == order.id]
        )
        assert (replayed.status, replayed.filled, replayed.quantity) == (
            order.status,
            order.filled,
            order.quantity,
        )
