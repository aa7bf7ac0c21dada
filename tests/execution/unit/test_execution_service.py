"""ExecutionService use cases on an in-memory unit of work (no store is touched by submit,
on_bar or cancel): refusals record nothing, pre-trade rejections are recorded, and an order
fills against the first bar starting at or after its submission whichever arrives first."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from bounded_contexts.execution.adapters.venues.simulated import VenueBar
from bounded_contexts.execution.application.service import (
    VENUE_ACTOR,
    ExecutionConfig,
    ExecutionService,
    SubmitOrder,
    strategy_order_id,
)
from bounded_contexts.execution.domain.errors import (
    IllegalOrderTransition,
    InvalidOrder,
    OrderNotFound,
    UnknownInstrument,
)
from bounded_contexts.execution.domain.events import (
    AccountOpened,
    FillBooked,
    OrderAccepted,
    OrderCancelled,
    OrderFilled,
    OrderQueued,
    OrderRejected,
    OrderSubmitted,
)
from bounded_contexts.execution.domain.order import OrderStatus
from events.domain import DomainEvent
from events.effects import EventsToAppend
from events.envelope import Cause

MINUTE = 60_000_000_000
T0 = 1_795_680_000_000_000_000  # 2026-11-26T08:00:00Z, a bar boundary
ORDER_ID = uuid.UUID("00000000-0000-4000-8000-00000000000a")


class UnusedStore:
    """The store port: submit, on_bar and cancel must never reach it."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"the execution service touched the store ({name})")


def service(**config: object) -> ExecutionService:
    svc = ExecutionService(UnusedStore(), ExecutionConfig(**config))  # type: ignore[arg-type]
    svc.instrument_listed("AAA")
    return svc


def bar_at(ts: int, open_: str = "100", low: str = "99", volume: str = "100000") -> VenueBar:
    return VenueBar(ts, Decimal(open_), Decimal(open_) + 1, Decimal(low), Decimal(volume))


def command(**overrides: object) -> SubmitOrder:
    fields: dict[str, object] = {
        "order_id": ORDER_ID,
        "account_id": "DEMO-001",
        "instrument_id": "AAA",
        "side": "BUY",
        "order_type": "MARKET",
        "quantity": Decimal(10),
        "limit_price": None,
        "origin": "MANUAL",
        "reference_price": Decimal(100),
    }
    fields.update(overrides)
    return SubmitOrder(**fields)  # type: ignore[arg-type]


def cause(ts: int, key: str = "submit") -> Cause:
    return Cause.origin(ts_event=ts, actor="person:alice", key=key)


def events_of(uow: EventsToAppend) -> list[DomainEvent]:
    return [pending.event for pending, _ in uow.items]


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"instrument_id": "ZZZ"}, UnknownInstrument, "unknown instrument 'ZZZ'"),
        ({"side": "HOLD"}, InvalidOrder, "side must be BUY or SELL, got 'HOLD'"),
        ({"order_type": "ICEBERG"}, InvalidOrder, "order type must be one of MARKET, LIMIT"),
    ],
)
def test_a_malformed_command_is_refused_and_records_nothing(
    overrides: dict[str, object], error: type[Exception], message: str
) -> None:
    svc = service()
    uow = EventsToAppend()
    with pytest.raises(error, match=message):
        svc.submit(command(**overrides), uow, cause(T0))
    assert uow.items == []
    assert svc.orders == {} and svc.accounts == {}


def test_a_second_order_with_an_existing_id_is_refused_and_records_nothing() -> None:
    svc = service()
    svc.submit(command(), EventsToAppend(), cause(T0))
    uow = EventsToAppend()
    with pytest.raises(InvalidOrder, match="already exists"):
        svc.submit(command(), uow, cause(T0))
    assert uow.items == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"quantity": Decimal(0)}, "quantity must be positive"),
        ({"order_type": "LIMIT"}, "positive limit price"),
        ({"limit_price": Decimal(100)}, "takes no limit price"),
    ],
)
def test_a_malformed_order_on_an_open_account_is_refused_and_records_nothing(
    overrides: dict[str, object], message: str
) -> None:
    svc = service()
    svc.submit(command(order_id=uuid.UUID(int=1)), EventsToAppend(), cause(T0))  # opens it
    uow = EventsToAppend()
    with pytest.raises(InvalidOrder, match=message):
        svc.submit(command(**overrides), uow, cause(T0))
    assert uow.items == []
    assert ORDER_ID not in svc.orders


