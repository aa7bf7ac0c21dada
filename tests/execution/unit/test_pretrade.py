"""Pre-trade controls (RTS 6 Art. 15): each limit on its own, and a rejection that lists every
limit it breaches."""

from __future__ import annotations

import uuid
from decimal import Decimal

from bounded_contexts.execution.domain.account import Account
from bounded_contexts.execution.domain.events import OrderSubmitted
from bounded_contexts.execution.domain.pretrade import PreTradeLimits, pretrade_failures

LIMITS = PreTradeLimits(
    max_order_notional=Decimal(100_000),
    max_position_notional=Decimal(150_000),
    allow_short=False,
)
PRICE = Decimal(100)


def order(side: str, quantity: int, limit_price: Decimal | None = None) -> OrderSubmitted:
    return OrderSubmitted(
        uuid.UUID(int=1),
        "ACC-1",
        "AAA",
        side,  # type: ignore[arg-type]
        "MARKET" if limit_price is None else "LIMIT",
        Decimal(quantity),
        limit_price,
        "GTC",
        None,
        "MANUAL",
        None,
        None,
    )


def account(cash: int = 1_000_000, position: int = 0) -> Account:
    acc = Account.open("ACC-1", "EUR", Decimal(cash))
    if position:
        acc.book_fill(
            order_id=uuid.UUID(int=2),
            instrument_id="AAA",
            side="BUY",
            quantity=Decimal(position),
            price=Decimal(0),
            fee=Decimal(0),
        )
    return acc


def failures(
    o: OrderSubmitted,
    acc: Account,
    *,
    open_buys: Decimal = Decimal(0),
    limits: PreTradeLimits = LIMITS,
) -> list[str]:
    return [
        failure.message
        for failure in pretrade_failures(
            o, account=acc, reference_price=PRICE, open_buy_notional=open_buys, limits=limits
        )
    ]


def test_an_order_within_every_limit_passes() -> None:
    assert failures(order("BUY", 1000), account()) == []


def test_an_order_over_the_order_notional_limit_fails_that_limit_alone() -> None:
    (reason,) = failures(order("BUY", 1001), account())
    assert reason == "order notional 100100.00 exceeds the limit 100000"


def test_an_order_exactly_at_the_order_notional_limit_passes() -> None:
    assert failures(order("BUY", 1000), account()) == []


def test_an_order_taking_the_position_over_its_limit_fails_that_limit_alone() -> None:
    (reason,) = failures(order("BUY", 600), account(position=1000))
    assert reason.startswith("position after the order 1600 x 100 exceeds the per-instrument")


def test_a_sell_below_zero_fails_the_short_selling_control_alone() -> None:
    (reason,) = failures(order("SELL", 10), account())
    assert reason == "short selling is not allowed (position after would be -10)"


def test_a_sell_of_a_held_position_passes() -> None:
    assert failures(order("SELL", 10), account(position=10)) == []


def test_a_short_sale_passes_when_short_selling_is_allowed() -> None:
    shorting = PreTradeLimits(
        max_order_notional=Decimal(100_000),
        max_position_notional=Decimal(150_000),
        allow_short=True,
    )
    assert failures(order("SELL", 10), account(), limits=shorting) == []


def test_a_buy_costing_more_than_the_cash_fails_the_cash_control_alone() -> None:
    (reason,) = failures(order("BUY", 60), account(cash=5000))
    assert reason == "not enough cash: order 6000.00 + open buys 0.00 > cash 5000.00"


def test_open_buy_orders_count_against_the_cash() -> None:
    acc = account(cash=10_000)
    assert failures(order("BUY", 60), acc) == []
    (reason,) = failures(order("BUY", 60), acc, open_buys=Decimal(5000))
    assert reason.startswith("not enough cash: order 6000.00 + open buys 5000.00")


def test_a_sell_never_fails_the_cash_control() -> None:
    assert failures(order("SELL", 60), account(cash=0, position=60)) == []


def test_the_limit_price_rather_than_the_reference_prices_a_limit_order() -> None:
    # 1500 x 50 = 75 000 is within the order limit; 1500 x 100 would not be.
    assert failures(order("BUY", 1500, limit_price=Decimal(50)), account()) == []
    (reason,) = failures(order("BUY", 600, limit_price=Decimal(200)), account())
    assert reason.startswith("order notional 120000.00")


def test_an_order_breaching_several_limits_lists_every_one_of_them() -> None:
    reasons = failures(order("SELL", 2000), account())
    assert len(reasons) == 3
    assert reasons[0].startswith("order notional 200000.00")
    assert reasons[1].startswith("position after the order -2000 x 100")
    assert reasons[2].startswith("short selling is not allowed")


def test_a_buy_breaching_order_position_and_cash_limits_lists_all_three() -> None:
    reasons = failures(order("BUY", 2000), account(cash=1000))
    assert [r.split(" ")[0] for r in reasons] == ["order", "position", "not"]


def breaches(o: OrderSubmitted, acc: Account) -> list[tuple[str, str, str]]:
    found = pretrade_failures(
        o, account=acc, reference_price=PRICE, open_buy_notional=Decimal(0), limits=LIMITS
    )
    return [(f.breach.control, str(f.breach.limit), str(f.breach.value)) for f in found]


def test_each_breach_names_its_control_its_limit_and_the_value_that_broke_it() -> None:
    assert breaches(order("BUY", 2000), account(cash=1000)) == [
        ("max_order_notional", "100000", "200000"),
        ("max_position_notional", "150000", "200000"),
        ("cash", "1000", "200000"),
    ]
    assert breaches(order("SELL", 10), account()) == [("short_selling", "0", "-10")]
    big = PreTradeLimits(max_order_quantity=Decimal(5), max_order_notional=Decimal(10**9))
    found = pretrade_failures(
        order("BUY", 6), account=account(), reference_price=PRICE,
        open_buy_notional=Decimal(0), limits=big,
    )  # fmt: skip
    assert [(f.breach.control, f.breach.limit, f.breach.value) for f in found] == [
        ("max_order_quantity", Decimal(5), Decimal(6))
    ]
