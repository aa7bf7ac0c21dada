"""Pre-trade limits set at run time, per scope (RTS 6 Art. 15): an order must pass the limits
of every scope it falls under, and a rejection names the scope whose limit it broke; the price
collar and the message rate are checked as the order is sent; a malformed limit is refused
and records nothing."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import jsonschema
import pytest

from bounded_contexts.execution.application.service import THROTTLE_ACTOR, ExecutionService
from bounded_contexts.execution.domain.controls.events import Limits, RiskLimitsSet
from bounded_contexts.execution.domain.controls.scope import ControlScope
from bounded_contexts.execution.domain.errors import InvalidControl
from bounded_contexts.execution.domain.events import ControlBreach
from bounded_contexts.execution.domain.order import OrderStatus
from events.catalogue import schema_path
from events.codec import upcast
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

SECOND = 1_000_000_000


def set_limits(svc: ExecutionService, scope: str, **limits: object) -> list[object]:
    uow = EventsToAppend()
    svc.set_risk_limits(ControlScope.parse(scope), Limits(**limits), "desk policy", uow, cause(T0))  # type: ignore[arg-type]
    return events_of(uow)


def place(svc: ExecutionService, number: int, ts: int = T0, **overrides: object) -> OrderStatus:
    order_id = svc.submit(
        command(order_id=uuid.UUID(int=number), **overrides), EventsToAppend(), cause(ts)
    )
    return svc.orders[order_id].status


def test_setting_a_scope_s_limits_records_them_with_the_reason() -> None:
    svc = service()
    recorded = set_limits(svc, "instrument:AAA", max_order_quantity=Decimal(5))
    assert recorded == [
        RiskLimitsSet("instrument:AAA", Limits(max_order_quantity=Decimal(5)), "desk policy")
    ]


def test_an_order_over_an_instrument_limit_is_rejected_naming_the_scope() -> None:
    svc = service()
    svc.instrument_listed("BBB")
    set_limits(svc, "instrument:AAA", max_order_quantity=Decimal(5))
    assert place(svc, 1) is OrderStatus.REJECTED  # 10 of AAA
    order = svc.orders[uuid.UUID(int=1)]
    assert order.breaches == (
        ControlBreach("max_order_quantity", Decimal(5), Decimal(10), "instrument:AAA"),
    )
    assert order.reject_reason == "order quantity 10 exceeds the limit of instrument:AAA 5"
    assert place(svc, 2, instrument_id="BBB") is OrderStatus.ACCEPTED


def test_the_firm_s_limits_once_set_replace_the_configured_ones() -> None:
    svc = service()  # configured: max order notional 100,000
    assert place(svc, 1, quantity=Decimal(1_500)) is OrderStatus.REJECTED  # 150,000
    set_limits(svc, "firm", max_order_notional=Decimal(200_000))
    assert place(svc, 2, quantity=Decimal(1_400)) is OrderStatus.ACCEPTED  # 140,000


def test_an_order_breaking_two_scopes_names_both() -> None:
    svc = service()
    set_limits(svc, "account:DEMO-001", max_order_notional=Decimal(500))
    set_limits(svc, "trader:alice", max_order_notional=Decimal(800))
    place(svc, 1)  # 10 x 100 = 1,000
    scopes = [b.scope for b in svc.orders[uuid.UUID(int=1)].breaches]
    assert scopes == ["account:DEMO-001", "trader:alice"]


def test_a_limit_price_outside_the_collar_is_rejected_with_its_distance() -> None:
    svc = service()
    set_limits(svc, "firm", price_collar_pct=Decimal(5))
    limit = {"order_type": "LIMIT"}
    assert place(svc, 1, limit_price=Decimal(94), **limit) is OrderStatus.REJECTED
    breach = svc.orders[uuid.UUID(int=1)].breaches[0]
    assert (breach.control, breach.limit, breach.value) == ("price_collar", 5, Decimal("6.00"))
    assert place(svc, 2, limit_price=Decimal(95), **limit) is OrderStatus.ACCEPTED
    assert place(svc, 3) is OrderStatus.ACCEPTED  # a market order has no price to collar


def test_the_rolling_collar_holds_orders_to_the_price_at_the_start_of_its_window() -> None:
    svc = service()
    set_limits(
        svc, "instrument:AAA", rolling_collar_pct=Decimal(5), rolling_collar_window_s=300
    )  # 5% from the price 5 minutes ago
    for minute, price in enumerate(("100", "102", "104", "106", "108", "110", "112"), 1):
        svc.remember_bar("AAA", bar_at(T0 + minute * MINUTE, open_=price), Decimal(price))
    now = T0 + 7 * MINUTE + 10 * SECOND  # the window's first bar is minute 3's: 104
    limit = {"order_type": "LIMIT"}
    # each order is close to the last trade (112), but the market ran 7.7% in five minutes
    assert place(svc, 1, now, limit_price=Decimal(112), **limit) is OrderStatus.REJECTED
    order = svc.orders[uuid.UUID(int=1)]
    assert order.breaches == (
        ControlBreach("rolling_collar", Decimal(5), Decimal("7.69"), "instrument:AAA"),
    )
    assert order.reject_reason == (
        "price 112 is 7.69% from 104, the price 300 s ago, outside the rolling collar of "
        "instrument:AAA of 5% over 300 s"
    )
    assert place(svc, 2, now, limit_price=Decimal(109), **limit) is OrderStatus.ACCEPTED
    # a market order is held to its reference price (the last trade, 112 here)
    assert place(svc, 3, now, reference_price=None) is OrderStatus.REJECTED
    # no trade within the window: nothing to hold the order to
    later = T0 + 20 * MINUTE
    assert place(svc, 4, later, limit_price=Decimal(112), **limit) is OrderStatus.ACCEPTED


def test_messages_beyond_the_rate_in_any_second_are_rejected_and_cancels_count() -> None:
    svc = service()
    set_limits(svc, "account:DEMO-001", max_messages_per_second=3)
    limit = {"order_type": "LIMIT", "limit_price": Decimal(99)}
    assert place(svc, 1, T0, **limit) is OrderStatus.ACCEPTED
    svc.cancel(uuid.UUID(int=1), "changed my mind", EventsToAppend(), cause(T0 + 1))
    assert place(svc, 2, T0 + 2, **limit) is OrderStatus.ACCEPTED  # the third message
    assert place(svc, 3, T0 + 3, **limit) is OrderStatus.REJECTED
    breach = svc.orders[uuid.UUID(int=3)].breaches[0]
    assert (breach.control, breach.limit, breach.value) == (
        "max_messages_per_second",
        Decimal(3),
        Decimal(4),
    )
    # A rejected order was not sent: it does not count. A second after the first, one falls
    # out of the window.
    assert place(svc, 4, T0 + SECOND, **limit) is OrderStatus.ACCEPTED


@pytest.mark.parametrize(
    ("limits", "field"),
    [
        ({"max_order_quantity": Decimal(0)}, "max_order_quantity"),
        ({"max_order_notional": Decimal(-1)}, "max_order_notional"),
        ({"max_position_notional": Decimal("NaN")}, "max_position_notional"),
        ({"max_order_notional": Decimal("Infinity")}, "max_order_notional"),
        ({"price_collar_pct": Decimal(101)}, "price_collar_pct"),
        ({"max_messages_per_second": 0}, "max_messages_per_second"),
        ({"rolling_collar_pct": Decimal(5)}, "rolling_collar_window_s"),
        ({"rolling_collar_window_s": 300}, "rolling_collar_pct"),
        ({"rolling_collar_pct": Decimal(0), "rolling_collar_window_s": 300}, "rolling_collar_pct"),
        (
            {"rolling_collar_pct": Decimal(5), "rolling_collar_window_s": 86_401},
            "rolling_collar_window_s",
        ),
    ],
)
def test_a_malformed_limit_is_refused_naming_it_and_nothing_is_recorded(
    limits: dict[str, object], field: str
) -> None:
    svc = service()
    uow = EventsToAppend()
    with pytest.raises(InvalidControl, match=field) as refused:
        svc.set_risk_limits(ControlScope.parse("firm"), Limits(**limits), "x", uow, cause(T0))  # type: ignore[arg-type]
    assert refused.value.field == field
    assert uow.items == [] and svc.controls.limits == {}


def test_setting_the_same_limits_again_or_without_a_reason_is_refused() -> None:
    svc = service()
    set_limits(svc, "firm", max_order_quantity=Decimal(5))
    uow = EventsToAppend()
    with pytest.raises(InvalidControl, match="already"):
        svc.set_risk_limits(
            ControlScope.parse("firm"), Limits(max_order_quantity=Decimal(5)), "x", uow, cause(T0)
        )
    with pytest.raises(InvalidControl, match="reason"):
        svc.set_risk_limits(ControlScope.parse("firm"), Limits(), "", uow, cause(T0))
    assert uow.items == []


def test_the_fill_beyond_the_throttle_disables_the_strategy_until_a_person_releases_it() -> None:
    svc = service()
    set_limits(svc, "strategy:momo", max_executions_per_minute=2)
    strategy = {"origin": "STRATEGY", "algo_id": "momo"}
    for number in (1, 2, 3):
        place(svc, number, **strategy)
    resting = uuid.UUID(int=4)
    place(svc, 4, order_type="LIMIT", limit_price=Decimal(50), **strategy)
    uow = EventsToAppend()
    svc.on_bar("AAA", bar_at(T0 + MINUTE), uow, cause(T0 + MINUTE, "bar"))
    recorded = [(type(e).__name__, c.actor) for (p, c) in uow.items for e in (p.event,)]
    fills = [i for i, (name, _) in enumerate(recorded) if name == "OrderFilled"]
    engaged = recorded.index(("KillSwitchEngaged", THROTTLE_ACTOR))
    assert len(fills) == 3 and fills[2] < engaged  # tripped by the third fill, after it
    switch = svc.controls.switches[ControlScope.parse("strategy:momo")]
    assert switch.engaged and "3 executions in 60 s exceed the limit of 2" in switch.reason
    assert svc.orders[resting].status is OrderStatus.CANCELLED  # its working order too
    assert place(svc, 5, T0 + 2 * MINUTE, **strategy) is OrderStatus.REJECTED
    assert place(svc, 6, T0 + 2 * MINUTE) is OrderStatus.ACCEPTED  # a person's order passes
    svc.release_kill_switch(
        ControlScope.parse("strategy:momo"), "checked", EventsToAppend(), cause(T0)
    )
    assert place(svc, 7, T0 + 3 * MINUTE, **strategy) is OrderStatus.ACCEPTED


def test_a_bad_execution_throttle_is_refused_naming_it() -> None:
    svc = service()
    with pytest.raises(InvalidControl, match="max_executions_per_minute") as refused:
        svc.set_risk_limits(
            ControlScope.parse("firm"),
            Limits(max_executions_per_minute=0),
            "x",
            EventsToAppend(),
            cause(T0),
        )
    assert refused.value.field == "max_executions_per_minute"


def test_limits_recorded_before_the_rolling_collar_read_back_without_one() -> None:
    v1 = {
        "scope": "firm",
        "limits": {
            "max_order_quantity": "5",
            "max_order_notional": None,
            "max_position_notional": None,
            "price_collar_pct": "2.5",
            "max_messages_per_second": 10,
            "max_executions_per_minute": None,
        },
        "reason": "desk policy",
    }
    payload = upcast(RiskLimitsSet, 1, v1, where="execution#1")
    jsonschema.validate(payload, json.loads(schema_path(RiskLimitsSet, 2).read_text()))
    assert RiskLimitsSet.from_payload(payload).limits == Limits(
        max_order_quantity=Decimal(5), price_collar_pct=Decimal("2.5"), max_messages_per_second=10
    )
