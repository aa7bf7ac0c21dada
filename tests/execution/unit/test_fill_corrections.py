"""Correcting a fill's price and fee: the order records a correction beside the fill (never
rewriting it), its average price follows, later fills build on the corrected figures, the
account re-books exactly the cash the correction makes, and bad corrections are refused with
nothing recorded."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bounded_contexts.execution.domain.account import Account
from bounded_contexts.execution.domain.errors import InvalidOrder
from bounded_contexts.execution.domain.events import (
    FillBookingCorrected,
    OrderFillCorrected,
    OrderFilled,
)
from bounded_contexts.execution.domain.order import Order
from tests.execution.unit.test_order import ORDER_ID, new_order

D = Decimal


def filled_twice() -> Order:
    order = new_order(D(100))
    order.accept()
    order.fill(D(40), D("10.00"), D("1.00"))
    order.fill(D(60), D("12.00"), D("1.50"))
    order.collect_pending()
    return order


def test_a_correction_is_a_new_event_naming_the_fill_and_the_order_average_follows() -> None:
    order = filled_twice()
    order.correct_fill(1, price=D("9.50"), fee=D("0.80"), reason="venue trade correction",
                       corrected_position=17)  # fmt: skip
    (event,) = [p.event for p in order.collect_pending()]
    assert event == OrderFillCorrected(
        ORDER_ID,
        1,
        f"{ORDER_ID.hex.upper()}F1",
        17,
        previous_price=D("10.00"),
        previous_fee=D("1.00"),
        price=D("9.50"),
        fee=D("0.80"),
        average_price=D("11.000000"),  # (40 x 9.50 + 60 x 12) / 100
        reason="venue trade correction",
    )
    assert order.average_price == D("11.000000") and order.version == 5
    assert order.fill_terms[1].price == D("9.50") and order.fill_terms[2].price == D("12.00")


def test_a_fill_corrected_twice_names_the_previous_correction_as_its_previous_terms() -> None:
    order = filled_twice()
    order.correct_fill(2, price=D("11"), fee=D("1.50"), reason="a", corrected_position=9)
    order.correct_fill(2, price=D("11.50"), fee=D("1.20"), reason="b", corrected_position=9)
    second = order.collect_pending()[-1].event
    assert (second.previous_price, second.previous_fee) == (D("11"), D("1.50"))


def test_a_fill_after_a_correction_averages_over_the_corrected_price() -> None:
    order = new_order(D(100))
    order.accept()
    order.fill(D(50), D("10"), D(0))
    order.correct_fill(1, price=D("8"), fee=D(0), reason="x", corrected_position=3)
    order.fill(D(50), D("12"), D(0))
    last = order.collect_pending()[-1].event
    assert isinstance(last, OrderFilled) and last.average_price == D("10.000000")


def test_replaying_the_log_gives_the_same_order_as_the_live_one() -> None:
    live = new_order(D(100))
    live.accept()
    live.fill(D(40), D("10.00"), D("1.00"))
    live.correct_fill(1, price=D("9.00"), fee=D("1.00"), reason="x", corrected_position=4)
    events = [p.event for p in live.collect_pending()]
    replayed = Order.replay(ORDER_ID, [Order.submit(_submitted()).collect_pending()[0].event,
                                       *events])  # fmt: skip
    assert replayed.fill_terms == live.fill_terms
    assert (replayed.average_price, replayed.notional) == (live.average_price, live.notional)


def _submitted():  # type: ignore[no-untyped-def]
    from tests.execution.unit.test_order import submitted

    return submitted(quantity=D(100))


@pytest.mark.parametrize(
    ("fill_seq", "price", "fee", "reason", "says"),
    [
        (3, D("10"), D(1), "x", "has no fill 3"),
        (0, D("10"), D(1), "x", "has no fill 0"),
        (1, D(0), D(1), "x", "price must be positive"),
        (1, D(-1), D(1), "x", "price must be positive"),
        (1, D("NaN"), D(1), "x", "price must be positive"),
        (1, D("10"), D(-1), "x", "fee must not be negative"),
        (1, D("Infinity"), D(1), "x", "price must be positive"),
        (1, D("10.00"), D("1.00"), "x", "already at price"),
        (1, D("10.5"), D("1.00"), "  ", "needs a reason"),
    ],
)
def test_a_bad_correction_is_refused_and_records_nothing(
    fill_seq: int, price: Decimal, fee: Decimal, reason: str, says: str
) -> None:
    order = filled_twice()
    with pytest.raises(InvalidOrder, match=says):
        order.correct_fill(fill_seq, price=price, fee=fee, reason=reason, corrected_position=1)
    assert order.collect_pending() == [] and order.version == 4
    assert order.fill_terms[1].price == D("10.00")


@pytest.mark.parametrize(
    ("side", "cash_after"),
    [
        # bought 10 at 100 (fee 2), corrected to 99 (fee 1): 10 + 1 back
        ("BUY", D(1_000_000) - D(1000) - D(2) + D(10) + D(1)),
        # sold 10 at 100 (fee 2), corrected to 99 (fee 1): 10 less received, 1 fee back
        ("SELL", D(1_000_000) + D(1000) - D(2) - D(10) + D(1)),
    ],
)
def test_the_account_rebooks_exactly_the_cash_the_correction_makes(
    side: str, cash_after: Decimal
) -> None:
    account = Account.open("ACC-1", "EUR", D(1_000_000))
    account.book_fill(order_id=ORDER_ID, instrument_id="AAA", side=side,  # type: ignore[arg-type]
                      quantity=D(10), price=D(100), fee=D(2))  # fmt: skip
    position = account.position("AAA")
    account.correct_fill_booking(
        order_id=ORDER_ID,
        fill_seq=1,
        instrument_id="AAA",
        side=side,  # type: ignore[arg-type]
        quantity=D(10),
        previous_price=D(100),
        previous_fee=D(2),
        price=D(99),
        fee=D(1),
    )
    corrected = account.collect_pending()[-1].event
    assert isinstance(corrected, FillBookingCorrected)
    assert corrected.cash_after == cash_after == account.cash
    assert corrected.position_after == position == account.position("AAA")
