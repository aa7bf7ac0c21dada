"""Every order type, time in force and flag against the simulated venue, with known-answer
fills: the service on an in-memory unit of work, bars fed one by one as ``on_bar`` gets them.

Venue defaults unless a test says otherwise: slippage 2 bp, fee 1.5 bp with a 1.00 minimum,
at most 25 % of a bar's volume per fill."""

from __future__ import annotations

import json
from datetime import time
from decimal import Decimal

import jsonschema
import pytest

from bounded_contexts.execution.adapters.venues.simulated import SimulatedVenueConfig, VenueBar
from bounded_contexts.execution.application.service import ExecutionService
from bounded_contexts.execution.domain.errors import InvalidOrder, PriceOffTick
from bounded_contexts.execution.domain.events import (
    ControlBreach,
    FillBooked,
    OrderAccepted,
    OrderCancelled,
    OrderFilled,
    OrderQueued,
    OrderRejected,
    OrderSubmitted,
    OrderTrailingStopMoved,
    OrderTriggered,
)
from bounded_contexts.execution.domain.order import OrderStatus
from bounded_contexts.execution.domain.pretrade import PreTradeLimits
from events.catalogue import schema_path
from events.codec import upcast
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
HOUR = 60 * MINUTE
SHORTS = PreTradeLimits(allow_short=True)


def bar(minute: int, o: str, h: str, low: str, volume: str = "100000") -> VenueBar:
    return VenueBar(T0 + minute * MINUTE, D(o), D(h), D(low), D(volume))


def run(
    bars: list[VenueBar], svc: ExecutionService | None = None, **overrides: object
) -> tuple[ExecutionService, list[DomainEvent]]:
    """Submit at T0, then feed the bars; returns the venue's events (after acceptance)."""
    svc = svc or service(limits=SHORTS)
    svc.submit(command(**overrides), EventsToAppend(), cause(T0))
    uow = EventsToAppend()
    for b in bars:
        svc.on_bar("AAA", b, uow, cause(b.ts_start, key=f"bar/{b.ts_start}"))
    return svc, [p.event for p, _ in uow.items]


def fills(events: list[DomainEvent]) -> list[tuple[Decimal, Decimal, Decimal]]:
    return [(e.quantity, e.price, e.fee) for e in events if isinstance(e, OrderFilled)]


def kinds(events: list[DomainEvent]) -> list[type]:
    return [type(e) for e in events]


# -- conditional orders -----------------------------------------------------------------------
def test_a_buy_stop_rests_until_a_bar_reaches_its_stop_then_fills_at_the_stop_plus_slippage() -> (
    None
):
    svc, events = run(
        [bar(1, "100", "100.5", "99.5"), bar(2, "100.5", "102", "100")],
        order_type="STOP",
        stop_price=D(101),
    )
    # 101 x (1 + 2 bp) = 101.0202; fee 10 x 101.0202 x 1.5 bp = 0.15 -> the 1.00 minimum
    assert kinds(events) == [OrderTriggered, OrderFilled, FillBooked]
    assert events[0] == OrderTriggered(ORDER_ID, D(101), T0 + 2 * MINUTE)
    assert fills(events) == [(D(10), D("101.0202"), D("1.00"))]
    assert svc.orders[ORDER_ID].status is OrderStatus.FILLED


def test_a_sell_stop_on_a_bar_that_opens_through_it_fills_at_the_open_not_the_stop() -> None:
    _, events = run([bar(1, "98", "98.5", "97")], order_type="STOP", side="SELL", stop_price=D(99))
    # gap: 98 x (1 - 2 bp) = 97.9804
    assert events[0] == OrderTriggered(ORDER_ID, D(99), T0 + MINUTE)
    assert fills(events) == [(D(10), D("97.9804"), D("1.00"))]


def test_a_triggered_market_fill_never_leaves_the_bars_range() -> None:
    _, events = run([bar(1, "100", "101", "99.5")], order_type="STOP", stop_price=D(101))
    # 101.0202 would be above the bar's high: the fill is bounded by it
    assert fills(events) == [(D(10), D("101.0000"), D("1.00"))]


def test_a_stop_limit_fills_at_its_stop_when_that_is_within_its_limit() -> None:
    _, events = run(
        [bar(1, "100.5", "102", "100")],
        order_type="STOP_LIMIT",
        stop_price=D(101),
        limit_price=D("101.5"),
    )
    assert kinds(events) == [OrderTriggered, OrderFilled, FillBooked]
    assert fills(events) == [(D(10), D("101.0000"), D("1.00"))]


