"""The kill switch (RTS 6 Art. 12): engaging a scope cancels every working order in it in the
same unit of work and rejects every new order in it, with the switch named, until a person
releases it; engaging or releasing twice, or without a reason, is refused and records
nothing."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from bounded_contexts.execution.application.service import ExecutionService
from bounded_contexts.execution.domain.controls.events import (
    KillSwitchEngaged,
    KillSwitchReleased,
    TradingHalted,
)
from bounded_contexts.execution.domain.controls.scope import ControlScope, ScopeKind
from bounded_contexts.execution.domain.errors import (
    ControlStateConflict,
    InvalidControl,
    UnknownInstrument,
)
from bounded_contexts.execution.domain.events import ControlBreach, OrderCancelled
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


def working(svc: ExecutionService, number: int, **overrides: object) -> uuid.UUID:
    """An accepted limit order resting at the venue (no bar has come)."""
    fields: dict[str, object] = {
        "order_id": uuid.UUID(int=number),
        "order_type": "LIMIT",
        "limit_price": Decimal(90),
    }
    fields.update(overrides)
    return svc.submit(command(**fields), EventsToAppend(), cause(T0 + number))


def two_instruments() -> ExecutionService:
    svc = service()
    svc.instrument_listed("BBB")
    return svc


def test_engaging_the_firm_switch_cancels_every_working_order_in_one_unit_of_work() -> None:
    svc = two_instruments()
    orders = [working(svc, 1), working(svc, 2, instrument_id="BBB")]
    uow = EventsToAppend()
    cancelled = svc.engage_kill_switch(ControlScope.parse("firm"), "runaway algo", uow, cause(T0))
    assert cancelled == orders
    recorded = events_of(uow)
    assert recorded[0] == KillSwitchEngaged("firm", "runaway algo", 2)
    assert [type(e) for e in recorded[1:]] == [OrderCancelled, OrderCancelled]
    assert all("kill switch of firm engaged: runaway algo" in e.reason for e in recorded[1:])
    assert svc.working == {}
    assert all(svc.orders[o].status is OrderStatus.CANCELLED for o in orders)


def test_an_instrument_switch_cancels_that_instrument_only() -> None:
    svc = two_instruments()
    aaa, bbb = working(svc, 1), working(svc, 2, instrument_id="BBB")
    cancelled = svc.engage_kill_switch(
        ControlScope.parse("instrument:AAA"), "bad prints", EventsToAppend(), cause(T0)
    )
    assert cancelled == [aaa]
    assert list(svc.working) == [bbb]


def test_a_new_order_under_an_engaged_switch_is_rejected_naming_it_and_others_pass() -> None:
    svc = two_instruments()
    svc.engage_kill_switch(
        ControlScope.parse("instrument:AAA"), "bad prints", EventsToAppend(), cause(T0)
    )
    blocked = svc.orders[working(svc, 1)]
    assert blocked.status is OrderStatus.REJECTED
    assert blocked.breaches == (ControlBreach("kill_switch", None, None, "instrument:AAA"),)
    assert blocked.reject_reason == "the kill switch of instrument:AAA is engaged (bad prints)"
    assert svc.orders[working(svc, 2, instrument_id="BBB")].status is OrderStatus.ACCEPTED


@pytest.mark.parametrize(
    ("scope", "blocked", "passes"),
    [
        ("account:DEMO-001", {}, {"account_id": "OTHER-1"}),
        ("trader:alice", {}, {"person": "bob"}),
        ("strategy:momentum-v1", {"origin": "STRATEGY", "algo_id": "momentum-v1"}, {}),
    ],
)
def test_each_scope_blocks_the_orders_it_covers_and_no_other(
    scope: str, blocked: dict[str, object], passes: dict[str, object]
) -> None:
    svc = service()
    svc.submit(command(order_id=uuid.UUID(int=99)), EventsToAppend(), cause(T0))  # opens DEMO-001
    if "account_id" in passes:
        svc.config = type(svc.config)(account_id="OTHER-1")  # a second account the firm holds
        svc.submit(
            command(order_id=uuid.UUID(int=98), account_id="OTHER-1"), EventsToAppend(), cause(T0)
        )
    svc.engage_kill_switch(ControlScope.parse(scope), "halt", EventsToAppend(), cause(T0))
    rejected = svc.orders[working(svc, 1, **blocked)]
    assert rejected.status is OrderStatus.REJECTED
    assert rejected.breaches[0].scope == scope
    assert svc.orders[working(svc, 2, **passes)].status is OrderStatus.ACCEPTED


def test_a_released_switch_lets_orders_through_again_and_cancelled_ones_stay_cancelled() -> None:
    svc = service()
    first = working(svc, 1)
    svc.engage_kill_switch(ControlScope.parse("firm"), "halt", EventsToAppend(), cause(T0))
    uow = EventsToAppend()
    svc.release_kill_switch(ControlScope.parse("firm"), "fixed", uow, cause(T0 + 10))
    assert events_of(uow) == [KillSwitchReleased("firm", "fixed")]
    assert svc.orders[working(svc, 2)].status is OrderStatus.ACCEPTED
    assert svc.orders[first].status is OrderStatus.CANCELLED


def test_engaging_twice_releasing_a_switch_not_engaged_or_no_reason_is_refused() -> None:
    svc = service()
    order = working(svc, 1)
    uow = EventsToAppend()
    with pytest.raises(ControlStateConflict, match="not engaged"):
        svc.release_kill_switch(ControlScope.parse("firm"), "why", uow, cause(T0))
    with pytest.raises(InvalidControl, match="a reason is required"):
        svc.engage_kill_switch(ControlScope.parse("firm"), "  ", uow, cause(T0))
    assert uow.items == [] and order in svc.working
    svc.engage_kill_switch(ControlScope.parse("firm"), "halt", EventsToAppend(), cause(T0))
    with pytest.raises(ControlStateConflict, match="already engaged"):
        svc.engage_kill_switch(ControlScope.parse("firm"), "again", uow, cause(T0))
    assert uow.items == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("desk:FX", "a scope kind is one of firm, account, strategy, trader"),
        ("account:", "the account scope needs a value"),
        ("firm:everything", "the firm scope takes no value"),
        ("instrument:AA PL", "letters, digits"),
        ("venue:" + "X" * 65, "1-64"),
    ],
)
def test_a_malformed_scope_is_refused_with_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidControl, match=message) as refused:
        ControlScope.parse(text)
    assert refused.value.field == "scope"


def test_a_scope_reads_back_as_it_is_written() -> None:
    assert str(ControlScope.parse(" Account:DEMO-001 ")) == "account:DEMO-001"
    assert ControlScope.parse("FIRM").kind is ScopeKind.FIRM
    assert str(ControlScope.parse("trader:ops@example.com")) == "trader:ops@example.com"


def test_a_halted_instrument_rests_its_orders_rejects_new_ones_and_fills_after_resuming() -> None:
    svc = two_instruments()
    resting = working(svc, 1, limit_price=Decimal(100))
    uow = EventsToAppend()
    svc.halt_trading("AAA", "volatility break", uow, cause(T0))
    assert events_of(uow) == [TradingHalted("AAA", "volatility break")]
    refused = svc.orders[working(svc, 2)]
    assert refused.breaches == (ControlBreach("trading_halted", None, None, "instrument:AAA"),)
    assert svc.orders[working(svc, 3, instrument_id="BBB")].status is OrderStatus.ACCEPTED
    bars = EventsToAppend()
    svc.on_bar("AAA", bar_at(T0 + MINUTE), bars, cause(T0 + MINUTE))
    assert bars.items == [] and svc.orders[resting].status is OrderStatus.ACCEPTED
    with pytest.raises(ControlStateConflict, match="already halted"):
        svc.halt_trading("AAA", "again", EventsToAppend(), cause(T0))
    svc.resume_trading("AAA", "orderly market", EventsToAppend(), cause(T0 + 2 * MINUTE))
    svc.on_bar("AAA", bar_at(T0 + 2 * MINUTE), EventsToAppend(), cause(T0 + 2 * MINUTE))
    assert svc.orders[resting].status is OrderStatus.FILLED
    with pytest.raises(ControlStateConflict, match="is not halted"):
        svc.resume_trading("AAA", "again", EventsToAppend(), cause(T0))
    with pytest.raises(UnknownInstrument):
        svc.halt_trading("ZZZ", "typo", EventsToAppend(), cause(T0))
