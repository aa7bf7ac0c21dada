"""Property-based tests of the Order state machine and of the venue driving it (hypothesis):
no sequence of commands reaches an illegal state, quantities never go negative, filled never
exceeds ordered, and what was recorded replays to the same order."""

from __future__ import annotations

import uuid
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from bounded_contexts.execution.adapters.venues.simulated import VenueBar
from bounded_contexts.execution.domain.errors import IllegalOrderTransition, InvalidOrder
from bounded_contexts.execution.domain.events import OrderFilled, OrderSubmitted, OrderTriggered
from bounded_contexts.execution.domain.order import ALLOWED, Order, OrderStatus
from bounded_contexts.execution.domain.pretrade import PreTradeLimits
from events.effects import EventsToAppend
from tests.execution.unit.test_execution_service import MINUTE, T0, cause, command, service

ORDER_ID = uuid.UUID("00000000-0000-4000-8000-0000000000ff")
EDGES = {
    "accept": {OrderStatus.ACCEPTED},
    "reject": {OrderStatus.REJECTED},
    "trigger": {OrderStatus.TRIGGERED},
    "move_trailing_stop": {OrderStatus.ACCEPTED},
    "fill": {OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED},
    "cancel": {OrderStatus.CANCELLED},
    "expire": {OrderStatus.CANCELLED},
}

quantities = st.integers(min_value=-5, max_value=120).map(Decimal)
commands = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["accept", "reject", "trigger", "move", "cancel", "expire"])),
        st.tuples(st.just("fill"), quantities),
    ),
    max_size=25,
)


def act(order: Order, step: tuple[object, ...]) -> str:
    name = step[0]
    if name == "accept":
        order.accept(1)
    elif name == "reject":
        order.reject("refused")
    elif name == "trigger":
        order.trigger(Decimal(11), 2)
    elif name == "move":
        order.move_trailing_stop(Decimal(9), Decimal(10), 2)
        return "move_trailing_stop"
    elif name == "fill":
        order.fill(step[1], Decimal(10), Decimal(1))  # type: ignore[arg-type]
    elif name == "cancel":
        order.cancel("by the trader")
    else:
        order.expire("at 3 (GTD)")
    return str(name)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["MARKET", "TRAILING_STOP", "STOP_LIMIT"]), commands)
def test_no_sequence_of_commands_reaches_an_illegal_state(
    order_type: str, sequence: list[tuple[object, ...]]
) -> None:
    terms: dict[str, object] = {
        "MARKET": {},
        "TRAILING_STOP": {"trail_percent": Decimal(1)},
        "STOP_LIMIT": {"stop_price": Decimal(11), "limit_price": Decimal(12)},
    }[order_type]
    order = Order.submit(
        OrderSubmitted(
            ORDER_ID,
            "ACC-1",
            "AAA",
            "BUY",
            order_type,  # type: ignore[arg-type]
            Decimal(100),
            terms.pop("limit_price", None),  # type: ignore[arg-type]
            "GTC",
            None,
            "MANUAL",
            None,
            None,
            **terms,  # type: ignore[arg-type]
        )
    )
    recorded = [p.event for p in order.collect_pending()]
    for step in sequence:
        before = (order.status, order.version, order.filled)
        try:
            action = act(order, step)
        except (IllegalOrderTransition, InvalidOrder):
            assert order.collect_pending() == []  # a refusal records nothing
            assert (order.status, order.version, order.filled) == before
            continue
        pending = order.collect_pending()
        assert len(pending) == 1  # a legal command records exactly one event
        recorded.append(pending[0].event)
        assert before[0] in ALLOWED[action]  # only from a status the machine allows
        assert order.status in EDGES[action]  # and only to where that edge leads
        if action == "fill" and order_type != "MARKET":
            assert any(isinstance(e, OrderTriggered) for e in recorded)
        assert Decimal(0) <= order.filled <= order.quantity
        assert order.remaining >= 0
        assert (order.status is OrderStatus.FILLED) == (order.filled == order.quantity)
    replayed = Order.replay(ORDER_ID, recorded)
    assert (replayed.status, replayed.filled, replayed.version) == (
        order.status,
        order.filled,
        order.version,
    )