def test_a_stop_limit_gapping_past_its_limit_rests_triggered_and_fills_later_as_a_limit() -> None:
    svc, events = run(
        [bar(1, "102", "103", "101.8"), bar(2, "101.6", "102", "101.2")],
        order_type="STOP_LIMIT",
        stop_price=D(101),
        limit_price=D("101.5"),
    )
    assert kinds(events) == [OrderTriggered, OrderQueued, OrderFilled, FillBooked]
    # bar 1 triggers at the open 102, above the limit: no fill; from bar 2 the order rests in
    # the book at its limit, and bar 2 trades through it (low 101.2)
    assert fills(events) == [(D(10), D("101.5000"), D("1.00"))]
    assert svc.orders[ORDER_ID].triggered_at == T0 + MINUTE


def test_a_market_if_touched_buy_triggers_when_the_price_falls_to_it() -> None:
    _, events = run(
        [bar(1, "100", "100.5", "99.5"), bar(2, "100", "100.5", "98.5")],
        order_type="MARKET_IF_TOUCHED",
        stop_price=D(99),
    )
    assert events[0] == OrderTriggered(ORDER_ID, D(99), T0 + 2 * MINUTE)
    assert fills(events) == [(D(10), D("99.0198"), D("1.00"))]


def test_a_limit_if_touched_sell_triggers_on_a_rise_and_fills_within_its_limit() -> None:
    _, events = run(
        [bar(1, "100", "101.5", "99.8")],
        order_type="LIMIT_IF_TOUCHED",
        side="SELL",
        stop_price=D(101),
        limit_price=D("100.8"),
    )
    assert kinds(events) == [OrderTriggered, OrderFilled, FillBooked]
    assert fills(events) == [(D(10), D("101.0000"), D("1.00"))]


def test_a_trailing_sell_stop_by_amount_follows_the_high_then_triggers() -> None:
    svc, events = run(
        [bar(1, "100", "103", "99"), bar(2, "102", "102.5", "100.5")],
        order_type="TRAILING_STOP",
        side="SELL",
        trail_amount=D(2),
    )
    # bar 1: stop 100 - 2 = 98 not reached (low 99); the best moves to the high 103 -> stop 101
    # bar 2: low 100.5 <= 101 -> triggered at 101, filled 101 x (1 - 2 bp) = 100.9798
    assert events[0] == OrderTrailingStopMoved(ORDER_ID, D(103), D("101.0000"), T0 + MINUTE)
    assert events[1] == OrderTriggered(ORDER_ID, D("101.0000"), T0 + 2 * MINUTE)
    assert fills(events) == [(D(10), D("100.9798"), D("1.00"))]
    assert svc.orders[ORDER_ID].best_price == D(103)


def test_a_trailing_buy_stop_by_percentage_follows_the_low_then_triggers() -> None:
    _, events = run(
        [bar(1, "100", "100.5", "98"), bar(2, "99", "99.5", "98.5")],
        order_type="TRAILING_STOP",
        trail_percent=D(1),
    )
    # bar 1: stop 101 not reached; best -> 98, stop 98.98. bar 2: high 99.5 crosses it; the bar
    # opened at 99, above the stop: filled at the open, 99 x (1 + 2 bp) = 99.0198
    assert events[0] == OrderTrailingStopMoved(ORDER_ID, D(98), D("98.9800"), T0 + MINUTE)
    assert events[1] == OrderTriggered(ORDER_ID, D("98.9800"), T0 + 2 * MINUTE)
    assert fills(events) == [(D(10), D("99.0198"), D("1.00"))]


def test_a_trailing_stop_records_no_move_on_a_bar_that_does_not_improve_its_best() -> None:
    _, events = run(
        [bar(1, "100", "103", "99"), bar(2, "102", "102.5", "101.5")],
        order_type="TRAILING_STOP",
        side="SELL",
        trail_amount=D(2),
    )
    assert kinds(events) == [OrderTrailingStopMoved]


# -- time in force ----------------------------------------------------------------------------
def test_an_ioc_order_fills_what_its_bar_allows_and_expires_the_rest_at_once() -> None:
    svc, events = run(
        [bar(1, "100", "101", "99", volume="40"), bar(2, "100", "101", "99")],
        quantity=D(30),
        time_in_force="IOC",
    )
    # 25 % of 40 = 10 fill at 100.02; the other 20 expire on the same bar; bar 2 sees nothing
    assert kinds(events) == [OrderFilled, FillBooked, OrderCancelled]
    assert fills(events) == [(D(10), D("100.0200"), D("1.00"))]
    assert events[2] == OrderCancelled(
        ORDER_ID, f"expired IOC: 20 left after the bar at {T0 + MINUTE}", D(20)
    )
    assert svc.orders[ORDER_ID].status is OrderStatus.CANCELLED


