"""The RTS 22 formats: LEIs and ISINs by their check digits (published codes, valid and with a
wrong check digit), ISO codes, decimals rounded half up (never truncated) within their digits,
and UTC timestamps with six fractional digits."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bounded_contexts.support.domain.mifid.formats import (
    FormatError,
    check_country,
    check_currency,
    check_isin,
    check_lei,
    check_mic,
    check_person_code,
    decimal_text,
    utc_timestamp,
)

PUBLISHED_LEIS = [
    "506700GE1G29325QX363",  # GLEIF
    "7LTWFZYICNSX8D621K86",  # Deutsche Bank AG
    "HWUPKR0MPOU8FGXBT394",  # Apple Inc.
    "213800KUD8LAJWSQ9D15",  # python-stdnum's documented example
]
PUBLISHED_ISINS = ["US0378331005", "DE0007164600", "GB0002634946", "NL0010273215"]


@pytest.mark.parametrize("lei", PUBLISHED_LEIS)
def test_a_published_lei_is_valid(lei: str) -> None:
    assert check_lei(lei) is None


@pytest.mark.parametrize(
    ("lei", "why"),
    [
        ("506700GE1G29325QX364", "checksum"),  # GLEIF's with the last digit changed
        ("7LTWFZYICNSX8D621K68", "checksum"),  # two check digits swapped
        ("213800KUD8LXJWSQ9D15", "checksum"),  # python-stdnum's invalid example
        ("506700GE1G29325QX36", "length"),
        ("506700ge1g29325qx363", "upper-case"),
        ("", "no LEI"),
    ],
)
def test_an_lei_with_a_wrong_check_digit_or_form_is_refused(lei: str, why: str) -> None:
    assert check_lei(lei) is not None, why


@pytest.mark.parametrize("isin", PUBLISHED_ISINS)
def test_a_published_isin_is_valid(isin: str) -> None:
    assert check_isin(isin) is None


@pytest.mark.parametrize("isin", ["US0378331006", "DE0007164601", "GB000263494", "XX0378331005"])
def test_an_isin_with_a_wrong_check_digit_or_country_is_refused(isin: str) -> None:
    assert check_isin(isin) is not None


def test_iso_codes_are_checked_against_the_iso_lists() -> None:
    assert check_mic("XETR") is None and check_mic("XOFF") is None
    assert check_mic("xetr") and check_mic("XET") and check_mic(None)
    assert check_currency("EUR") is None and check_currency("EUX") and check_currency("eur")
    assert check_country("DE") is None and check_country("XY") and check_country("DEU")


def test_national_identifiers_follow_their_scheme() -> None:
    assert check_person_code("DE19800131JOHN#DOE##", "CONCAT") is None
    assert check_person_code("IT1234567", "NIDN") is None
    assert "20 characters" in str(check_person_code("DE19800131JOHN#DOE", "CONCAT"))
    assert "scheme" in str(check_person_code("DE123", "SSN"))
    assert "country" in str(check_person_code("XY123", "NIDN"))


@pytest.mark.parametrize(
    ("value", "digits", "fraction", "text"),
    [
        ("100.0200", 18, 13, "100.02"),  # trailing zeros dropped
        ("50", 18, 17, "50"),
        ("1.23456789012345", 18, 13, "1.2345678901235"),  # rounded up, not truncated (…234)
        ("1.23456789012344", 18, 13, "1.2345678901234"),
        ("0.00000000000005", 18, 13, "0.0000000000001"),  # half up
        ("99999.5", 5, 0, None),  # rounds to 100000: six digits
        ("12345678901234567.89", 18, 13, None),  # 17 integer digits + 13 > 18
        ("0.12345678901234567", 18, 17, "0.12345678901234567"),  # a leading zero is no digit
    ],
)
def test_decimals_are_rounded_half_up_within_their_digits(
    value: str, digits: int, fraction: int, text: str | None
) -> None:
    if text is None:
        with pytest.raises(FormatError, match="digits"):
            decimal_text(Decimal(value), digits, fraction)
    else:
        assert decimal_text(Decimal(value), digits, fraction) == text


def test_a_quantity_must_be_positive_and_finite() -> None:
    for value in (Decimal(0), Decimal("-1"), Decimal("NaN"), Decimal("Infinity")):
        with pytest.raises(FormatError):
            decimal_text(value, 18, 17)
    with pytest.raises(FormatError, match="positive"):
        decimal_text(Decimal("0.000000000000000001"), 18, 17)  # rounds to 0


def test_timestamps_are_utc_with_six_fractional_digits_floored_to_the_microsecond() -> None:
    assert utc_timestamp(1_795_680_000_123_456_789) == "2026-11-26T08:00:00.123456Z"
    assert utc_timestamp(0) == "1970-01-01T00:00:00.000000Z"
