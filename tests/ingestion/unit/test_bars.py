"""Bar validation never guesses: every malformed row is refused with a reason naming the field,
every valid one becomes a ``BarClosed`` carrying exactly the given decimals."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from bounded_contexts.ingestion.domain.bars import (
    Bar,
    BarRejected,
    InstrumentFeed,
    Quarantine,
    RawBar,
    feed_id,
    parse_bar,
    parse_timestamp,
)
from bounded_contexts.ingestion.domain.events import BarClosed, BarQuarantined, InstrumentListed

MINUTE = 60_000_000_000
T0 = 1_795_161_600_000_000_000  # 2026-11-20T08:00:00Z

RAW = RawBar(
    source="test.csv",
    line=2,
    instrument_id="SAP",
    timestamp="2026-11-20T08:00:00Z",
    open="210.00",
    high="210.01",
    low="209.62",
    close="209.74",
    volume="2351",
)


def raw(**changes: str | None) -> RawBar:
    return dataclasses.replace(RAW, **changes)


def listed_feed(instrument_id: str = "SAP") -> InstrumentFeed:
    feed = InstrumentFeed.list(
        InstrumentListed(instrument_id, "DE0007164600", "XETR", "EUR", "SAP")
    )
    feed.collect_pending()
    return feed


def test_a_valid_row_parses_into_a_bar_with_exact_decimals() -> None:
    bar = parse_bar(RAW, MINUTE)
    assert bar == Bar(
        "SAP",
        T0,
        T0 + MINUTE,
        Decimal("210.00"),
        Decimal("210.01"),
        Decimal("209.62"),
        Decimal("209.74"),
        Decimal(2351),
    )
    assert str(bar.open) == "210.00"  # the trailing zero is kept, not rounded through a float
    assert bar.session == "2026-11-20"


def test_surrounding_whitespace_in_numbers_is_tolerated() -> None:
    assert parse_bar(raw(open=" 210.00 ", volume="2351\n"), MINUTE) == parse_bar(RAW, MINUTE)


def test_zero_volume_and_a_flat_bar_are_valid() -> None:
    bar = parse_bar(raw(open="5", high="5", low="5", close="5", volume="0"), MINUTE)
    assert (bar.low, bar.high, bar.volume) == (Decimal(5), Decimal(5), Decimal(0))


@pytest.mark.parametrize("field", ["open", "high", "low", "close"])
@pytest.mark.parametrize("value", ["0", "-1", "-0.01"])
def test_a_non_positive_price_is_refused_naming_the_field(field: str, value: str) -> None:
    with pytest.raises(BarRejected, match=rf"^{field} {value} is not positive$"):
        parse_bar(raw(**{field: value}), MINUTE)


@pytest.mark.parametrize("field", ["open", "high", "low", "close", "volume"])
@pytest.mark.parametrize("value", ["NaN", "Infinity", "-inf", "sNaN"])
def test_a_non_finite_number_is_refused_naming_the_field(field: str, value: str) -> None:
    with pytest.raises(BarRejected, match=rf"^{field} '{value}' is not finite$"):
        parse_bar(raw(**{field: value}), MINUTE)


@pytest.mark.parametrize("field", ["open", "high", "low", "close", "volume"])
@pytest.mark.parametrize("value", ["abc", "1,5", "12..3"])
def test_text_that_is_not_a_number_is_refused_naming_the_field(field: str, value: str) -> None:
    with pytest.raises(BarRejected, match=rf"^{field} '{value}' is not a number$"):
        parse_bar(raw(**{field: value}), MINUTE)


@pytest.mark.parametrize("field", ["timestamp", "open", "high", "low", "close", "volume"])
@pytest.mark.parametrize("value", [None, "", "   "])
def test_a_missing_or_blank_field_is_refused_naming_it(field: str, value: str | None) -> None:
    with pytest.raises(BarRejected, match=rf"^missing {field}$"):
        parse_bar(raw(**{field: value}), MINUTE)


@pytest.mark.parametrize("value", [None, ""])
def test_a_missing_instrument_id_is_refused(value: str | None) -> None:
    with pytest.raises(BarRejected, match=r"^missing instrument_id$"):
        parse_bar(raw(instrument_id=value), MINUTE)


def test_a_negative_volume_is_refused() -> None:
    with pytest.raises(BarRejected, match=r"^negative volume -1$"):
        parse_bar(raw(volume="-1"), MINUTE)


def test_a_high_below_the_low_is_refused() -> None:
    with pytest.raises(BarRejected, match=r"^high 209.00 is below low 209.62$"):
        parse_bar(raw(high="209.00"), MINUTE)


@pytest.mark.parametrize(
    ("field", "value"),
    [("open", "210.02"), ("open", "209.61"), ("close", "211"), ("close", "209.6")],
)
def test_an_open_or_close_outside_the_range_is_refused(field: str, value: str) -> None:
    with pytest.raises(
        BarRejected, match=rf"^{field} {value} is outside \[low 209.62, high 210.01\]"
    ):
        parse_bar(raw(**{field: value}), MINUTE)


def test_open_and_close_on_the_range_boundaries_are_valid() -> None:
    bar = parse_bar(raw(open="210.01", close="209.62"), MINUTE)
    assert (bar.open, bar.close) == (bar.high, bar.low)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20T08:00:00Z", T0),
        ("2026-11-20T08:00:00+00:00", T0),
        ("2026-11-20T09:00:00+01:00", T0),
        ("2026-11-20T08:00:00.123456Z", T0 + 123_456_000),
        ("2026-11-20T08:00:00.5Z", T0 + 500_000_000),
        (str(T0), T0),
        (f"  {T0}  ", T0),
        ("0", 0),
    ],
)
def test_timestamps_are_read_as_utc_nanoseconds(text: str, expected: int) -> None:
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize("text", ["2026-11-20T08:00:00", "2026-11-20", "2026-11-20 08:00"])
def test_a_timestamp_without_a_utc_offset_is_refused_not_guessed(text: str) -> None:
    with pytest.raises(BarRejected, match=r"has no UTC offset"):
        parse_timestamp(text)


@pytest.mark.parametrize("text", ["yesterday", "-5", "1.5e18", "2026-13-01T00:00:00Z", "08:00Z"])
def test_a_timestamp_that_is_neither_iso_nor_integer_is_refused(text: str) -> None:
    with pytest.raises(BarRejected, match=r"is not ISO-8601 or integer nanoseconds"):
        parse_timestamp(text)


def test_a_bad_timestamp_in_a_row_is_refused_by_parse_bar() -> None:
    with pytest.raises(BarRejected, match=r"^timestamp '2026-11-20T08:00:00' has no UTC offset$"):
        parse_bar(raw(timestamp="2026-11-20T08:00:00"), MINUTE)


def test_the_bar_end_is_the_start_plus_the_interval() -> None:
    bar = parse_bar(raw(), 5 * MINUTE)
    assert bar.ts_end - bar.ts_start == 5 * MINUTE


def test_listing_an_instrument_records_instrument_listed() -> None:
    listing = InstrumentListed("SAP", "DE0007164600", "XETR", "EUR", "SAP SE")
    feed = InstrumentFeed.list(listing)
    assert [p.event for p in feed.collect_pending()] == [listing]
    assert feed.id == feed_id("SAP") and feed.listed


def test_closing_a_valid_bar_records_bar_closed_with_its_exact_values_and_session() -> None:
    feed = listed_feed()
    feed.close_bar(parse_bar(RAW, MINUTE))
    (pending,) = feed.collect_pending()
    assert pending.event == BarClosed(
        "SAP",
        T0,
        T0 + MINUTE,
        Decimal("210.00"),
        Decimal("210.01"),
        Decimal("209.62"),
        Decimal("209.74"),
        Decimal("2351"),
        "2026-11-20",
    )
    assert pending.event.to_payload()["open"] == "210.00"
    assert (feed.last_ts_start, feed.last_close) == (T0, Decimal("209.74"))


def test_a_bar_for_an_unlisted_instrument_is_refused() -> None:
    feed = InstrumentFeed("SAP")
    with pytest.raises(BarRejected, match=r"^unknown instrument 'SAP'$"):
        feed.close_bar(parse_bar(RAW, MINUTE))
    assert feed.collect_pending() == []


def test_a_duplicate_bar_is_refused_and_records_nothing() -> None:
    feed = listed_feed()
    feed.close_bar(parse_bar(RAW, MINUTE))
    feed.collect_pending()
    with pytest.raises(BarRejected, match=rf"^duplicate bar for SAP at ts_start {T0}$"):
        feed.close_bar(parse_bar(RAW, MINUTE))
    assert feed.collect_pending() == []


def test_an_out_of_order_bar_is_refused_and_records_nothing() -> None:
    feed = listed_feed()
    feed.close_bar(parse_bar(raw(timestamp="2026-11-20T08:05:00Z"), MINUTE))
    feed.collect_pending()
    with pytest.raises(BarRejected, match=r"^out-of-order bar for SAP: ts_start .* is before"):
        feed.close_bar(parse_bar(RAW, MINUTE))
    assert feed.collect_pending() == []
    assert feed.last_ts_start == T0 + 5 * MINUTE


def test_bars_with_gaps_between_them_are_accepted_in_time_order() -> None:
    feed = listed_feed()
    for stamp in ("08:00", "08:01", "08:07"):
        feed.close_bar(parse_bar(raw(timestamp=f"2026-11-20T{stamp}:00Z"), MINUTE))
    assert len(feed.collect_pending()) == 3


def test_replaying_a_feed_restores_what_validation_needs() -> None:
    feed = InstrumentFeed.list(InstrumentListed("SAP", "DE0007164600", "XETR", "EUR", "SAP"))
    feed.close_bar(parse_bar(RAW, MINUTE))
    history = [p.event for p in feed.collect_pending()]
    replayed = InstrumentFeed.replay(feed_id("SAP"), history)
    assert (replayed.instrument_id, replayed.listed, replayed.last_ts_start) == ("SAP", True, T0)
    with pytest.raises(BarRejected, match="duplicate"):
        replayed.close_bar(parse_bar(RAW, MINUTE))


def test_a_quarantined_row_is_kept_whole_with_its_reason() -> None:
    quarantine = Quarantine("test.csv")
    bad = raw(high="1")
    quarantine.reject(bad, "high 1 is below low 209.62")
    (pending,) = quarantine.collect_pending()
    assert pending.event == BarQuarantined(
        "test.csv", 2, "SAP", "high 1 is below low 209.62", bad.as_dict()
    )
