"""``fold_position``: cost basis and realised P&L of a position, fill by fill, against figures
worked by hand, and the accounting identity that a book returned to flat has realised exactly
what it sold less what it bought."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from projections.portfolio import average_price, fold_position

D = Decimal


@pytest.mark.parametrize(
    ("quantity", "average", "fill", "price", "expected"),
    [
        # open a long, add to it (average moves), reduce it (realises), close it
        ("0", "0", "10", "100", ("10", "100", "0")),
        ("10", "100", "10", "110", ("20", "105", "0")),
        ("20", "105", "-5", "120", ("15", "105", "75")),
        ("15", "105", "-15", "100", ("0", "0", "-75")),
        # a long sold through zero: the closed 10 realise, the rest opens short at the fill
        ("10", "100", "-15", "90", ("-5", "90", "-100")),
        # a short: add, cover part, buy through zero
        ("-5", "90", "-5", "80", ("-10", "85", "0")),
        ("-10", "85", "4", "80", ("-6", "85", "20")),
        ("-6", "85", "10", "90", ("4", "90", "-30")),
        # opening from flat ignores a stale average
        ("0", "123", "-2", "50", ("-2", "50", "0")),
    ],
)
def test_folding_one_fill_gives_the_hand_worked_position(
    quantity: str, average: str, fill: str, price: str, expected: tuple[str, str, str]
) -> None:
    cost = D(quantity) * D(average)
    new_quantity, new_cost, realised = fold_position(D(quantity), cost, D(fill), D(price))
    assert (new_quantity, average_price(new_quantity, new_cost), realised) == tuple(
        D(v) for v in expected
    )


def test_the_displayed_average_price_is_rounded_to_six_places_but_the_cost_is_exact() -> None:
    quantity, cost, realised = fold_position(D(1), D(1), D(2), D(2))
    assert (quantity, cost, realised) == (D(3), D(5), D(0))
    assert average_price(quantity, cost) == D("1.666667")


def test_closing_after_adding_realises_exactly_what_was_sold_less_what_was_bought() -> None:
    quantity, cost, _ = fold_position(D(0), D(0), D(1), D(1))
    quantity, cost, _ = fold_position(quantity, cost, D(2), D(2))
    assert fold_position(quantity, cost, D(-3), D(2)) == (D(0), D(0), D(1))


prices = st.integers(min_value=1, max_value=100_000).map(lambda cents: D(cents) / 100)
sizes = st.integers(min_value=1, max_value=500).map(D)


def fold_all(fills: list[tuple[Decimal, Decimal]]) -> tuple[Decimal, Decimal]:
    quantity, cost, realised = D(0), D(0), D(0)
    for signed, price in fills:
        quantity, cost, gained = fold_position(quantity, cost, signed, price)
        realised += gained
    assert quantity == 0 and cost == 0
    return realised, sum((-signed * price for signed, price in fills), D(0))


@st.composite
def flat_to_flat_without_adding(draw: st.DrawFn) -> list[tuple[Decimal, Decimal]]:
    """Fills that open, reduce, flip and close but never add to a position, ending flat: every
    position is opened by one fill, so its average is that fill's price exactly."""
    position, fills = D(0), []
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        if position == 0:
            target = draw(sizes) * draw(st.sampled_from([D(1), D(-1)]))
        else:
            move = draw(st.sampled_from(["reduce", "close", "flip"]))
            sign = 1 if position > 0 else -1
            if move == "reduce" and abs(position) > 1:
                target = sign * draw(st.integers(min_value=1, max_value=int(abs(position)) - 1))
            elif move == "flip":
                target = -sign * draw(sizes)
            else:
                target = D(0)
        fills.append((D(target) - position, draw(prices)))
        position = D(target)
    if position != 0:
        fills.append((-position, draw(prices)))
    return fills


@settings(max_examples=200, deadline=None)
@given(flat_to_flat_without_adding())
def test_a_book_back_to_flat_realises_exactly_sells_less_buys_when_it_never_adds(
    fills: list[tuple[Decimal, Decimal]],
) -> None:
    realised, cash_flow = fold_all(fills)
    assert realised == cash_flow


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(sizes, st.sampled_from([1, -1]), prices), min_size=1, max_size=10))
def test_any_book_back_to_flat_realises_exactly_sells_less_buys(
    raw: list[tuple[Decimal, int, Decimal]],
) -> None:
    fills = [(size * sign, price) for size, sign, price in raw]
    position = sum((signed for signed, _ in fills), D(0))
    if position != 0:
        fills.append((-position, raw[-1][2]))
    realised, cash_flow = fold_all(fills)
    assert realised == cash_flow
