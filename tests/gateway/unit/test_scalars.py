"""The Decimal, Nanoseconds and UtcTimestamp scalars: exact in, exact out, clear refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from graphql import BooleanValueNode, FloatValueNode, IntValueNode, StringValueNode
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.errors import BadUserInput
from gateway.scalars import (
    MAX_FRACTION_DIGITS,
    MAX_INTEGER_DIGITS,
    format_utc_ns,
    parse_decimal,
    parse_decimal_literal,
    parse_nanoseconds,
    parse_utc_timestamp,
    serialize_decimal,
    serialize_nanoseconds,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1234.50"), "1234.50"),
        (Decimal("1E+3"), "1000"),
        (Decimal("1.5E-7"), "0.00000015"),
        (Decimal("-0.000"), "-0.000"),
        (7, "7"),
    ],
)
def test_decimals_serialise_in_plain_notation_with_their_scale(value, expected) -> None:
    assert serialize_decimal(value) == expected


def test_a_float_is_never_serialised_as_a_decimal() -> None:
    with pytest.raises(TypeError, match="expects a Decimal, got float"):
        serialize_decimal(1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.50", Decimal("12.50")),
        ("-3", Decimal("-3")),
        ("+.5", Decimal("0.5")),
        ("7.", Decimal("7")),
        (42, Decimal(42)),
        (0.1, Decimal("0.1")),
        (0.0001, Decimal("0.0001")),
        ("0.0000001", Decimal("0.0000001")),
        ("00000000000000000000000001.5", Decimal("1.5")),
    ],
)
def test_client_decimals_parse_exactly(value, expected) -> None:
    parsed = parse_decimal(value)
    assert parsed == expected
    assert isinstance(parsed, Decimal)


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "",
        " 1",
        "1_000",
        "NaN",
        "Infinity",
        "1e3",
        "1.2.3",
        True,
        None,
        [],
        float("nan"),
        float("inf"),
    ],
)
def test_anything_but_a_finite_plain_decimal_is_refused_as_bad_user_input(value) -> None:
    with pytest.raises(BadUserInput) as caught:
        parse_decimal(value)
    assert caught.value.extensions["code"] == "BAD_USER_INPUT"
    assert "decimal number" in str(caught.value)


def test_a_number_literal_in_the_query_keeps_its_exact_digits() -> None:
    digits = "0.1000000001"  # no binary float holds it
    assert parse_decimal_literal(FloatValueNode(value=digits)) == Decimal(digits)
    assert parse_decimal_literal(IntValueNode(value="12345678901234567890")) == Decimal(
        "12345678901234567890"
    )
    assert parse_decimal_literal(StringValueNode(value="2.50")) == Decimal("2.50")


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("\u0661\u0660", "ASCII digits"),  # Arabic-Indic 10: Decimal() reads it as 10
        ("\uff11\uff10", "ASCII digits"),  # full-width 10
        ("1\u0660", "ASCII digits"),
        ("1e-30", "no exponent"),
        ("1E5", "no exponent"),
        (1e-30, "no exponent"),  # a JSON float: its shortest text has an exponent
        (1e16, "no exponent"),
        ("1" * 21, "at most 20 integer"),
        ("0." + "1" * 11, "10 fractional"),
        ("9" * 100_000, "got 100000 characters"),
        (10**20, "at most 20 integer digits"),
        (-(10**4000), "at most 20 integer digits"),
    ],
)
def test_non_ascii_exponent_and_oversized_decimals_are_refused_before_a_decimal_is_built(
    value: object, fragment: str
) -> None:
    with pytest.raises(BadUserInput, match=fragment) as caught:
        parse_decimal(value)
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize("text", ["1e-30", "1" * 21, "0.00000000001", "١٠"])
def test_literals_obey_the_same_grammar_and_bounds(text: str) -> None:
    node = FloatValueNode(value=text) if "e" in text else StringValueNode(value=text)
    with pytest.raises(BadUserInput):
        parse_decimal_literal(node)


@pytest.mark.parametrize("value", ["9" * 20, "\u0661", str(2**63), 2**63, -(2**63) - 1])
def test_nanoseconds_outside_a_signed_64_bit_integer_or_in_other_digits_are_refused(
    value: object,
) -> None:
    with pytest.raises(BadUserInput):
        parse_nanoseconds(value)


def test_a_boolean_literal_is_not_a_decimal() -> None:
    with pytest.raises(BadUserInput, match="got a boolean_value"):
        parse_decimal_literal(BooleanValueNode(value=True))


@settings(max_examples=200, deadline=None)
@given(
    st.decimals(
        min_value=-(Decimal(10) ** MAX_INTEGER_DIGITS) + 1,
        max_value=Decimal(10) ** MAX_INTEGER_DIGITS - 1,
        places=MAX_FRACTION_DIGITS,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_every_finite_decimal_within_the_bounds_round_trips_through_its_string(
    value: Decimal,
) -> None:
    text = serialize_decimal(value)
    assert "E" not in text.upper()
    assert parse_decimal(text) == value


def test_nanoseconds_serialise_as_a_digit_string_beyond_javascript_integers() -> None:
    assert serialize_nanoseconds(1_704_205_800_123_456_789) == "1704205800123456789"
    assert parse_nanoseconds("1704205800123456789") == 1_704_205_800_123_456_789
    assert parse_nanoseconds("-5") == -5


@pytest.mark.parametrize("value", ["1.5", "12a", "", True, 1.0])
def test_malformed_nanoseconds_are_refused(value) -> None:
    with pytest.raises(BadUserInput, match="integer nanoseconds"):
        parse_nanoseconds(value)


@pytest.mark.parametrize(
    ("ns", "iso"),
    [
        (0, "1970-01-01T00:00:00.000000000Z"),
        (-1, "1969-12-31T23:59:59.999999999Z"),
        (1_704_205_800_123_456_789, "2024-01-02T14:30:00.123456789Z"),
        (951_782_400_000_001_000, "2000-02-29T00:00:00.000001000Z"),
    ],
)
def test_timestamps_format_as_utc_iso_with_nanosecond_digits(ns: int, iso: str) -> None:
    assert format_utc_ns(ns) == iso
    assert parse_utc_timestamp(iso) == ns


def test_an_iso_timestamp_with_microseconds_parses_to_whole_nanoseconds() -> None:
    assert parse_utc_timestamp("2024-01-02T14:30:00.123456Z") == 1_704_205_800_123_456_000
    assert parse_utc_timestamp("2024-01-02T14:30:00Z") == 1_704_205_800_000_000_000


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-02T14:30:00.123456",
        "2024-01-02T14:30:00.123456+00:00",
        "2024-01-02 14:30:00Z",
        "2024-02-30T00:00:00Z",
        "2024-01-02T14:30:00.1234567891Z",
        17,
    ],
)
def test_non_utc_or_malformed_timestamps_are_refused(text) -> None:
    with pytest.raises(BadUserInput, match="timestamp"):
        parse_utc_timestamp(text)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(10**18) * 30, max_value=10**18 * 200))
def test_every_nanosecond_instant_round_trips_through_iso_text(ns: int) -> None:
    text = format_utc_ns(ns)
    assert len(text.split(".")[1]) == len("123456789Z")
    assert parse_utc_timestamp(text) == ns
