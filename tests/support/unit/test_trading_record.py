"""Equity curve and round trips from hand-made fills, checked against figures worked by hand."""

from __future__ import annotations

from decimal import Decimal

from bounded_contexts.support.domain.performance import RoundTrip, Side
from bounded_contexts.support.domain.trading_record import Fill, Mark, equity_curve, round_trips

D = Decimal
CASH = D(10_000)


def fill(
    ts: int, side: str, quantity: str, price: str, fee: str = "0", instrument: str = "A"
) -> Fill:
    return Fill(ts, instrument, side, D(quantity), D(price), D(fee))


def mark(ts: int, close: str, instrument: str = "A") -> Mark:
    return Mark(ts, instrument, D(close))


def test_without_fills_equity_is_the_initial_cash_at_every_mark() -> None:
    stamps, equity, exposure = equity_curve(CASH, [mark(10, "100"), mark(20, "120")], [])
    assert (stamps, equity, exposure) == ([10, 20], [CASH, CASH], [D(0), D(0)])


def test_a_long_round_trip_is_marked_to_market_and_equity_is_cash_once_flat() -> None:
    fills = [fill(1, "BUY", "10", "100", "1"), fill(3, "SELL", "10", "110", "1")]
    marks = [mark(2, "105"), mark(4, "120")]
    stamps, equity, exposure = equity_curve(CASH, marks, fills)
    assert stamps == [2, 4]
    # 10 000 - 1 000 - 1 + 10 x 105 = 10 049; then flat: 10 000 - 1 001 + 1 100 - 1 = 10 098
    assert equity == [D(10_049), D(10_098)]
    assert exposure == [D(1_050), D(0)]


def test_a_fill_at_a_marks_own_time_counts_only_from_the_next_mark() -> None:
    fills = [fill(2, "BUY", "10", "100")]
    _, equity, exposure = equity_curve(CASH, [mark(2, "100"), mark(3, "101")], fills)
    assert equity == [CASH, D(10_010)]
    assert exposure == [D(0), D(1_010)]


def test_a_position_without_a_mark_yet_is_valued_at_its_fill_price() -> None:
    fills = [fill(1, "BUY", "10", "50", instrument="B")]
    _, equity, exposure = equity_curve(CASH, [mark(2, "100", "A")], fills)
    assert (equity, exposure) == ([CASH], [D(500)])


def test_a_short_position_adds_its_absolute_value_to_the_gross_exposure() -> None:
    fills = [fill(1, "SELL", "5", "100"), fill(1, "BUY", "5", "20", instrument="B")]
    marks = [mark(2, "90"), mark(2, "30", "B")]
    _, equity, exposure = equity_curve(CASH, marks, fills)
    # cash 10 000 + 500 - 100 = 10 400; positions -5 x 90 + 5 x 30 = -300
    assert equity == [D(10_100)]
    assert exposure == [D(600)]


def test_fills_given_out_of_order_are_applied_in_time_order() -> None:
    fills = [fill(3, "SELL", "10", "110"), fill(1, "BUY", "10", "100")]
    ordered = sorted(fills, key=lambda f: f.ts)
    marks = [mark(2, "105"), mark(4, "110")]
    assert equity_curve(CASH, marks, fills) == equity_curve(CASH, marks, ordered)


def test_a_long_round_trip_records_entry_exit_pnl_and_both_fees() -> None:
    trips = round_trips([fill(1, "BUY", "10", "100", "1"), fill(5, "SELL", "10", "110", "1.5")])
    assert trips == [
        RoundTrip(
            ts_entry=1,
            ts_exit=5,
            side=Side.LONG,
            quantity=D(10),
            entry_price=D(100),
            exit_price=D(110),
            pnl=D(100),
            fees=D("2.5"),
        )
    ]
    assert trips[0].net_pnl == D("97.5")


def test_scaling_in_and_out_uses_volume_weighted_entry_and_exit_prices() -> None:
    fills = [
        fill(1, "BUY", "10", "100"),
        fill(2, "BUY", "10", "110"),
        fill(3, "SELL", "5", "120"),
        fill(4, "SELL", "15", "100"),
    ]
    (trip,) = round_trips(fills)
    # entry (1 000 + 1 100) / 20 = 105; exit (600 + 1 500) / 20 = 105
    assert (trip.quantity, trip.entry_price, trip.exit_price, trip.pnl) == (D(20), 105, 105, 0)
    assert (trip.ts_entry, trip.ts_exit) == (1, 4)


def test_a_short_round_trip_profits_when_the_price_falls() -> None:
    (trip,) = round_trips([fill(1, "SELL", "5", "50"), fill(2, "BUY", "5", "40")])
    assert (trip.side, trip.entry_price, trip.exit_price, trip.pnl) == (Side.SHORT, 50, 40, 50)


def test_a_fill_through_zero_closes_one_trip_and_opens_the_next_with_the_fee_split() -> None:
    fills = [
        fill(1, "BUY", "10", "100", "2"),
        fill(2, "SELL", "15", "110", "3"),  # 10 close the long, 5 open a short
        fill(3, "BUY", "5", "100", "1"),
    ]
    long_trip, short_trip = round_trips(fills)
    assert (long_trip.side, long_trip.quantity, long_trip.pnl) == (Side.LONG, D(10), D(100))
    assert long_trip.fees == D(4)  # 2 + 10/15 of 3
    assert (short_trip.side, short_trip.quantity, short_trip.ts_entry) == (Side.SHORT, D(5), 2)
    assert (short_trip.entry_price, short_trip.exit_price, short_trip.pnl) == (110, 100, 50)
    assert short_trip.fees == D(2)  # 5/15 of 3 + 1


def test_fees_split_pro_rata_are_rounded_to_six_places() -> None:
    fills = [
        fill(1, "BUY", "3", "10", "1"),
        fill(2, "SELL", "1", "10", "0"),
        fill(3, "SELL", "2", "10", "1"),
    ]
    (trip,) = round_trips(fills)
    assert trip.fees == D("2.000000")
    fills = [fill(1, "BUY", "1", "10", "1"), fill(2, "SELL", "3", "10", "1")]
    first, *_ = round_trips(fills)
    assert first.fees == D("1.333333")  # 1 + 1/3


def test_an_open_position_is_not_a_round_trip() -> None:
    assert round_trips([fill(1, "BUY", "10", "100"), fill(2, "SELL", "4", "101")]) == []


def test_round_trips_are_kept_per_instrument() -> None:
    fills = [
        fill(1, "BUY", "1", "10", instrument="A"),
        fill(2, "SELL", "1", "20", instrument="B"),
        fill(3, "SELL", "1", "12", instrument="A"),
        fill(4, "BUY", "1", "15", instrument="B"),
    ]
    trips = round_trips(fills)
    assert [(t.side, t.pnl) for t in trips] == [(Side.LONG, D(2)), (Side.SHORT, D(5))]
