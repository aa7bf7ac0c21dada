"""The simulated venue's book: queue position for resting limit orders, price-time priority,
and the bar's participation cap shared by all the firm's orders (adapters.venues.book).

Known answers use bars of volume 1,000 on a 0.01 tick, the default half-spread of 2 bp and a
resting depth of 5% of the joining bar's volume: an order joining behind the touch waits
behind 50; a bar whose range spans N ticks traded 1000 / N at each of them."""

from __future__ import annotations

import uuid
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from bounded_contexts.execution.adapters.venues.book import (
    queue_on_joining,
    trade_at_level,
    traded_at,
)
from bounded_contexts.execution.adapters.venues.simulated import SimulatedVenueConfig, VenueBar
from bounded_contexts.execution.application.service import ExecutionService
from bounded_contexts.execution.domain.events import OrderFilled, OrderQueued
from bounded_contexts.execution.domain.pretrade import PreTradeLimits
from events.domain import DomainEvent
from events.effects import EventsToAppend
from tests.execution.unit.test_execution_service import (
    MINUTE,
    ORDER_ID,
    T0,
    cause,
    command,
    service,
)

D = Decimal
TICK = D("0.01")
SECOND = uuid.UUID(int=2)
THIRD = uuid.UUID(int=3)


def bar(minute: int, o: str, h: str, low: str, volume: str = "1000") -> VenueBar:
    return VenueBar(T0 + minute * MINUTE, D(o), D(h), D(low), D(volume))


def feed(svc: ExecutionService, *bars: VenueBar) -> list[DomainEvent]:
    uow = EventsToAppend()
    for b in bars:
        svc.remember_bar("AAA", b, b.open)
        svc.on_bar("AAA", b, uow, cause(b.ts_start, key=f"bar/{b.ts_start}"))
    return [p.event for p, _ in uow.items]


def filled(events: list[DomainEvent], order_id: uuid.UUID = ORDER_ID) -> list[tuple[D, D]]:
    return [
        (e.quantity, e.price)
        for e in events
        if isinstance(e, OrderFilled) and e.order_id == order_id
    ]


def book_service(**config: object) -> ExecutionService:
    svc = service(limits=PreTradeLimits(allow_short=True), **config)
    svc.instrument_listed("AAA", tick_size=TICK)
    return svc


def rest_limit(svc: ExecutionService, order_id: uuid.UUID = ORDER_ID, **terms: object) -> None:
    fields: dict[str, object] = {"order_type": "LIMIT", "limit_price": D(99), "quantity": D(10)}
    fields.update(terms)
    svc.submit(command(order_id=order_id, **fields), EventsToAppend(), cause(T0))


# -- the book's rules, pure ---------------------------------------------------------------
def test_an_order_inside_the_spread_starts_a_new_level_and_one_at_the_touch_queues() -> None:
    def joining(side: str, price: str, fraction: str = "0.05") -> Decimal:
        return queue_on_joining(
            side=side,
            price=D(price),
            open_price=D(100),
            volume=D(1000),
            half_spread_bps=D(2),
            resting_depth_fraction=D(fraction),
        )

    # at the open 100 the bid is 100 - 2 bp = 99.98 and the ask 100.02
    assert joining("BUY", "99.99") == 0
    assert joining("BUY", "99.98") == 50
    assert joining("SELL", "100.01") == 0
    assert joining("SELL", "101", "0.1") == 100


def test_a_bar_spreads_its_volume_over_every_tick_of_its_range() -> None:
    assert traded_at(D(1000), D("99.09"), D(99), TICK) == 100  # 10 ticks
    assert traded_at(D(1000), D(100), D(99), TICK) == 9  # 101 ticks, rounded down
    assert traded_at(D(1000), D(99), D(99), TICK) == 1000  # a bar at one price


