"""Instrument terms in execution: an order's quantity must be a positive whole number of lots
and its limit price a positive number of ticks, or it is refused by name with nothing
recorded; absurd sizes never reach the log; strategy orders are rounded down to the lot."""

from __future__ import annotations

import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest

from bounded_contexts.decision.domain.events import TradeDecided
from bounded_contexts.execution.application.service import (
    ExecutionConfig,
    ExecutionService,
    SubmitOrder,
)
from bounded_contexts.execution.domain.errors import InvalidOrder, PriceOffTick, QuantityOffLot
from bounded_contexts.execution.domain.events import OrderRejected, OrderSubmitted
from bounded_contexts.execution.domain.instrument import InstrumentTerms
from bounded_contexts.execution.policies.on_market_and_decisions import ExecutionPolicy
from bounded_contexts.ingestion.domain.events import InstrumentListed
from events.effects import EventsToAppend
from events.envelope import Cause

T0 = 1_795_680_000_000_000_000


class UnusedStore:
    def read_raw(self, after: int, *, limit: int) -> list[object]:
        return []  # catching up before a strategy order: nothing else was appended

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"the execution service touched the store ({name})")


def service(lot: str = "10", tick: str = "0.05") -> ExecutionService:
    svc = ExecutionService(UnusedStore(), ExecutionConfig())  # type: ignore[arg-type]
    svc.instrument_listed("AAA", Decimal(lot), Decimal(tick))
    return svc


def command(quantity: str, limit_price: str | None = None) -> SubmitOrder:
    return SubmitOrder(
        order_id=uuid.UUID(int=7),
        account_id="DEMO-001",
        instrument_id="AAA",
        side="BUY",
        order_type="MARKET" if limit_price is None else "LIMIT",
        quantity=Decimal(quantity),
        limit_price=None if limit_price is None else Decimal(limit_price),
        origin="MANUAL",
        reference_price=Decimal(100),
    )


def cause() -> Cause:
    return Cause.origin(ts_event=T0, actor="person:alice", key="k")


@pytest.mark.parametrize(
    ("quantity", "limit_price", "error", "field"),
    [
        ("1E-30", None, InvalidOrder, "quantity"),  # issue 6: filled and charged a fee
        ("0.0000001", None, InvalidOrder, "quantity"),
        ("15", None, QuantityOffLot, "quantity"),
        ("10.5", None, QuantityOffLot, "quantity"),
        ("-10", None, InvalidOrder, "quantity"),
        ("NaN", None, InvalidOrder, "quantity"),
        ("9" * 100_000, None, InvalidOrder, "quantity"),  # issue 6: stored in the log
        ("1E+100000", None, InvalidOrder, "quantity"),
        ("10", "100.01", PriceOffTick, "limit_price"),
        ("10", "100.0500000000001", InvalidOrder, "limit_price"),
        ("10", "1" * 40, InvalidOrder, "limit_price"),
    ],
)
def test_an_order_off_the_instruments_terms_is_refused_by_field_and_records_nothing(
    quantity: str, limit_price: str | None, error: type[InvalidOrder], field: str
) -> None:
    svc = service()
    uow = EventsToAppend()
    with pytest.raises(error) as caught:
        svc.submit(command(quantity, limit_price), uow, cause())
    assert caught.value.field == field
    assert len(str(caught.value)) < 200
    assert uow.items == [] and svc.orders == {} and svc.accounts == {}


def test_an_order_on_the_lot_and_tick_is_accepted() -> None:
    svc = service()
    uow = EventsToAppend()
    svc.submit(command("20", "99.95"), uow, cause())
    submitted = [p.event for p, _ in uow.items if isinstance(p.event, OrderSubmitted)]
    assert [(s.quantity, s.limit_price) for s in submitted] == [(Decimal(20), Decimal("99.95"))]


def test_a_fractional_lot_admits_fractional_quantities() -> None:
    terms = InstrumentTerms("BTC", lot_size=Decimal("0.001"), tick_size=Decimal("0.5"))
    terms.check_quantity(Decimal("1.234"))
    with pytest.raises(QuantityOffLot):
        terms.check_quantity(Decimal("1.2345"))


def test_an_order_above_the_maximum_order_quantity_is_recorded_as_rejected() -> None:
    svc = service(lot="1", tick="0.0001")
    uow = EventsToAppend()
    svc.submit(command("2000000", "0.0001"), uow, cause())
    [rejected] = [p.event for p, _ in uow.items if isinstance(p.event, OrderRejected)]
    assert "order quantity 2000000 exceeds the limit 1000000" in rejected.reason


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [("37", "30"), ("30", "30"), ("9", "0"), ("0", "0"), ("1E-30", "0")],
)
def test_strategy_quantities_round_down_to_whole_lots(wanted: str, expected: str) -> None:
    assert service().strategy_quantity("AAA", Decimal(wanted)) == Decimal(expected)


def decided(quantity: str) -> SimpleNamespace:
    event = TradeDecided(
        "AAA",
        T0,
        "BUY",
        "BUY",
        Decimal(quantity),
        Decimal(quantity),
        Decimal(100),
        0.9,
        "m1",
        "qv-directional-v1",
        "qv-directional-v1/m1",
        "model confident of a rise",
    )
    return SimpleNamespace(
        event=event,
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, quantity),
        ts_event=T0,
        correlation_id=uuid.UUID(int=3),
        watermarks={},
        context="decision",
        position=1,
    )


def policy_on(svc: ExecutionService) -> ExecutionPolicy:
    policy = ExecutionPolicy(svc, stores={}, effects=None)  # type: ignore[arg-type]
    policy._ready = True  # the state is set up by hand here, not loaded from stores
    return policy


def test_a_strategy_decision_becomes_an_order_of_whole_lots_and_one_under_a_lot_none() -> None:
    svc = service()
    policy = policy_on(svc)
    uow = EventsToAppend()
    policy.handle("decision", [decided("37"), decided("9")], uow)  # type: ignore[list-item]
    submitted = [p.event for p, _ in uow.items if isinstance(p.event, OrderSubmitted)]
    assert [s.quantity for s in submitted] == [Decimal(30)]


def test_execution_learns_lot_and_tick_from_the_listing() -> None:
    svc = ExecutionService(UnusedStore(), ExecutionConfig())  # type: ignore[arg-type]
    listing = InstrumentListed(
        "AAA", "DE0007164600", "XETR", "EUR", "SAP", Decimal(5), Decimal("0.01")
    )
    policy_on(svc)._market_data(SimpleNamespace(event=listing), None)  # type: ignore[arg-type]
    assert svc.instruments["AAA"] == InstrumentTerms("AAA", Decimal(5), Decimal("0.01"), "XETR")