def test_a_first_order_opens_the_account_then_is_submitted_and_accepted() -> None:
    svc = service()
    uow = EventsToAppend()
    order_id = svc.submit(command(), uow, cause(T0))
    assert order_id == ORDER_ID
    assert [type(e) for e in events_of(uow)] == [AccountOpened, OrderSubmitted, OrderAccepted]
    submitted = events_of(uow)[1]
    assert isinstance(submitted, OrderSubmitted)
    assert (submitted.time_in_force, submitted.expire_at) == ("GTC", None)
    assert all(c.ts_event == T0 and c.actor == "person:alice" for _, c in uow.items)


def test_an_order_failing_a_pretrade_control_is_recorded_as_rejected_with_the_reason() -> None:
    svc = service()
    uow = EventsToAppend()
    svc.submit(command(quantity=Decimal(5000)), uow, cause(T0))  # 500 000 notional
    assert [type(e) for e in events_of(uow)] == [AccountOpened, OrderSubmitted, OrderRejected]
    rejected = events_of(uow)[2]
    assert isinstance(rejected, OrderRejected)
    assert "order notional 500000.00 exceeds the limit" in rejected.reason
    assert "not enough cash" not in rejected.reason
    assert svc.orders[ORDER_ID].status is OrderStatus.REJECTED


def test_a_market_order_without_any_known_price_is_rejected() -> None:
    svc = service()
    uow = EventsToAppend()
    svc.submit(command(reference_price=None), uow, cause(T0))
    rejected = events_of(uow)[-1]
    assert isinstance(rejected, OrderRejected)
    assert rejected.reason == "no market price known for AAA yet"


def test_a_rejected_order_never_fills_against_a_later_bar() -> None:
    svc = service()
    svc.submit(command(quantity=Decimal(5000)), EventsToAppend(), cause(T0))
    uow = EventsToAppend()
    svc.on_bar("AAA", bar_at(T0 + MINUTE), uow, cause(T0 + MINUTE, "bar"))
    assert uow.items == []


def fills_when_the_bar_is_cached_first(bars: list[VenueBar]) -> EventsToAppend:
    svc = service()
    for b in bars:
        svc.remember_bar("AAA", b, b.open)
    uow = EventsToAppend()
    svc.submit(command(), uow, cause(T0))
    return uow


def fills_when_the_bar_arrives_after(bars: list[VenueBar]) -> EventsToAppend:
    svc = service()
    uow = EventsToAppend()
    svc.submit(command(), uow, cause(T0))
    for b in bars:
        svc.remember_bar("AAA", b, b.open)
        svc.on_bar("AAA", b, uow, cause(b.ts_start, f"bar/{b.ts_start}"))
    return uow


def fill_records(uow: EventsToAppend) -> list[tuple[object, ...]]:
    return [
        (p.aggregate_id, p.aggregate_version, p.event, c.ts_event, c.actor)
        for p, c in uow.items
        if isinstance(p.event, OrderFilled | FillBooked)
    ]


@pytest.mark.parametrize("first_bar_start", [T0, T0 + MINUTE])
def test_an_order_fills_the_same_whether_its_next_bar_was_seen_before_or_after_it(
    first_bar_start: int,
) -> None:
    earlier = bar_at(T0 - MINUTE, open_="90")  # starts before the order: never its bar
    nxt = bar_at(first_bar_start, open_="100")
    cached = fill_records(fills_when_the_bar_is_cached_first([earlier, nxt]))
    live = fill_records(fills_when_the_bar_arrives_after([nxt]))
    assert cached == live
    assert len(cached) == 2
    filled = cached[0][2]
    assert isinstance(filled, OrderFilled)
    assert (filled.quantity, filled.price, filled.fee) == (
        Decimal(10),
        Decimal("100.0200"),
        Decimal("1.00"),
    )
    assert all(ts == first_bar_start and actor == VENUE_ACTOR for *_, ts, actor in cached)


def test_a_fill_is_booked_to_the_account_in_the_same_unit_of_work() -> None:
    uow = fills_when_the_bar_arrives_after([bar_at(T0 + MINUTE)])
    booked = events_of(uow)[-1]
    assert isinstance(booked, FillBooked)
    # 1 000 000 - 10 x 100.02 - 1.00
    assert (booked.cash_after, booked.position_after) == (Decimal("998998.80"), Decimal(10))