def test_an_ioc_limit_order_its_bar_does_not_reach_expires_whole() -> None:
    _, events = run(
        [bar(1, "100", "101", "99.5")],
        order_type="LIMIT",
        limit_price=D(99),
        time_in_force="IOC",
    )
    assert kinds(events) == [OrderCancelled]


def test_a_fok_order_the_bar_cannot_fill_in_full_expires_without_any_fill() -> None:
    _, events = run([bar(1, "100", "101", "99", volume="40")], quantity=D(30), time_in_force="FOK")
    assert events == [
        OrderCancelled(
            ORDER_ID, f"expired FOK: 30 not fillable in full on the bar at {T0 + MINUTE}", D(30)
        )
    ]


def test_a_fok_order_the_bar_can_fill_in_full_fills_completely() -> None:
    svc, events = run([bar(1, "100", "101", "99", volume="40")], time_in_force="FOK")
    assert fills(events) == [(D(10), D("100.0200"), D("1.00"))]
    assert svc.orders[ORDER_ID].status is OrderStatus.FILLED


def test_a_day_order_expires_at_the_first_bar_at_or_after_the_session_close() -> None:
    # T0 is 08:00Z; the configured close 16:30Z is 8 h 30 min later
    svc = service(session_close_utc=time(16, 30))
    close = T0 + 8 * HOUR + 30 * MINUTE
    _, events = run(
        [
            VenueBar(close - MINUTE, D(100), D(101), D(100), D(100000)),
            VenueBar(close, D(100), D(101), D(99), D(100000)),
        ],
        svc,
        order_type="LIMIT",
        limit_price=D(99),
        time_in_force="DAY",
    )
    assert svc.orders[ORDER_ID].submitted.expire_at == close  # type: ignore[union-attr]
    # it rested in the book from the first bar (behind 5% of its volume), then expired
    assert events == [
        OrderQueued(ORDER_ID, D(99), D(5000), close - MINUTE),
        OrderCancelled(ORDER_ID, f"expired unfilled at {close} (DAY)", D(10)),
    ]


def test_a_day_order_received_after_the_close_lives_until_the_next_days_close() -> None:
    svc = service(session_close_utc=time(7, 0))  # before T0's 08:00Z
    svc.submit(command(time_in_force="DAY"), EventsToAppend(), cause(T0))
    expected = T0 - HOUR + 24 * HOUR
    assert svc.orders[ORDER_ID].submitted.expire_at == expected  # type: ignore[union-attr]


def test_a_gtd_order_expires_at_its_expiry_time() -> None:
    expire_at = T0 + 2 * MINUTE
    _, events = run(
        [bar(1, "100", "101", "99.5"), bar(2, "100", "101", "98")],
        order_type="LIMIT",
        limit_price=D(99),
        time_in_force="GTD",
        expire_at=expire_at,
    )
    assert events == [
        OrderQueued(ORDER_ID, D(99), D(5000), T0 + MINUTE),
        OrderCancelled(ORDER_ID, f"expired unfilled at {expire_at} (GTD)", D(10)),
    ]


# -- flags ------------------------------------------------------------------------------------
MAKER_TAKER = SimulatedVenueConfig(fee_bps=D("1.5"), maker_fee_bps=D("0.5"), min_fee=D(0))


def test_a_post_only_order_marketable_on_arrival_is_rejected_never_filled() -> None:
    svc, events = run(
        [bar(1, "99.5", "100", "99")],
        order_type="LIMIT",
        limit_price=D(100),
        post_only=True,
    )
    assert events == [
        OrderRejected(
            ORDER_ID,
            "post-only: limit 100 would take liquidity against the open 99.5 on arrival",
            (ControlBreach("post_only", D(100), D("99.5")),),
        )
    ]
    assert svc.orders[ORDER_ID].status is OrderStatus.REJECTED


