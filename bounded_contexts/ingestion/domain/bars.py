"""Raw bars as they arrive, their validation, and the per-instrument feed aggregate.

Validation never guesses: a bar is either accepted exactly as given or quarantined with a
reason naming the field. Reasons are stable strings (operators grep for them).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from bounded_contexts.ingestion.domain.events import BarClosed, BarQuarantined, InstrumentListed
from events.domain import Aggregate, DomainEvent

FEED_NAMESPACE = uuid.UUID("0b6a8f55-3c55-4b8f-8d41-55f1f0b7a0e1")


@dataclass(frozen=True)
class RawBar:
    """One input row, untrusted: every field is text as read from the source."""

    source: str
    line: int
    instrument_id: str | None
    timestamp: str | None  # bar start: ISO-8601 UTC or integer nanoseconds
    open: str | None
    high: str | None
    low: str | None
    close: str | None
    volume: str | None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "instrument_id": self.instrument_id,
            "timestamp": self.timestamp,
            "open": self.open,
            "high": self.high,
            "low": self.low,
            "close": self.close,
            "volume": self.volume,
        }


@dataclass(frozen=True)
class Bar:
    instrument_id: str
    ts_start: int
    ts_end: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal

    @property
    def session(self) -> str:
        return session_of(self.ts_start)


class BarRejected(ValueError):
    """A bar failed validation; the message is the quarantine reason."""


def parse_bar(raw: RawBar, interval_ns: int) -> Bar:
    """Turn a raw row into a bar of ``interval_ns``, or raise :class:`BarRejected` naming
    what is wrong."""
    if raw.instrument_id is None or not raw.instrument_id.strip():
        raise BarRejected("missing instrument_id")
    ts_start = parse_timestamp(raw.timestamp)
    ts_end = ts_start + interval_ns
    o, h, lo, c = (_price(getattr(raw, f), f) for f in ("open", "high", "low", "close"))
    volume = _decimal(raw.volume, "volume")
    if volume < 0:
        raise BarRejected(f"negative volume {volume}")
    if h < lo:
        raise BarRejected(f"high {h} is below low {lo}")
    for name, value in (("open", o), ("close", c)):
        if not lo <= value <= h:
            raise BarRejected(f"{name} {value} is outside [low {lo}, high {h}]")
    return Bar(raw.instrument_id, ts_start, ts_end, o, h, lo, c, volume)


def _decimal(text: str | None, field: str) -> Decimal:
    if text is None or text.strip() == "":
        raise BarRejected(f"missing {field}")
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise BarRejected(f"{field} {text!r} is not a number") from None
    if not value.is_finite():
        raise BarRejected(f"{field} {text!r} is not finite")
    return value


def _price(text: str | None, field: str) -> Decimal:
    value = _decimal(text, field)
    if value <= 0:
        raise BarRejected(f"{field} {value} is not positive")
    return value


_ISO = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2})?)(?:\.(?P<fraction>\d{1,9}))?)?"
    r"(?P<offset>Z|[+-]\d{2}:?\d{2})?$"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_timestamp(text: str | None) -> int:
    """ISO-8601 with an explicit UTC offset (``2026-11-20T08:00:00Z``, up to nanoseconds) or
    integer UTC nanoseconds, converted with integer arithmetic only (exact at any date); a
    naive timestamp is refused rather than guessed."""
    if text is None or text.strip() == "":
        raise BarRejected("missing timestamp")
    text = text.strip()
    if text.isdigit():
        return int(text)
    match = _ISO.match(text)
    if match is None:
        raise BarRejected(f"timestamp {text!r} is not ISO-8601 or integer nanoseconds")
    offset, fraction = match["offset"], match["fraction"]
    if offset is None:
        raise BarRejected(f"timestamp {text!r} has no UTC offset")
    try:
        moment = datetime.fromisoformat(
            f"{match['date']}T{match['time'] or '00:00'}{offset.replace('Z', '+00:00')}"
        )
    except ValueError:
        raise BarRejected(f"timestamp {text!r} is not ISO-8601 or integer nanoseconds") from None
    seconds = (moment - _EPOCH) // timedelta(seconds=1)
    return seconds * 1_000_000_000 + int((fraction or "").ljust(9, "0"))


def session_of(ts_ns: int) -> str:
    """The UTC trading date of a timestamp, computed exactly (no float rounding)."""
    return (_EPOCH + timedelta(microseconds=ts_ns // 1_000)).date().isoformat()


class InstrumentFeed(Aggregate):
    """The market-data history of one instrument: listing, then bars in time order.

    Holds just what validation needs: the last bar's start, so duplicates and out-of-order
    bars are refused (the business rule the feed enforces).
    """

    def __init__(self, instrument_id: str) -> None:
        super().__init__(feed_id(instrument_id))
        self._init_state()
        self.instrument_id = instrument_id

    def _init_state(self) -> None:
        self.instrument_id = ""
        self.listed = False
        self.last_ts_start: int | None = None
        self.last_close: Decimal | None = None

    @classmethod
    def list(cls, listing: InstrumentListed) -> InstrumentFeed:
        feed = cls(listing.instrument_id)
        feed._record(listing)
        return feed

    def close_bar(self, bar: Bar) -> None:
        if not self.listed:
            raise BarRejected(f"unknown instrument {bar.instrument_id!r}")
        if self.last_ts_start is not None and bar.ts_start == self.last_ts_start:
            raise BarRejected(f"duplicate bar for {bar.instrument_id} at ts_start {bar.ts_start}")
        if self.last_ts_start is not None and bar.ts_start < self.last_ts_start:
            raise BarRejected(
                f"out-of-order bar for {bar.instrument_id}: ts_start {bar.ts_start} is before "
                f"the last accepted {self.last_ts_start}"
            )
        self._record(
            BarClosed(
                bar.instrument_id,
                bar.ts_start,
                bar.ts_end,
                bar.open,
                bar.high,
                bar.low,
                bar.close,
                bar.volume,
                bar.session,
            )
        )

    def apply(self, event: DomainEvent) -> None:
        match event:
            case InstrumentListed(instrument_id=instrument_id):
                self.instrument_id = instrument_id
                self.listed = True
            case BarClosed(ts_start=ts_start, close=close):
                self.last_ts_start = ts_start
                self.last_close = close
            case _:
                super().apply(event)


class Quarantine(Aggregate):
    """The quarantine of one source (a file or a feed): every rejected row, in order."""

    def __init__(self, source: str) -> None:
        super().__init__(quarantine_id(source))
        self.source = source
        self.lines: set[int] = set()

    def _init_state(self) -> None:
        self.source = ""
        self.lines = set()

    def reject(self, raw: RawBar, reason: str) -> None:
        self._record(BarQuarantined(raw.source, raw.line, raw.instrument_id, reason, raw.as_dict()))

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, BarQuarantined):
            self.source = event.source
            self.lines.add(event.line)
        else:
            super().apply(event)


def quarantine_id(source: str) -> uuid.UUID:
    return uuid.uuid5(FEED_NAMESPACE, f"quarantine/{source}")


def feed_id(instrument_id: str) -> uuid.UUID:
    return uuid.uuid5(FEED_NAMESPACE, f"feed/{instrument_id}")