def test_a_large_order_fills_over_several_bars_the_same_either_way() -> None:
    bars = [bar_at(T0 + k * MINUTE, open_="100", volume="24") for k in range(1, 4)]
    big = {"quantity": Decimal(15)}

    def cached() -> EventsToAppend:
        svc = service()
        for b in bars:
            svc.remember_bar("AAA", b, b.open)
        uow = EventsToAppend()
        svc.submit(command(**big), uow, cause(T0))
        return uow

    def live() -> EventsToAppend:
        svc = service()
        uow = EventsToAppend()
        svc.submit(command(**big), uow, cause(T0))
        for b in bars:
            svc.on_bar("AAA", b, uow, cause(b.ts_start, f"bar/{b.ts_start}"))
        return uow

    assert fill_records(cached()) == fill_records(live())
    quantities = [e.quantity for e in events_of(live()) if isinstance(e, OrderFilled)]
    assert quantities == [Decimal(6), Decimal(6), Decimal(3)]  # 25 % of 24 per bar


def test_on_bar_ignores_a_bar_that_started_before_the_order() -> None:
    svc = service()
    svc.submit(command(), EventsToAppend(), cause(T0))
    uow = EventsToAppend()
    svc.on_bar("AAA", bar_at(T0 - MINUTE), uow, cause(T0 - MINUTE, "bar"))
    assert uow.items == []
    assert svc.orders[ORDER_ID].status is OrderStatus.ACCEPTED


def test_a_gtd_order_expires_at_the_first_bar_starting_at_or_after_its_expiry() -> None:
    svc = service()
    expire_at = T0 + 2 * MINUTE
    limit = {"order_type": "LIMIT", "limit_price": Decimal(50), "expire_at": expire_at}
    uow = EventsToAppend()
    svc.submit(command(**limit), uow, cause(T0))
    submitted = events_of(uow)[1]
    assert isinstance(submitted, OrderSubmitted) and submitted.time_in_force == "GTD"

    before = EventsToAppend()
    svc.on_bar("AAA", bar_at(T0 + MINUTE), before, cause(T0 + MINUTE, "b1"))
    assert [type(p.event) for p, _ in before.items] == [OrderQueued]  # rests in the book

    at_expiry = EventsToAppend()
    svc.on_bar("AAA", bar_at(expire_at), at_expiry, cause(expire_at, "b2"))
    ((pending, why),) = at_expiry.items
    assert isinstance(pending.event, OrderCancelled)
    assert pending.event.reason == f"expired unfilled at {expire_at} (GTD)"
    assert pending.event.remaining_quantity == Decimal(10)
    assert (why.ts_event, why.actor) == (expire_at, VENUE_ACTOR)

    after = EventsToAppend()
    svc.on_bar("AAA", bar_at(expire_at + MINUTE, low="40"), after, cause(expire_at + MINUTE, "b3"))
    assert after.items == []


def test_a_gtd_market_order_whose_first_bar_is_past_expiry_is_cancelled_not_filled() -> None:
    svc = service()
    svc.remember_bar("AAA", bar_at(T0 + 5 * MINUTE), Decimal(100))
    uow = EventsToAppend()
    svc.submit(command(expire_at=T0 + 3 * MINUTE), uow, cause(T0))
    assert [type(e) for e in events_of(uow)] == [
        AccountOpened,
        OrderSubmitted,
        OrderAccepted,
        OrderCancelled,
    ]
    assert uow.items[-1][1].ts_event == T0 + 5 * MINUTE


def test_cancelling_an_open_order_records_order_cancelled() -> None:
    svc = service()
    svc.submit(command(), EventsToAppend(), cause(T0))
    uow = EventsToAppend()
    svc.cancel(ORDER_ID, "by alice", uow, cause(T0 + 1, "cancel"))
    assert events_of(uow) == [OrderCancelled(ORDER_ID, "by alice", Decimal(10))]


def test_cancelling_an_unknown_order_raises_order_not_found() -> None:
    uow = EventsToAppend()
    with pytest.raises(OrderNotFound, match="does not exist"):
        service().cancel(uuid.UUID(int=99), "x", uow, cause(T0))
    assert uow.items == []


def test_cancelling_a_filled_order_is_an_illegal_transition() -> None:
    svc = service()
    svc.remember_bar("AAA", bar_at(T0), Decimal(100))
    svc.submit(command(), EventsToAppend(), cause(T0))
    uow = EventsToAppend()
    with pytest.raises(IllegalOrderTransition):
        svc.cancel(ORDER_ID, "too late", uow, cause(T0 + 1, "cancel"))
    assert uow.items == []