def test_a_touch_works_off_the_queue_a_trade_through_clears_it_a_miss_leaves_it() -> None:
    common = {"side": "BUY", "price": D(99), "volume": D(1000), "tick": TICK}
    touch = trade_at_level(queue_ahead=D(50), high=D("99.09"), low=D(99), **common)
    assert (touch.through, touch.reached, touch.queue_ahead) == (False, 50, 0)
    short = trade_at_level(queue_ahead=D(150), high=D("99.09"), low=D(99), **common)
    assert (short.through, short.reached, short.queue_ahead) == (False, 0, 50)
    through = trade_at_level(queue_ahead=D(150), high=D(100), low=D("98.99"), **common)
    assert (through.through, through.queue_ahead) == (True, 0)
    miss = trade_at_level(queue_ahead=D(150), high=D(100), low=D("99.01"), **common)
    assert (miss.through, miss.reached, miss.queue_ahead) == (False, 0, 150)


# -- queue position, through the service -------------------------------------------------
def test_a_resting_buy_waits_behind_the_queue_and_fills_when_a_touch_reaches_it() -> None:
    svc = book_service()
    rest_limit(svc)
    events = feed(
        svc,
        bar(1, "100", "100.5", "99.5"),  # joins behind 50 (5% of 1,000); does not reach 99
        bar(2, "99.5", "100", "99"),  # touches 99: 101 ticks, 9 traded there: 41 still ahead
        bar(3, "99.5", "99.5", "99"),  # 51 ticks: 19 traded at 99: 22 still ahead
        bar(4, "99.09", "99.09", "99"),  # 10 ticks: 100 at 99: 22 work off the queue, 78 reach
    )
    assert [e for e in events if isinstance(e, OrderQueued)] == [
        OrderQueued(ORDER_ID, D(99), D(50), T0 + MINUTE)
    ]
    assert filled(events) == [(D(10), D("99.0000"))]
    assert next(e for e in events if isinstance(e, OrderFilled)).ts_executed == T0 + 4 * MINUTE
    fill = svc.orders[ORDER_ID]
    assert fill.queue_ahead == 0 and fill.fills == 1


def test_a_touch_fills_no_more_than_reached_the_front_of_the_queue() -> None:
    svc = book_service()
    rest_limit(svc, quantity=D(200))
    # joins behind 50 on bar 1, which touches 99 over 10 ticks: 100 traded there, 50 reach it
    events = feed(svc, bar(1, "99.09", "99.09", "99"))
    assert filled(events) == [(D(50), D("99.0000"))]
    fills = [e for e in events if isinstance(e, OrderFilled)]
    assert fills[0].remaining_quantity == 150


def test_a_bar_trading_through_the_level_fills_a_resting_order_whatever_the_queue() -> None:
    svc = book_service(venue=SimulatedVenueConfig(resting_depth_fraction=D("0.5")))
    rest_limit(svc, quantity=D(100))
    events = feed(svc, bar(1, "100", "100", "99.5"), bar(2, "99.5", "99.6", "98.9"))
    assert filled(events) == [(D(100), D("99.0000"))]  # queue of 500 ahead: cleared


def test_an_order_improving_the_bid_is_first_in_its_queue() -> None:
    svc = book_service()
    # open 100: the bid is 99.98, a buy at 99.99 sets a new best price: nobody ahead
    rest_limit(svc, limit_price=D("99.99"))
    events = feed(svc, bar(1, "100", "100.08", "99.99"))  # 10 ticks: 100 traded at 99.99
    assert [e.queue_ahead for e in events if isinstance(e, OrderQueued)] == [0]
    assert filled(events) == [(D(10), D("99.9900"))]


def test_a_marketable_limit_takes_liquidity_at_the_open_and_never_queues() -> None:
    svc = book_service()
    rest_limit(svc, limit_price=D(101))
    events = feed(svc, bar(1, "100", "100.5", "99.5"))
    assert not [e for e in events if isinstance(e, OrderQueued)]
    assert filled(events) == [(D(10), D("100.0000"))]


def test_an_ioc_limit_lives_for_its_bar_and_never_queues() -> None:
    svc = book_service()
    rest_limit(svc, time_in_force="IOC")
    events = feed(svc, bar(1, "100", "100.5", "99"))
    assert not [e for e in events if isinstance(e, OrderQueued)]
    assert filled(events) == [(D(10), D("99.0000"))]


