"""Bar timestamps: ISO-8601 with a UTC offset or integer UTC nanoseconds, read exactly and only
inside a plausible range.

Conversion uses integer arithmetic only (exact at any date, to the nanosecond). The range check
comes before any value leaves this module: the event store, the read models (PostgreSQL
``bigint``) and the codec all hold nanoseconds in 64 bits, so an instant after 2262 — or an
integer of 23 digits — must never be accepted and then break a consumer on every later run.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bounded_contexts.ingestion.domain.rejection import BarRejected
from bounded_contexts.ingestion.domain.text import shown

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

EARLIEST_NS = 0
"""1970-01-01T00:00:00Z, inclusive. No electronic bar data predates the Unix epoch, and the
dates that do turn up earlier (1900-01-01, 0001-01-01) are spreadsheet or driver defaults for a
missing value, not market history."""
LATEST_NS = (datetime(2100, 1, 1, tzinfo=UTC) - EPOCH) // timedelta(microseconds=1) * 1_000
"""2100-01-01T00:00:00Z, exclusive: well inside 64-bit nanoseconds (which end in 2262), far
enough ahead for any forward-dated session, and near enough to refuse a mistyped year."""
_MAX_INTEGER_DIGITS = len(str(LATEST_NS))  # 19: more digits cannot be in range

_ISO = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(?:[T ](?P<time>[0-9]{2}:[0-9]{2}(?::[0-9]{2})?)(?:\.(?P<fraction>[0-9]{1,9}))?)?"
    r"(?P<offset>Z|[+-][0-9]{2}:?[0-9]{2})?"
)
_BLANKS = " \t\r\n\f\v"


class TimestampRejected(BarRejected):
    """A timestamp is unreadable or implausible; the message says which and why."""


def nanoseconds_since_epoch(text: str) -> int:
    """The exact UTC nanoseconds of an ISO-8601 text with an offset or of an integer text,
    whatever the date (no range check: see :func:`parse_timestamp`). A naive timestamp is
    refused rather than guessed."""
    if text.isascii() and text.isdigit():
        if len(text) > _MAX_INTEGER_DIGITS:
            raise TimestampRejected(
                f"timestamp has {len(text):,} digits: integer nanoseconds before 2100 have at "
                f"most {_MAX_INTEGER_DIGITS}"
            )
        return int(text)
    match = _ISO.fullmatch(text)
    if match is None:
        hint = "" if text.isascii() else " (only ASCII digits 0-9 are read)"
        raise TimestampRejected(
            f"timestamp {shown(text)} is not ISO-8601 or integer nanoseconds{hint}"
        )
    offset, fraction = match["offset"], match["fraction"]
    if offset is None:
        raise TimestampRejected(f"timestamp {text!r} has no UTC offset")
    try:
        moment = datetime.fromisoformat(
            f"{match['date']}T{match['time'] or '00:00'}{offset.replace('Z', '+00:00')}"
        )
    except ValueError:
        raise TimestampRejected(
            f"timestamp {text!r} is not ISO-8601 or integer nanoseconds"
        ) from None
    # timedelta arithmetic on aware datetimes never overflows here: the difference of two
    # datetimes always fits a timedelta (unlike astimezone, which fails for year 1 at +14:00).
    seconds = (moment - EPOCH) // timedelta(seconds=1)
    return seconds * 1_000_000_000 + int((fraction or "").ljust(9, "0"))


def parse_timestamp(text: str | None) -> int:
    """UTC nanoseconds of a bar timestamp in ``[EARLIEST_NS, LATEST_NS)``, or
    :class:`TimestampRejected` with the reason."""
    if text is None or text.strip(_BLANKS) == "":
        raise TimestampRejected("missing timestamp")
    text = text.strip(_BLANKS)
    ts = nanoseconds_since_epoch(text)
    if not EARLIEST_NS <= ts < LATEST_NS:
        raise TimestampRejected(
            f"timestamp {shown(text)} is outside 1970-01-01T00:00:00Z .. 2100-01-01T00:00:00Z"
        )
    return ts


def session_of(ts_ns: int) -> str:
    """The UTC trading date of a timestamp, computed exactly (no float rounding)."""
    return (EPOCH + timedelta(microseconds=ts_ns // 1_000)).date().isoformat()
