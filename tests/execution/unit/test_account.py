"""The trading account books fills exactly: cash moves by quantity x price plus the fee, the
signed position by the quantity, all in Decimal."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from bounded_contexts.execution.domain.account import Account, account_aggregate_id
from bounded_contexts.execution.domain.events import AccountOpened, FillBooked

ORDER = uuid.UUID("00000000-0000-4000-8000-0000000000aa")


def opened(cash: str = "10000") -> Account:
    account = Account.open("ACC-1", "EUR", Decimal(cash))
    account.collect_pending()
    return account


def test_opening_an_account_records_its_currency_and_starting_cash() -> None:
    account = Account.open("ACC-1", "EUR", Decimal("2500.50"))
    (pending,) = account.collect_pending()
    assert pending.event == AccountOpened("ACC-1", "EUR", Decimal("2500.50"))
    assert account.id == account_aggregate_id("ACC-1")
    assert (account.account_id, account.currency, account.cash) == (
        "ACC-1",
        "EUR",
        Decimal("2500.50"),
    )
    assert account.position("AAA") == Decimal(0)


def test_opening_an_account_with_negative_cash_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        Account.open("ACC-1", "EUR", Decimal("-0.01"))


def test_a_buy_takes_quantity_times_price_plus_the_fee_from_cash() -> None:
    account = opened()
    account.book_fill(
        order_id=ORDER,
        instrument_id="AAA",
        side="BUY",
        quantity=Decimal(3),
        price=Decimal("100.0001"),
        fee=Decimal("1.00"),
    )
    (pending,) = account.collect_pending()
    # 10000 - 3 x 100.0001 - 1.00 = 9698.9997, exactly
    assert pending.event == FillBooked(
        "ACC-1",
        ORDER,
        "AAA",
        "BUY",
        Decimal(3),
        Decimal("100.0001"),
        Decimal("1.00"),
        Decimal("9698.9997"),
        Decimal(3),
    )
    assert account.cash == Decimal("9698.9997")
    assert account.position("AAA") == Decimal(3)


def test_a_sell_adds_quantity_times_price_less_the_fee_and_reduces_the_position() -> None:
    account = opened()
    for side, price in (("BUY", "50.10"), ("SELL", "50.30")):
        account.book_fill(
            order_id=ORDER,
            instrument_id="AAA",
            side=side,  # type: ignore[arg-type]
            quantity=Decimal(10),
            price=Decimal(price),
            fee=Decimal("1.25"),
        )
    # 10000 - 501.00 - 1.25 + 503.00 - 1.25 = 9999.50
    assert account.cash == Decimal("9999.50")
    assert account.position("AAA") == Decimal(0)


def test_a_sell_from_flat_books_a_negative_position() -> None:
    account = opened()
    account.book_fill(
        order_id=ORDER,
        instrument_id="BBB",
        side="SELL",
        quantity=Decimal(7),
        price=Decimal("20"),
        fee=Decimal("1"),
    )
    assert account.position("BBB") == Decimal(-7)
    assert account.cash == Decimal(10139)


def test_positions_of_different_instruments_are_kept_apart() -> None:
    account = opened()
    for instrument, side in (("AAA", "BUY"), ("BBB", "SELL"), ("AAA", "BUY")):
        account.book_fill(
            order_id=ORDER,
            instrument_id=instrument,
            side=side,  # type: ignore[arg-type]
            quantity=Decimal(2),
            price=Decimal(1),
            fee=Decimal(0),
        )
    assert (account.position("AAA"), account.position("BBB")) == (Decimal(4), Decimal(-2))
    assert account.cash == Decimal(9998)


def test_replaying_the_ledger_gives_the_live_cash_and_positions() -> None:
    live = Account.open("ACC-1", "EUR", Decimal(1000))
    live.book_fill(
        order_id=ORDER,
        instrument_id="AAA",
        side="BUY",
        quantity=Decimal("1.5"),
        price=Decimal("33.33"),
        fee=Decimal("0.07"),
    )
    history = [p.event for p in live.collect_pending()]
    replayed = Account.replay(live.id, history)
    assert (replayed.cash, replayed.positions, replayed.version) == (
        live.cash,
        live.positions,
        live.version,
    )
    assert replayed.cash == Decimal("949.935")