ORDERS = st.sampled_from(
    [
        {"order_type": "MARKET"},
        {"order_type": "LIMIT", "limit_price": Decimal(99)},
        {"order_type": "LIMIT", "limit_price": Decimal(99), "post_only": True},
        {"order_type": "STOP", "stop_price": Decimal(101)},
        {"order_type": "STOP_LIMIT", "stop_price": Decimal(101), "limit_price": Decimal(102)},
        {"order_type": "MARKET_IF_TOUCHED", "stop_price": Decimal(99)},
        {"order_type": "LIMIT_IF_TOUCHED", "stop_price": Decimal(99), "limit_price": Decimal(98)},
        {"order_type": "TRAILING_STOP", "trail_amount": Decimal(1)},
        {"order_type": "TRAILING_STOP", "trail_percent": Decimal("0.5")},
        {"order_type": "MARKET", "time_in_force": "IOC"},
        {"order_type": "LIMIT", "limit_price": Decimal(100), "time_in_force": "FOK"},
        {"order_type": "LIMIT", "limit_price": Decimal(100), "time_in_force": "DAY"},
    ]
)


@st.composite
def bars(draw: st.DrawFn) -> list[VenueBar]:
    count = draw(st.integers(min_value=1, max_value=8))
    result = []
    for minute in range(1, count + 1):
        low = draw(st.integers(min_value=9500, max_value=10500))
        high = low + draw(st.integers(min_value=0, max_value=400))
        open_ = draw(st.integers(min_value=low, max_value=high))
        volume = draw(st.integers(min_value=0, max_value=200))
        result.append(
            VenueBar(
                T0 + minute * MINUTE,
                Decimal(open_) / 100,
                Decimal(high) / 100,
                Decimal(low) / 100,
                Decimal(volume),
            )
        )
    return result


@settings(max_examples=200, deadline=None)
@given(
    ORDERS,
    st.sampled_from(["BUY", "SELL"]),
    st.integers(min_value=1, max_value=60).map(Decimal),
    st.booleans(),
    bars(),
)
def test_any_order_on_any_bars_keeps_its_quantities_whole_and_replays_identically(
    terms: dict[str, object],
    side: str,
    quantity: Decimal,
    reduce_only: bool,
    sequence: list[VenueBar],
) -> None:
    svc = service(limits=PreTradeLimits(allow_short=True))
    # a long of 20 to reduce (a sell) or to leave alone (a buy)
    setup = EventsToAppend()
    svc.submit(
        command(order_id=uuid.UUID(int=7), quantity=Decimal(20)), setup, cause(T0 - 2 * MINUTE)
    )
    flat = Decimal(100)
    svc.on_bar("AAA", VenueBar(T0 - MINUTE, flat, flat, flat, Decimal(80)), setup, cause(T0))
    uow = EventsToAppend()
    svc.submit(
        command(side=side, quantity=quantity, reduce_only=reduce_only, **terms), uow, cause(T0)
    )
    order = next(o for o in svc.orders.values() if o.id != uuid.UUID(int=7))
    for bar in sequence:
        svc.on_bar("AAA", bar, uow, cause(bar.ts_start, key=f"bar/{bar.ts_start}"))
        assert Decimal(0) <= order.filled <= order.quantity
        assert order.remaining >= 0
        if terms.get("time_in_force") in ("IOC", "FOK"):
            assert not order.is_open  # one bar, then filled or expired
        if reduce_only:
            assert svc.accounts["DEMO-001"].position("AAA") >= 0  # never flipped short
    mine = [p.event for p, _ in uow.items if p.aggregate_id == order.id]
    fills = [e for e in mine if isinstance(e, OrderFilled)]
    assert sum((f.quantity for f in fills), Decimal(0)) == order.filled
    by_start = {b.ts_start: b for b in sequence}
    for fill in fills:  # within the bar it executed on, give or take the slippage
        bar = by_start[fill.ts_executed]  # type: ignore[index]
        slip = bar.open * Decimal("0.0002") + Decimal("0.0001")
        assert bar.low - slip <= fill.price <= bar.high + slip
    if fills and order.is_conditional:
        first_fill = mine.index(fills[0])
        assert any(isinstance(e, OrderTriggered) for e in mine[:first_fill])
    if terms.get("time_in_force") == "FOK":
        assert order.filled in (Decimal(0), order.quantity)
    replayed = Order.replay(order.id, mine)
    assert (replayed.status, replayed.filled, replayed.trigger_price) == (
        order.status,
        order.filled,
        order.trigger_price,
    )