def test_open_buy_orders_reserve_cash_for_later_orders() -> None:
    svc = service(initial_cash=Decimal(1500))
    svc.remember_bar("AAA", bar_at(T0 - MINUTE), Decimal(100))  # last price, before the orders
    svc.submit(command(), EventsToAppend(), cause(T0))  # 10 x 100 reserved, unfilled
    uow = EventsToAppend()
    svc.submit(command(order_id=uuid.UUID(int=2)), uow, cause(T0))
    rejected = events_of(uow)[-1]
    assert isinstance(rejected, OrderRejected)
    assert rejected.reason.startswith("not enough cash: order 1000.00 + open buys 1000.00")


def test_strategy_order_ids_are_derived_from_the_decision_event() -> None:
    decision = uuid.UUID(int=7)
    assert strategy_order_id(decision) == strategy_order_id(decision)
    assert strategy_order_id(decision) != strategy_order_id(uuid.UUID(int=8))


@pytest.mark.parametrize(
    "overrides",
    [{"quantity": Decimal(0)}, {"order_type": "LIMIT"}, {"limit_price": Decimal(100)}],
)
def test_a_malformed_order_on_a_new_account_opens_nothing_and_records_nothing(
    overrides: dict[str, object],
) -> None:
    svc = service()
    uow = EventsToAppend()
    with pytest.raises(InvalidOrder):
        svc.submit(command(**overrides), uow, cause(T0))
    assert uow.items == []
    assert svc.accounts == {}


def test_open_market_buys_reserve_cash_at_their_reference_price_before_any_bar() -> None:
    svc = service(initial_cash=Decimal(1500))  # no bar seen: no last price yet
    svc.submit(command(), EventsToAppend(), cause(T0))  # 10 x reference 100, unfilled
    uow = EventsToAppend()
    svc.submit(command(order_id=uuid.UUID(int=2)), uow, cause(T0))
    rejected = events_of(uow)[-1]
    assert isinstance(rejected, OrderRejected)
    assert "open buys 1000.00" in rejected.reason


def test_an_order_for_an_unknown_account_is_refused_and_opens_nothing() -> None:
    from bounded_contexts.execution.domain.errors import UnknownAccount

    svc = service()
    uow = EventsToAppend()
    with pytest.raises(UnknownAccount, match="unknown account 'SOMEONE-ELSE'"):
        svc.submit(command(account_id="SOMEONE-ELSE"), uow, cause(T0))
    assert uow.items == [] and svc.accounts == {}


def test_the_working_set_holds_exactly_the_open_orders_through_every_transition() -> None:
    """Bars and the cash control look only at working orders (not at every order ever placed):
    after accepts, partial and full fills, a cancel, a rejection and a GTD expiry, the working
    set is exactly the open orders, in submission order."""
    svc = service()

    def submit(number: int, **overrides: object) -> uuid.UUID:
        order_id = uuid.UUID(int=number)
        svc.submit(command(order_id=order_id, **overrides), EventsToAppend(), cause(T0))
        return order_id

    filled = submit(1)
    partial = submit(2, quantity=Decimal(900))  # 25 % of the bar's 2,000: 500 fill
    cancelled = submit(3, order_type="LIMIT", limit_price=Decimal(50))
    rejected = submit(4, quantity=Decimal(900_000))
    expiring = submit(5, order_type="LIMIT", limit_price=Decimal(50), expire_at=T0 + 2 * MINUTE)
    resting = submit(6, order_type="LIMIT", limit_price=Decimal(60))
    svc.on_bar("AAA", bar_at(T0, volume="2000"), EventsToAppend(), cause(T0, "bar"))
    svc.cancel(cancelled, "by alice", EventsToAppend(), cause(T0 + 1, "cancel"))
    svc.on_bar("AAA", bar_at(T0 + 3 * MINUTE, volume="0"), EventsToAppend(), cause(T0, "b2"))

    assert svc.orders[filled].status == OrderStatus.FILLED
    assert svc.orders[partial].status == OrderStatus.PARTIALLY_FILLED
    assert svc.orders[rejected].status == OrderStatus.REJECTED
    assert svc.orders[expiring].status == OrderStatus.CANCELLED
    assert list(svc.working) == [partial, resting]
    assert list(svc.working) == [o for o, order in svc.orders.items() if order.is_open]
