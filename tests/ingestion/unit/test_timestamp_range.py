"""A bar's timestamp is read only in ASCII and only inside 1970..2100: every value that once
overflowed a 64-bit column, a float or ``datetime`` is now a quarantine with a clear reason."""

from __future__ import annotations

import pytest

from bounded_contexts.ingestion.domain.bars import BarRejected, parse_timestamp
from bounded_contexts.ingestion.domain.timestamps import EARLIEST_NS, LATEST_NS


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (str(2**63 + 5), "is outside 1970-01-01"),  # broke the projection: bigint out of range
        ("9999-12-31T23:59:59Z", "is outside 1970-01-01"),  # TypeError in the codec
        ("99999999999999999999999", "has 23 digits"),  # OverflowError
        ("0001-01-01T00:00+14:00", "is outside 1970-01-01"),  # OverflowError
        ("1900-01-01T00:00:00Z", "is outside 1970-01-01"),
        ("1969-12-31T23:59:59.999999999Z", "is outside 1970-01-01"),
        ("2100-01-01T00:00:00Z", "is outside 1970-01-01"),
        (str(LATEST_NS), "is outside 1970-01-01"),
        ("²", "only ASCII digits"),  # str.isdigit() says yes, int() says no
        ("١٧٩٥١٦١٦٠٠٠٠٠٠٠٠٠٠٠٠", "only ASCII digits"),
        ("２０２６-１１-２０T08:00Z", "only ASCII digits"),
        ("1" * 100_000, "has 100,000 digits"),
    ],
)
def test_an_implausible_or_unreadable_timestamp_is_refused_with_its_reason(
    text: str, reason: str
) -> None:
    with pytest.raises(BarRejected, match=reason):
        parse_timestamp(text)


def test_the_range_bounds_are_the_epoch_inclusive_and_2100_exclusive() -> None:
    assert parse_timestamp("1970-01-01T00:00:00Z") == EARLIEST_NS == 0
    assert parse_timestamp(str(LATEST_NS - 1)) == LATEST_NS - 1
    assert parse_timestamp("2099-12-31T23:59:59.999999999Z") == LATEST_NS - 1
    assert LATEST_NS < 2**63  # every accepted instant fits a PostgreSQL bigint


def test_a_reason_quotes_a_long_timestamp_briefly() -> None:
    with pytest.raises(BarRejected) as caught:
        parse_timestamp("2026-" + "x" * 5000)
    assert len(str(caught.value)) < 120