def test_a_new_price_or_a_larger_size_sends_the_order_to_the_back_a_smaller_one_does_not() -> None:
    svc = book_service()
    rest_limit(svc, quantity=D(20))
    feed(svc, bar(1, "100", "100.5", "99.5"))
    order = svc.orders[ORDER_ID]
    assert order.queued_at == T0 + MINUTE

    svc.amend(ORDER_ID, quantity=D(15), uow=EventsToAppend(), cause=cause(T0 + 90 * 10**9))
    assert order.queued_at == T0 + MINUTE  # smaller: keeps its place
    svc.amend(ORDER_ID, limit_price=D("98.5"), uow=EventsToAppend(), cause=cause(T0 + 100 * 10**9))
    assert order.queued_at is None
    events = feed(svc, bar(2, "100", "100.5", "99.5"))
    assert [(e.price, e.ts_queued) for e in events if isinstance(e, OrderQueued)] == [
        (D("98.5"), T0 + 2 * MINUTE)
    ]


# -- sharing the bar: the participation cap and price-time priority ---------------------
def test_the_participation_cap_is_shared_by_all_the_firms_orders_first_come_first() -> None:
    svc = book_service()
    for order_id in (ORDER_ID, SECOND):
        svc.submit(command(order_id=order_id, quantity=D(200)), EventsToAppend(), cause(T0))
    events = feed(svc, bar(1, "100", "100.5", "99.5"))  # cap: 25% of 1,000 = 250
    assert [q for q, _ in filled(events, ORDER_ID)] == [D(200)]
    assert [q for q, _ in filled(events, SECOND)] == [D(50)]
    sells = feed(svc, bar(2, "100", "100.5", "99.5"))
    assert [q for q, _ in filled(sells, SECOND)] == [D(150)]  # the rest on the next bar


def test_buys_and_sells_each_have_their_own_side_of_the_bar() -> None:
    svc = book_service()
    svc.submit(command(quantity=D(250)), EventsToAppend(), cause(T0))
    svc.submit(command(order_id=SECOND, side="SELL", quantity=D(250)), EventsToAppend(), cause(T0))
    events = feed(svc, bar(1, "100", "100.5", "99.5"))
    assert [q for q, _ in filled(events, ORDER_ID)] == [D(250)]
    assert [q for q, _ in filled(events, SECOND)] == [D(250)]


def test_a_better_priced_limit_fills_before_an_earlier_worse_one() -> None:
    svc = book_service()
    rest_limit(svc, quantity=D(200), limit_price=D(99))
    rest_limit(svc, SECOND, quantity=D(200), limit_price=D("99.5"))
    events = feed(svc, bar(1, "100", "100", "98.5"))  # through both: cap 250
    assert [q for q, _ in filled(events, SECOND)] == [D(200)]
    assert [q for q, _ in filled(events, ORDER_ID)] == [D(50)]


def test_market_orders_go_before_resting_limits_on_the_same_side() -> None:
    svc = book_service()
    rest_limit(svc, quantity=D(200), limit_price=D("99.5"))
    svc.submit(command(order_id=SECOND, quantity=D(200)), EventsToAppend(), cause(T0 + 10**9))
    events = feed(svc, bar(1, "100", "100", "98.5"))
    assert [q for q, _ in filled(events, SECOND)] == [D(200)]
    assert [q for q, _ in filled(events, ORDER_ID)] == [D(50)]


def test_two_orders_at_one_level_share_what_reached_its_front() -> None:
    svc = book_service(venue=SimulatedVenueConfig(resting_depth_fraction=D(0)))
    rest_limit(svc, quantity=D(80), limit_price=D("99.5"))
    rest_limit(svc, SECOND, quantity=D(80), limit_price=D("99.5"))
    # joins on bar 1, which touches 99.5 over 10 ticks: 100 traded there, nobody ahead
    events = feed(svc, bar(1, "99.59", "99.59", "99.5"))
    assert [q for q, _ in filled(events, ORDER_ID)] == [D(80)]
    assert [q for q, _ in filled(events, SECOND)] == [D(20)]


