"""Prices and volumes are plain ASCII decimals with bounded digits, and every price lies on its
instrument's tick: what Python's own parsers would accept (underscores, exponents, any Unicode
digit) is refused with a reason naming the field, before a Decimal is ever built."""

from __future__ import annotations

import dataclasses
import resource
from decimal import Decimal

import pytest

from bounded_contexts.ingestion.domain.bars import (
    BarRejected,
    InstrumentFeed,
    RawBar,
    parse_bar,
)
from bounded_contexts.ingestion.domain.events import InstrumentListed
from bounded_contexts.ingestion.domain.numbers import (
    MAX_FRACTION_DIGITS,
    MAX_INTEGER_DIGITS,
    NumberRejected,
    plain_decimal,
)

MINUTE = 60_000_000_000
RAW = RawBar(
    "test.csv", 2, "SAP", "2026-11-20T08:00:00Z", "210.00", "210.01", "209.62", "209.74", "2351"
)


def raw(**changes: str | None) -> RawBar:
    return dataclasses.replace(RAW, **changes)


@pytest.mark.parametrize("field", ["open", "high", "low", "close", "volume"])
@pytest.mark.parametrize(
    "value",
    [
        "1_00.00",
        "1e400",
        "1E-2",
        "1e999999999",
        "+5",
        "0x10",
        ".5",
        "5.",
        "1 000",
        "١٠",
        "１０",
        "²",
    ],
)
def test_what_python_would_read_as_a_number_but_a_file_must_not_carry_is_refused(
    field: str, value: str
) -> None:
    with pytest.raises(BarRejected, match=rf"^{field} .* is not a number"):
        parse_bar(raw(**{field: value}), MINUTE)


@pytest.mark.parametrize("value", ["١٠", "１０", "²", "٣.٥"])
def test_a_non_ascii_digit_is_named_as_the_reason(value: str) -> None:
    with pytest.raises(BarRejected, match=r"only ASCII digits 0-9 are read"):
        parse_bar(raw(volume=value), MINUTE)


def test_an_exponent_is_named_as_the_reason() -> None:
    with pytest.raises(BarRejected, match=r"^open '1e400' is not a number \(plain decimals"):
        parse_bar(raw(open="1e400"), MINUTE)


def test_a_price_with_too_many_digits_is_refused_before_it_becomes_a_decimal() -> None:
    too_long = "9" * (MAX_INTEGER_DIGITS + 1)
    with pytest.raises(BarRejected, match=rf"^high has {MAX_INTEGER_DIGITS + 1} digits before"):
        parse_bar(raw(high=too_long), MINUTE)
    fine = "0." + "1" * (MAX_FRACTION_DIGITS + 1)
    with pytest.raises(BarRejected, match=rf"^low has {MAX_FRACTION_DIGITS + 1} digits after"):
        parse_bar(raw(low=fine), MINUTE)


def test_a_million_digit_volume_is_refused_without_allocating_it() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(BarRejected, match=r"^volume has 1,000,000 digits before the point"):
        parse_bar(raw(volume="7" * 1_000_000), MINUTE)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB


def test_the_largest_allowed_numbers_are_exact() -> None:
    whole = "9" * MAX_INTEGER_DIGITS
    value = plain_decimal(f"{whole}.{'1' * MAX_FRACTION_DIGITS}", "x")
    assert str(value) == f"{whole}.{'1' * MAX_FRACTION_DIGITS}"


@pytest.mark.parametrize("value", ["-0", "-0.00", "-5"])
def test_a_signed_volume_is_refused_even_minus_zero(value: str) -> None:
    with pytest.raises(BarRejected, match=r"^negative volume"):
        parse_bar(raw(volume=value), MINUTE)


def test_a_reason_never_carries_a_long_field_whole() -> None:
    with pytest.raises(NumberRejected) as caught:
        plain_decimal("x" * 10_000, "open")
    assert len(str(caught.value)) < 100 and "10,000 characters" in str(caught.value)


def _feed(tick: str) -> InstrumentFeed:
    listing = InstrumentListed(
        "SAP", "DE0007164600", "XETR", "EUR", "SAP SE", Decimal(1), Decimal(tick)
    )
    feed = InstrumentFeed.list(listing)
    feed.collect_pending()
    return feed


@pytest.mark.parametrize("field", ["open", "high", "low", "close"])
def test_a_price_off_the_instruments_tick_is_refused_naming_field_value_and_tick(
    field: str,
) -> None:
    prices = {"open": "210.00", "high": "210.05", "low": "209.60", "close": "209.75"}
    prices[field] = {"open": "210.001", "high": "210.051", "low": "209.601", "close": "209.751"}[
        field
    ]
    bar = parse_bar(raw(**prices), MINUTE)
    feed = _feed("0.05")
    with pytest.raises(
        BarRejected,
        match=rf"^{field} {prices[field]} is not a whole multiple of the tick size 0.05 of SAP$",
    ):
        feed.close_bar(bar)
    assert feed.collect_pending() == []


def test_prices_on_the_tick_are_accepted_whatever_their_written_precision() -> None:
    feed = _feed("0.05")
    feed.close_bar(parse_bar(raw(open="210", high="210.050", low="209.6", close="209.75"), MINUTE))
    assert len(feed.collect_pending()) == 1


def test_a_listing_without_a_tick_size_gets_the_permissive_default() -> None:
    feed = InstrumentFeed.list(InstrumentListed("SAP", "DE0007164600", "XETR", "EUR", "SAP SE"))
    feed.close_bar(parse_bar(raw(open="210.0001", high="210.01"), MINUTE))
    with pytest.raises(BarRejected, match=r"tick size 0.0001"):
        feed.close_bar(parse_bar(raw(timestamp="2026-11-20T08:01:00Z", open="210.00001"), MINUTE))