def test_a_resting_post_only_order_fills_as_maker_even_on_a_bar_opening_through_it() -> None:
    svc = service(venue=MAKER_TAKER)
    _, events = run(
        [bar(1, "100", "100.5", "99.5"), bar(2, "98", "98.5", "97")],
        svc,
        order_type="LIMIT",
        limit_price=D(99),
        quantity=D(200),
        post_only=True,
    )
    # it rested since bar 1; bar 2 opens below it: the open, at the maker fee
    # 200 x 98 x 0.5 bp = 0.98 (a plain limit order taking at that open would pay 2.94)
    assert fills(events) == [(D(200), D("98.0000"), D("0.98"))]


def test_maker_and_taker_fills_pay_their_own_fees() -> None:
    _, taker = run([bar(1, "100", "101", "99")], service(venue=MAKER_TAKER), quantity=D(200))
    _, maker = run(
        [bar(1, "100", "101", "98")],
        service(venue=MAKER_TAKER),
        order_type="LIMIT",
        limit_price=D(99),
        quantity=D(200),
    )
    assert fills(taker) == [(D(200), D("100.0200"), D("3.00"))]  # 200 x 100.02 x 1.5 bp
    assert fills(maker) == [(D(200), D("99.0000"), D("0.99"))]  # 200 x 99 x 0.5 bp


def test_a_post_only_order_judged_before_a_restart_is_not_judged_again_after_it() -> None:
    svc, _ = run(
        [bar(1, "100", "100.5", "99.5")], order_type="LIMIT", limit_price=D(99), post_only=True
    )
    order = svc.orders[ORDER_ID]
    order.arrived_at = None  # what a restart loses
    svc.remember_bar("AAA", bar(1, "100", "100.5", "99.5"), D(100))
    svc.recall_arrivals()
    assert order.arrived_at == T0 + MINUTE
    uow = EventsToAppend()
    svc.on_bar("AAA", bar(2, "98", "98.5", "97"), uow, cause(T0 + 2 * MINUTE))
    assert fills([p.event for p, _ in uow.items]) == [(D(10), D("98.0000"), D("1.00"))]


def long_position(svc: ExecutionService, quantity: Decimal) -> None:
    """Buy ``quantity`` at market and fill it on the bar before T0."""
    svc.submit(
        command(order_id=ORDER_ID.__class__(int=1), quantity=quantity),
        EventsToAppend(),
        cause(T0 - 2 * MINUTE),
    )
    svc.on_bar("AAA", bar(-1, "100", "101", "99"), EventsToAppend(), cause(T0 - MINUTE))


def test_a_reduce_only_order_that_would_increase_the_position_is_rejected() -> None:
    svc = service()
    uow = EventsToAppend()
    svc.submit(command(side="SELL", reduce_only=True), uow, cause(T0))
    rejected = [p.event for p, _ in uow.items if isinstance(p.event, OrderRejected)]
    # (a sale from no position also breaks the short-selling control: both are named)
    assert [r.breaches[-1] for r in rejected] == [
        ControlBreach("reduce_only", D(0), D(10), "account:DEMO-001")
    ]


def test_a_reduce_only_order_that_would_flip_the_position_is_rejected() -> None:
    svc = service()
    long_position(svc, D(10))
    uow = EventsToAppend()
    svc.submit(command(side="SELL", quantity=D(15), reduce_only=True), uow, cause(T0))
    (rejected,) = [p.event for p, _ in uow.items if isinstance(p.event, OrderRejected)]
    assert rejected.breaches[-1] == ControlBreach("reduce_only", D(10), D(15), "account:DEMO-001")
    assert "flip the position (it can reduce at most 10)" in rejected.reason


def test_a_reduce_only_order_whose_position_closed_meanwhile_is_cancelled_not_filled() -> None:
    svc = service()
    long_position(svc, D(10))
    second = ORDER_ID.__class__(int=2)
    for order_id in (ORDER_ID, second):  # both pass at submission: the position is 10
        uow = EventsToAppend()
        svc.submit(command(order_id=order_id, side="SELL", reduce_only=True), uow, cause(T0))
        assert OrderAccepted in [type(p.event) for p, _ in uow.items]
    uow = EventsToAppend()
    svc.on_bar("AAA", bar(1, "100", "101", "99"), uow, cause(T0 + MINUTE))
    assert svc.orders[ORDER_ID].status is OrderStatus.FILLED
    assert svc.accounts["DEMO-001"].position("AAA") == 0  # never flipped short
    assert svc.orders[second].status is OrderStatus.CANCELLED
    assert svc.orders[second].reject_reason == "reduce-only: no position left to reduce"