def test_an_order_arriving_after_its_bar_was_matched_takes_what_the_bar_has_left() -> None:
    svc = book_service()
    svc.submit(command(quantity=D(200)), EventsToAppend(), cause(T0))
    feed(svc, bar(1, "100", "100.5", "99.5"))
    uow = EventsToAppend()  # a late order, submitted before bar 1 started: it meets bar 1
    svc.submit(command(order_id=SECOND, quantity=D(200)), uow, cause(T0 + 1))
    late = [p.event for p, _ in uow.items]
    assert [q for q, _ in filled(late, SECOND)] == [D(50)]


# -- after a restart ------------------------------------------------------------------------
def test_the_queue_ahead_is_rebuilt_from_where_the_order_joined_and_the_bars_since() -> None:
    bars = (
        bar(1, "100", "100.5", "99.5"),  # joins behind 50
        bar(2, "99.5", "100", "99"),  # touch: 41 ahead
        bar(3, "100", "100.2", "99.8"),  # out of reach: the queue stands
        bar(4, "99.5", "99.5", "99"),  # touch: 22 ahead
    )
    live = book_service()
    rest_limit(live)
    feed(live, *bars)
    assert live.orders[ORDER_ID].queue_ahead == 22
    live.recall_arrivals()  # a catch-up recalls again: no bar is counted twice
    assert live.orders[ORDER_ID].queue_ahead == 22

    restarted = book_service()
    rest_limit(restarted)
    order = restarted.orders[ORDER_ID]
    order.arrived_at = T0 + MINUTE
    order.apply(OrderQueued(ORDER_ID, D(99), D(50), T0 + MINUTE))  # as its stored event
    for b in bars:  # the bars the policy reloads from the ingestion store
        restarted.remember_bar("AAA", b, b.open)
    restarted.recall_arrivals()
    assert order.queue_ahead == 22


def test_what_orders_took_of_a_bar_is_rebuilt_from_their_fills() -> None:
    svc = book_service()
    svc.submit(command(quantity=D(200)), EventsToAppend(), cause(T0))
    feed(svc, bar(1, "100", "100.5", "99.5"))
    svc.bar_shares.clear()  # what a restart loses
    svc.recall_arrivals()
    uow = EventsToAppend()
    svc.submit(command(order_id=SECOND, quantity=D(200)), uow, cause(T0 + 1))
    assert [q for q, _ in filled([p.event for p, _ in uow.items], SECOND)] == [D(50)]


# -- properties ---------------------------------------------------------------------------
prices = st.integers(min_value=9_800, max_value=10_200).map(lambda c: D(c) / 100)


@st.composite
def bars(draw: st.DrawFn) -> list[VenueBar]:
    out = []
    for minute in range(1, draw(st.integers(1, 12)) + 1):
        a, b, c = sorted(draw(st.lists(prices, min_size=3, max_size=3)))
        volume = D(draw(st.integers(0, 5_000)))
        out.append(VenueBar(T0 + minute * MINUTE, b, c, a, volume))
    return out


@settings(max_examples=150, deadline=None)
@given(
    bars=bars(),
    limits=st.lists(prices, min_size=1, max_size=4),
    quantity=st.integers(1, 3_000),
)
def test_the_book_never_hands_out_more_than_the_cap_nor_fills_a_level_not_reached(
    bars: list[VenueBar], limits: list[D], quantity: int
) -> None:
    svc = book_service()
    ids = [uuid.UUID(int=i + 1) for i in range(len(limits))]
    for order_id, limit in zip(ids, limits, strict=True):
        rest_limit(svc, order_id, limit_price=limit, quantity=D(quantity))
    events = feed(svc, *bars)
    by_bar: dict[int, D] = {}
    for e in events:
        if isinstance(e, OrderFilled):
            assert e.ts_executed is not None
            by_bar[e.ts_executed] = by_bar.get(e.ts_executed, D(0)) + e.quantity
            b = next(b for b in bars if b.ts_start == e.ts_executed)
            limit = limits[ids.index(e.order_id)]
            assert b.low <= e.price <= limit  # a buy never pays above its limit
    for b in bars:
        assert by_bar.get(b.ts_start, D(0)) <= SimulatedVenueConfig().participation_cap(b.volume)
    for order_id in ids:
        order = svc.orders[order_id]
        assert order.queue_ahead >= 0 and order.filled <= order.quantity
