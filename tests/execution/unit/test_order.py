"""The Order aggregate's state machine: every legal transition records exactly one event, every
illegal one raises ``IllegalOrderTransition`` and records nothing; fills keep exact totals."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest

from bounded_contexts.execution.domain.errors import IllegalOrderTransition, InvalidOrder
from bounded_contexts.execution.domain.events import (
    OrderAccepted,
    OrderActivated,
    OrderCancelled,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
    OrderTrailingStopMoved,
    OrderTriggered,
)
from bounded_contexts.execution.domain.order import Order, OrderStatus, order_id_for

ORDER_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
PARENT_ID = uuid.UUID("00000000-0000-4000-8000-0000000000ff")


def submitted(
    *,
    quantity: Decimal = Decimal(100),
    order_type: str = "MARKET",
    limit_price: Decimal | None = None,
    **terms: object,
) -> OrderSubmitted:
    return OrderSubmitted(
        ORDER_ID,
        "ACC-1",
        "AAA",
        "BUY",
        order_type,  # type: ignore[arg-type]
        quantity,
        limit_price,
        "GTC",
        None,
        "MANUAL",
        None,
        None,
        **terms,  # type: ignore[arg-type]
    )


def new_order(
    quantity: Decimal = Decimal(100), *, trailing: bool = False, held: bool = False
) -> Order:
    terms: dict[str, object] = (
        {"order_type": "TRAILING_STOP", "trail_amount": Decimal(1)} if trailing else {}
    )
    if held:  # a one-triggers-other child: recorded HELD until its parent is filled
        terms["parent_order_id"] = PARENT_ID
    order = Order.submit(submitted(quantity=quantity, **terms))  # type: ignore[arg-type]
    order.collect_pending()
    return order


def order_in(status: OrderStatus, *, trailing: bool = False) -> Order:
    """An order driven to ``status`` through legal transitions, its pending events collected:
    a MARKET order, or (``trailing``) a conditional one, which must be triggered to fill."""
    order = new_order(trailing=trailing, held=status is OrderStatus.HELD)
    if status is OrderStatus.REJECTED:
        order.reject("limits")
    elif status not in (OrderStatus.NEW, OrderStatus.HELD):
        order.accept()
    if trailing and status in (
        OrderStatus.TRIGGERED,
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.FILLED,
    ):
        order.trigger(Decimal(11), 1)
    if status is OrderStatus.PARTIALLY_FILLED:
        order.fill(Decimal(40), Decimal(10), Decimal(1))
    elif status is OrderStatus.FILLED:
        order.fill(Decimal(100), Decimal(10), Decimal(1))
    elif status is OrderStatus.CANCELLED:
        order.cancel("by the trader")
    order.collect_pending()
    assert order.status is status
    return order


ACTIONS: dict[str, Callable[[Order], None]] = {
    "accept": lambda o: o.accept(),
    "reject": lambda o: o.reject("a reason"),
    "trigger": lambda o: o.trigger(Decimal(11), 2),
    "move_trailing_stop": lambda o: o.move_trailing_stop(Decimal(9), Decimal(10), 2),
    "fill": lambda o: o.fill(Decimal(1), Decimal(10), Decimal(1)),
    "cancel": lambda o: o.cancel("a reason"),
    "expire": lambda o: o.expire("at 2 (GTD)"),
    "activate": lambda o: o.activate(Decimal(100), "parent filled", 2),
}

# (kind, status, action) -> (status after, event recorded). kind: a MARKET order ("plain"),
# which never triggers, or a trailing stop ("conditional"), which fills only once triggered.
LEGAL = {
    (kind, start, action): outcome
    for kind in ("plain", "conditional")
    for (start, action), outcome in {
        (OrderStatus.NEW, "accept"): (OrderStatus.ACCEPTED, OrderAccepted),
        (OrderStatus.NEW, "reject"): (OrderStatus.REJECTED, OrderRejected),
        (OrderStatus.ACCEPTED, "reject"): (OrderStatus.REJECTED, OrderRejected),
        (OrderStatus.ACCEPTED, "cancel"): (OrderStatus.CANCELLED, OrderCancelled),
        (OrderStatus.ACCEPTED, "expire"): (OrderStatus.CANCELLED, OrderCancelled),
        (OrderStatus.PARTIALLY_FILLED, "fill"): (OrderStatus.PARTIALLY_FILLED, OrderFilled),
        (OrderStatus.PARTIALLY_FILLED, "cancel"): (OrderStatus.CANCELLED, OrderCancelled),
        (OrderStatus.PARTIALLY_FILLED, "expire"): (OrderStatus.CANCELLED, OrderCancelled),
        (OrderStatus.HELD, "activate"): (OrderStatus.NEW, OrderActivated),
        (OrderStatus.HELD, "cancel"): (OrderStatus.CANCELLED, OrderCancelled),
    }.items()
} | {
    ("plain", OrderStatus.ACCEPTED, "fill"): (OrderStatus.PARTIALLY_FILLED, OrderFilled),
    ("conditional", OrderStatus.ACCEPTED, "trigger"): (OrderStatus.TRIGGERED, OrderTriggered),
    ("conditional", OrderStatus.ACCEPTED, "move_trailing_stop"): (
        OrderStatus.ACCEPTED,
        OrderTrailingStopMoved,
    ),
    ("conditional", OrderStatus.TRIGGERED, "fill"): (
        OrderStatus.PARTIALLY_FILLED,
        OrderFilled,
    ),
    ("conditional", OrderStatus.TRIGGERED, "cancel"): (OrderStatus.CANCELLED, OrderCancelled),
    ("conditional", OrderStatus.TRIGGERED, "expire"): (OrderStatus.CANCELLED, OrderCancelled),
}

REACHABLE = {
    "plain": [s for s in OrderStatus if s is not OrderStatus.TRIGGERED],
    "conditional": list(OrderStatus),
}
ILLEGAL = [
    (kind, status, action)
    for kind, statuses in REACHABLE.items()
    for status in statuses
    for action in ACTIONS
    if (kind, status, action) not in LEGAL
]


@pytest.mark.parametrize(("kind", "start", "action"), list(LEGAL))
def test_a_legal_transition_records_exactly_one_event_and_moves_the_status(
    kind: str, start: OrderStatus, action: str
) -> None:
    order = order_in(start, trailing=kind == "conditional")
    version = order.version
    ACTIONS[action](order)
    expected_status, expected_event = LEGAL[(kind, start, action)]
    pending = order.collect_pending()
    assert order.status is expected_status
    assert [type(p.event) for p in pending] == [expected_event]
    assert pending[0].aggregate_version == version + 1 == order.version


@pytest.mark.parametrize(("kind", "start", "action"), ILLEGAL)
def test_an_illegal_transition_raises_and_records_nothing(
    kind: str, start: OrderStatus, action: str
) -> None:
    order = order_in(start, trailing=kind == "conditional")
    version, filled = order.version, order.filled
    with pytest.raises(IllegalOrderTransition) as info:
        ACTIONS[action](order)
    assert (info.value.status, info.value.action) == (start.value, action)
    assert str(ORDER_ID) in str(info.value) and action in str(info.value)
    assert order.collect_pending() == []
    assert (order.status, order.version, order.filled) == (start, version, filled)


def test_every_status_and_action_pair_is_either_legal_or_illegal() -> None:
    pairs = sum(len(statuses) for statuses in REACHABLE.values()) * len(ACTIONS)
    assert len(LEGAL) + len(ILLEGAL) == pairs
    assert len(ILLEGAL) == 7 * 8 - 11 + 8 * 8 - 15


def test_an_untriggered_stop_order_cannot_fill_and_says_why() -> None:
    order = order_in(OrderStatus.ACCEPTED, trailing=True)
    with pytest.raises(IllegalOrderTransition, match="untriggered TRAILING_STOP"):
        order.fill(Decimal(1), Decimal(10), Decimal(1))
    assert order.collect_pending() == []


def test_expiring_records_a_cancellation_whose_reason_says_expired() -> None:
    order = order_in(OrderStatus.PARTIALLY_FILLED)
    order.expire("unfilled at 5 (DAY)")
    (pending,) = order.collect_pending()
    assert pending.event == OrderCancelled(ORDER_ID, "expired unfilled at 5 (DAY)", Decimal(60))


def test_triggering_records_the_trigger_price_and_time_and_the_order_fills_afterwards() -> None:
    order = Order.submit(
        submitted(order_type="STOP", stop_price=Decimal("10.5"))  # type: ignore[arg-type]
    )
    order.accept()
    order.trigger(Decimal("10.5"), 42)
    order.fill(Decimal(100), Decimal("10.6"), Decimal(1))
    events = [p.event for p in order.collect_pending()]
    assert events[2] == OrderTriggered(ORDER_ID, Decimal("10.5"), 42)
    assert (order.status, order.triggered_at, order.trigger_price) == (
        OrderStatus.FILLED,
        42,
        Decimal("10.5"),
    )
    assert Order.replay(ORDER_ID, events).status is OrderStatus.FILLED


def test_submitting_records_order_submitted_and_starts_new_and_open() -> None:
    order = Order.submit(submitted())
    pending = order.collect_pending()
    assert [type(p.event) for p in pending] == [OrderSubmitted]
    assert order.id == ORDER_ID and order.version == 1
    assert order.status is OrderStatus.NEW and order.is_open
    assert order.remaining == Decimal(100)


def test_filling_the_whole_quantity_at_once_goes_straight_to_filled() -> None:
    order = order_in(OrderStatus.ACCEPTED)
    order.fill(Decimal(100), Decimal("10.25"), Decimal("1.54"))
    (pending,) = order.collect_pending()
    assert pending.event == OrderFilled(
        ORDER_ID,
        1,
        Decimal(100),
        Decimal("10.25"),
        Decimal("1.54"),
        Decimal(100),
        Decimal(0),
        Decimal("10.250000"),
        transaction_reference="00000000000040008000000000000001F1",
    )
    assert order.status is OrderStatus.FILLED and not order.is_open


def test_partial_fills_accumulate_to_filled_with_the_volume_weighted_average_price() -> None:
    order = order_in(OrderStatus.ACCEPTED)
    order.fill(Decimal(30), Decimal(10), Decimal(1))
    order.fill(Decimal(70), Decimal(11), Decimal(1))
    first, second = (p.event for p in order.collect_pending())
    assert isinstance(first, OrderFilled) and isinstance(second, OrderFilled)
    assert (first.fill_seq, first.filled_quantity, first.remaining_quantity) == (1, 30, 70)
    assert first.average_price == Decimal(10)
    assert (second.fill_seq, second.filled_quantity, second.remaining_quantity) == (2, 100, 0)
    # (30 x 10 + 70 x 11) / 100 = 10.7
    assert second.average_price == Decimal("10.700000")
    assert order.status is OrderStatus.FILLED


def test_the_average_price_is_rounded_to_six_places_from_the_exact_notional() -> None:
    order = order_in(OrderStatus.ACCEPTED)
    for price in (Decimal(10), Decimal(10), Decimal(11)):
        order.fill(Decimal(1), price, Decimal(1))
    last = order.collect_pending()[-1].event
    assert isinstance(last, OrderFilled)
    assert last.average_price == Decimal("10.333333")  # 31 / 3
    assert order.notional == Decimal(31)
    assert order.status is OrderStatus.PARTIALLY_FILLED and order.remaining == Decimal(97)


def test_cancelling_a_partially_filled_order_reports_the_remaining_quantity() -> None:
    order = order_in(OrderStatus.PARTIALLY_FILLED)
    order.cancel("no fill before the deadline")
    (pending,) = order.collect_pending()
    assert pending.event == OrderCancelled(ORDER_ID, "no fill before the deadline", Decimal(60))


@pytest.mark.parametrize("quantity", [Decimal(0), Decimal(-1), Decimal(61)])
def test_a_fill_of_zero_negative_or_more_than_remaining_is_refused_and_records_nothing(
    quantity: Decimal,
) -> None:
    order = order_in(OrderStatus.PARTIALLY_FILLED)
    with pytest.raises(InvalidOrder, match="60 open"):
        order.fill(quantity, Decimal(10), Decimal(1))
    assert order.collect_pending() == []
    assert order.filled == Decimal(40) and order.status is OrderStatus.PARTIALLY_FILLED


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"quantity": Decimal(0)}, "quantity must be positive"),
        ({"quantity": Decimal("-5")}, "quantity must be positive"),
        ({"order_type": "LIMIT", "limit_price": None}, "positive limit price"),
        ({"order_type": "LIMIT", "limit_price": Decimal(0)}, "positive limit price"),
        ({"order_type": "LIMIT", "limit_price": Decimal("-1")}, "positive limit price"),
        ({"order_type": "MARKET", "limit_price": Decimal(10)}, "takes no limit price"),
    ],
)
def test_submitting_a_malformed_order_raises_invalid_order(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidOrder, match=message):
        Order.submit(submitted(**kwargs))  # type: ignore[arg-type]


def test_a_limit_order_with_a_positive_price_is_accepted_for_submission() -> None:
    order = Order.submit(submitted(order_type="LIMIT", limit_price=Decimal("9.5")))
    assert order.submitted is not None and order.submitted.limit_price == Decimal("9.5")


def test_replaying_the_recorded_events_rebuilds_the_live_state() -> None:
    live = Order.submit(submitted())
    live.accept()
    live.fill(Decimal(25), Decimal("10.01"), Decimal(1))
    live.fill(Decimal(35), Decimal("10.03"), Decimal(1))
    live.cancel("done")
    history = [p.event for p in live.collect_pending()]
    replayed = Order.replay(ORDER_ID, history)
    for attribute in ("status", "submitted", "filled", "notional", "fills", "version"):
        assert getattr(replayed, attribute) == getattr(live, attribute)
    assert replayed.remaining == Decimal(40)


def test_order_ids_derived_from_the_same_key_are_equal_and_differ_between_keys() -> None:
    assert order_id_for("decision/1") == order_id_for("decision/1")
    assert order_id_for("decision/1") != order_id_for("decision/2")


def test_a_held_order_cannot_fill_and_activates_only_once_into_a_new_order() -> None:
    order = order_in(OrderStatus.HELD)
    with pytest.raises(IllegalOrderTransition, match="is HELD: cannot fill"):
        order.fill(Decimal(1), Decimal(10), Decimal(1))
    order.activate(Decimal(60), "parent expired with 60 of 100 filled", 7)
    (activated,) = [p.event for p in order.collect_pending()]
    assert activated == OrderActivated(
        ORDER_ID, PARENT_ID, Decimal(60), Decimal(100), "parent expired with 60 of 100 filled", 7
    )
    assert (order.status, order.quantity, order.ts_submitted) == (OrderStatus.NEW, 60, 7)
    with pytest.raises(IllegalOrderTransition, match="is NEW: cannot activate"):
        order.activate(Decimal(60), "again", 8)


def test_a_held_order_cannot_be_activated_for_more_than_it_was_submitted_for() -> None:
    order = order_in(OrderStatus.HELD)
    with pytest.raises(InvalidOrder, match="cannot be activated for 101") as info:
        order.activate(Decimal(101), "parent filled", 2)
    assert info.value.field == "quantity" and order.collect_pending() == []


def test_a_held_order_cancelled_says_it_was_never_sent() -> None:
    order = order_in(OrderStatus.HELD)
    order.cancel("parent cancelled")
    (cancelled,) = [p.event for p in order.collect_pending()]
    assert isinstance(cancelled, OrderCancelled)
    assert cancelled.reason == "never sent: parent cancelled"
