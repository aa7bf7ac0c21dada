"""Timestamps and sessions are computed with integer arithmetic: exact at any date, to the
nanosecond, with no float rounding across midnight or before 1970. The conversion is exact
everywhere; a bar's timestamp must, besides, lie in the plausible range (tested in
test_timestamp_range.py), so dates outside it are converted with the converter itself."""

from __future__ import annotations

import pytest

from bounded_contexts.ingestion.domain.bars import BarRejected, parse_timestamp, session_of
from bounded_contexts.ingestion.domain.events import BarClosed
from bounded_contexts.ingestion.domain.timestamps import nanoseconds_since_epoch


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1969-12-31T23:59:59.500000Z", -500_000_000),
        ("2026-11-20T08:00:00.123456789Z", 1_795_161_600_123_456_789),
        ("2026-11-20T08:00:00.1234567Z", 1_795_161_600_123_456_700),
        ("2026-11-20T09:00:00+01:00", 1_795_161_600_000_000_000),
        ("2600-01-01T00:00:00.999999Z", 19_880_899_200_999_999_000),
    ],
)
def test_iso_timestamps_convert_exactly_to_nanoseconds(text: str, expected: int) -> None:
    assert nanoseconds_since_epoch(text) == expected
    if 0 <= expected < 4_102_444_800_000_000_000:  # in the range a bar may have
        assert parse_timestamp(text) == expected
    else:
        with pytest.raises(BarRejected, match="is outside 1970-01-01"):
            parse_timestamp(text)


def test_more_than_nine_fractional_digits_are_refused_not_cut() -> None:
    with pytest.raises(BarRejected, match="is not ISO-8601"):
        parse_timestamp("2026-11-20T08:00:00.1234567891Z")


def test_a_bar_starting_the_last_nanosecond_before_midnight_belongs_to_that_day() -> None:
    last_nanosecond = 1_795_219_199_999_999_999  # 2026-11-20T23:59:59.999999999Z
    assert session_of(last_nanosecond) == "2026-11-20"
    upcast = BarClosed.UPCASTERS[1]({"ts_start": last_nanosecond})
    assert upcast["session"] == "2026-11-20"