# -- malformed commands -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"order_type": "STOP"}, "stop_price", "a STOP order needs a positive stop price"),
        (
            {"order_type": "STOP_LIMIT", "stop_price": D(101)},
            "limit_price",
            "a STOP_LIMIT order needs a positive limit price",
        ),
        (
            {"order_type": "LIMIT", "limit_price": D(99), "stop_price": D(101)},
            "stop_price",
            "a LIMIT order takes no stop price",
        ),
        (
            {"order_type": "TRAILING_STOP", "trail_amount": D(1), "trail_percent": D(1)},
            "trail_amount",
            "by an amount or by a percentage, not both",
        ),
        ({"order_type": "TRAILING_STOP"}, "trail_amount", "needs a trail amount or"),
        (
            {"order_type": "TRAILING_STOP", "trail_percent": D(100)},
            "trail_percent",
            "above 0 and below 100",
        ),
        ({"trail_amount": D(1)}, "trail_amount", "a MARKET order takes no trail"),
        ({"time_in_force": "GTD"}, "expire_at", "a GTD order needs an expiry time"),
        ({"time_in_force": "GTD", "expire_at": T0}, "expire_at", "must expire after"),
        ({"time_in_force": "DAY", "expire_at": T0 + HOUR}, "expire_at", "session close"),
        ({"time_in_force": "IOC", "expire_at": T0 + HOUR}, "expire_at", "takes no expiry"),
        ({"time_in_force": "GTX"}, "time_in_force", "time in force must be one of"),
        (
            {"order_type": "STOP", "stop_price": D(101), "time_in_force": "IOC"},
            "time_in_force",
            "not to a conditional STOP order",
        ),
        ({"post_only": True}, "post_only", "post-only applies to LIMIT orders only"),
        (
            {
                "order_type": "LIMIT",
                "limit_price": D(99),
                "post_only": True,
                "time_in_force": "IOC",
            },
            "post_only",
            "cannot be IOC",
        ),
        ({"order_type": "ICEBERG"}, "order_type", "order type must be one of"),
    ],
)
def test_a_malformed_combination_is_refused_naming_its_field_and_records_nothing(
    overrides: dict[str, object], field: str, message: str
) -> None:
    svc = service()
    uow = EventsToAppend()
    with pytest.raises(InvalidOrder, match=message) as info:
        svc.submit(command(**overrides), uow, cause(T0))
    assert info.value.field == field
    assert uow.items == [] and svc.orders == {} and svc.accounts == {}


def test_a_stop_price_off_the_tick_is_refused_naming_the_stop_price() -> None:
    svc = service()
    with pytest.raises(PriceOffTick, match=r"stop price 101\.00001") as info:
        svc.submit(
            command(order_type="STOP", stop_price=D("101.00001")), EventsToAppend(), cause(T0)
        )
    assert info.value.field == "stop_price"


def test_strategy_orders_stay_market_gtd_without_flags() -> None:
    svc = service()
    uow = EventsToAppend()
    svc.submit(command(origin="STRATEGY", expire_at=T0 + 5 * MINUTE), uow, cause(T0))
    (submitted,) = [p.event for p, _ in uow.items if isinstance(p.event, OrderSubmitted)]
    assert (submitted.order_type, submitted.time_in_force, submitted.expire_at) == (
        "MARKET",
        "GTD",
        T0 + 5 * MINUTE,
    )
    assert (submitted.stop_price, submitted.post_only, submitted.reduce_only) == (
        None,
        False,
        False,
    )


def test_a_v2_order_reads_as_v3_market_or_limit_without_trigger_or_flags() -> None:
    v2 = OrderSubmitted(
        ORDER_ID, "DEMO-001", "AAA", "BUY", "LIMIT", D(10), D(99), "GTD", T0, "MANUAL", None, None
    ).to_payload()
    added_since = ("stop_price", "trail_amount", "trail_percent", "post_only", "reduce_only")
    for added in (*added_since, "oco_group", "parent_order_id"):
        del v2[added]
    jsonschema.validate(v2, json.loads(schema_path(OrderSubmitted, 2).read_text()))
    payload = upcast(OrderSubmitted, 2, v2, where="test")
    current = schema_path(OrderSubmitted, OrderSubmitted.SCHEMA_VERSION)
    jsonschema.validate(payload, json.loads(current.read_text()))
    event = OrderSubmitted.from_payload(payload)
    assert (event.order_type, event.time_in_force, event.expire_at) == ("LIMIT", "GTD", T0)
    assert (event.stop_price, event.trail_amount, event.trail_percent) == (None, None, None)
    assert (event.post_only, event.reduce_only) == (False, False)
