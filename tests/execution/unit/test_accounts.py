"""Accounts opened and configured by command: each with its own ledger, owner and the
instruments and strategies it may trade; an order outside them is rejected naming the
account; a malformed or repeated command is refused and records nothing."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from bounded_contexts.execution.application.service import ExecutionService, OpenAccount
from bounded_contexts.execution.domain.errors import (
    AccountAlreadyOpen,
    InvalidAccount,
    UnknownAccount,
)
from bounded_contexts.execution.domain.events import AccountConfigured, AccountOpened
from bounded_contexts.execution.domain.order import OrderStatus
from events.effects import EventsToAppend
from tests.execution.unit.test_execution_service import T0, cause, command, events_of, service

FUND = OpenAccount(
    account_id="FUND-7",
    currency="USD",
    initial_cash=Decimal(250_000),
    reason="new mandate",
    owner="pm-ann",
    allowed_instruments=("AAA",),
    allowed_strategies=("momo",),
)


def opened(**changes: object) -> tuple[ExecutionService, list[object]]:
    svc = service()
    svc.instrument_listed("BBB")
    uow = EventsToAppend()
    svc.open_account(OpenAccount(**{**FUND.__dict__, **changes}), uow, cause(T0))  # type: ignore[arg-type]
    return svc, events_of(uow)


def place(svc: ExecutionService, number: int, **overrides: object) -> OrderStatus:
    fields: dict[str, object] = {"order_id": uuid.UUID(int=number), "account_id": "FUND-7"}
    fields.update(overrides)
    order_id = svc.submit(command(**fields), EventsToAppend(), cause(T0 + number))
    return svc.orders[order_id].status


def test_opening_an_account_records_its_ledger_and_configuration_in_one_append() -> None:
    svc, recorded = opened()
    assert recorded == [
        AccountOpened("FUND-7", "USD", Decimal(250_000)),
        AccountConfigured("FUND-7", "pm-ann", ("AAA",), ("momo",), "new mandate"),
    ]
    account = svc.accounts["FUND-7"]
    assert (account.cash, account.owner) == (Decimal(250_000), "pm-ann")


def test_an_opened_account_trades_from_its_own_ledger() -> None:
    svc, _ = opened(initial_cash=Decimal(500))
    # 10 x 100 = 1,000 > the account's 500 of cash: the cash control is the account's own
    assert place(svc, 1) is OrderStatus.REJECTED
    assert svc.orders[uuid.UUID(int=1)].breaches[0].control == "cash"
    assert place(svc, 2, quantity=Decimal(4)) is OrderStatus.ACCEPTED


def test_an_instrument_or_strategy_the_account_may_not_trade_is_rejected_naming_it() -> None:
    svc, _ = opened()
    assert place(svc, 1, instrument_id="BBB") is OrderStatus.REJECTED
    breach = svc.orders[uuid.UUID(int=1)].breaches[0]
    assert (breach.control, breach.scope) == ("instrument_not_allowed", "account:FUND-7")
    assert place(svc, 2, origin="STRATEGY", algo_id="meanrev") is OrderStatus.REJECTED
    assert svc.orders[uuid.UUID(int=2)].breaches[0].control == "strategy_not_allowed"
    assert place(svc, 3, origin="STRATEGY", algo_id="momo") is OrderStatus.ACCEPTED
    assert place(svc, 4) is OrderStatus.ACCEPTED  # a person's order: no strategy to check


def test_reconfiguring_replaces_the_lists() -> None:
    svc, _ = opened()
    uow = EventsToAppend()
    svc.configure_account(
        "FUND-7",
        owner="pm-bob",
        allowed_instruments=None,
        allowed_strategies=None,
        reason="mandate widened",
        uow=uow,
        cause=cause(T0),
    )
    assert events_of(uow) == [AccountConfigured("FUND-7", "pm-bob", None, None, "mandate widened")]
    assert place(svc, 1, instrument_id="BBB") is OrderStatus.ACCEPTED


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"account_id": "bad id"}, "account_id", "an account id is 1-64"),
        ({"currency": "euro"}, "currency", "ISO 4217"),
        ({"initial_cash": Decimal(-1)}, "initial_cash", "between 0"),
        ({"initial_cash": Decimal("NaN")}, "initial_cash", "between 0"),
        ({"owner": "a b"}, "owner", "subject name"),
        ({"allowed_instruments": ("AA PL",)}, "allowed_instruments", "not an identifier"),
        ({"reason": " "}, "reason", "a reason is required"),
    ],
)
def test_a_malformed_account_is_refused_naming_the_field_and_nothing_is_held(
    changes: dict[str, object], field: str, message: str
) -> None:
    svc = service()
    uow = EventsToAppend()
    with pytest.raises(InvalidAccount, match=message) as refused:
        svc.open_account(OpenAccount(**{**FUND.__dict__, **changes}), uow, cause(T0))  # type: ignore[arg-type]
    assert refused.value.field == field
    assert uow.items == [] and svc.accounts == {}


def test_an_account_is_opened_once_and_only_an_open_one_is_configured() -> None:
    svc, _ = opened()
    uow = EventsToAppend()
    with pytest.raises(AccountAlreadyOpen, match="'FUND-7' is already open"):
        svc.open_account(FUND, uow, cause(T0))
    with pytest.raises(UnknownAccount):
        svc.configure_account(
            "NOPE",
            owner=None,
            allowed_instruments=None,
            allowed_strategies=None,
            reason="x",
            uow=uow,
            cause=cause(T0),
        )
    assert uow.items == []
