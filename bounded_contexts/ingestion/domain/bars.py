"""Raw bars as they arrive, their validation, and the per-instrument feed aggregate.

Validation never guesses: a bar is either accepted exactly as given or quarantined with a
reason naming the field. Reasons are stable strings (operators grep for them).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal, localcontext

from bounded_contexts.ingestion.domain.events import (
    DEFAULT_TICK_SIZE,
    BarClosed,
    BarQuarantined,
    InstrumentListed,
)
from bounded_contexts.ingestion.domain.numbers import NumberRejected, plain_decimal
from bounded_contexts.ingestion.domain.rejection import BarRejected as BarRejected
from bounded_contexts.ingestion.domain.text import escape_unsafe
from bounded_contexts.ingestion.domain.timestamps import parse_timestamp as parse_timestamp
from bounded_contexts.ingestion.domain.timestamps import session_of as session_of
from events.domain import Aggregate, DomainEvent

FEED_NAMESPACE = uuid.UUID("0b6a8f55-3c55-4b8f-8d41-55f1f0b7a0e1")


@dataclass(frozen=True)
class RawBar:
    """One input row, untrusted: every field is text as read from the source.

    ``problem`` is set by an adapter that could not split the line into fields at all (not
    UTF-8, too long, a control character, the wrong number of fields); the domain then
    quarantines the row with that reason. ``text`` is the line as read, escaped, for such rows.
    """

    source: str
    line: int
    instrument_id: str | None
    timestamp: str | None  # bar start: ISO-8601 UTC or integer nanoseconds
    open: str | None
    high: str | None
    low: str | None
    close: str | None
    volume: str | None
    problem: str | None = None
    text: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        fields = {
            "instrument_id": self.instrument_id,
            "timestamp": self.timestamp,
            "open": self.open,
            "high": self.high,
            "low": self.low,
            "close": self.close,
            "volume": self.volume,
        }
        return fields if self.text is None else {**fields, "text": self.text}


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


def parse_bar(raw: RawBar, interval_ns: int) -> Bar:
    """Turn a raw row into a bar of ``interval_ns``, or raise :class:`BarRejected` naming
    what is wrong. Total: any text in any field ends in a bar or in a rejection."""
    if raw.problem is not None:
        raise BarRejected(raw.problem)
    if raw.instrument_id is None or not raw.instrument_id.strip():
        raise BarRejected("missing instrument_id")
    ts_start = parse_timestamp(raw.timestamp)
    ts_end = ts_start + interval_ns
    o, h, lo, c = (_price(getattr(raw, f), f) for f in ("open", "high", "low", "close"))
    volume = _decimal(raw.volume, "volume")
    if volume.is_signed():  # -0 included: a sign is never part of a volume
        raise BarRejected(f"negative volume {volume}")
    if h < lo:
        raise BarRejected(f"high {h} is below low {lo}")
    for name, value in (("open", o), ("close", c)):
        if not lo <= value <= h:
            raise BarRejected(f"{name} {value} is outside [low {lo}, high {h}]")
    return Bar(raw.instrument_id, ts_start, ts_end, o, h, lo, c, volume)


def _decimal(text: str | None, field: str) -> Decimal:
    try:
        return plain_decimal(text, field)
    except NumberRejected as exc:
        raise BarRejected(str(exc)) from None


def _price(text: str | None, field: str) -> Decimal:
    value = _decimal(text, field)
    if value <= 0:
        raise BarRejected(f"{field} {value} is not positive")
    return value


def off_tick(bar: Bar, tick_size: Decimal) -> str | None:
    """The first price of ``bar`` that is not a whole multiple of ``tick_size``, as a reason.

    Exact: prices and ticks have bounded digits, so their quotient fits the widened context
    and ``%`` never rounds."""
    with localcontext() as ctx:
        ctx.prec = 60
        for field in ("open", "high", "low", "close"):
            value: Decimal = getattr(bar, field)
            if value % tick_size != 0:
                return (
                    f"{field} {value} is not a whole multiple of the tick size {tick_size} "
                    f"of {bar.instrument_id}"
                )
    return None


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
        self.listing: InstrumentListed | None = None
        self.tick_size = DEFAULT_TICK_SIZE

    @classmethod
    def list(cls, listing: InstrumentListed) -> InstrumentFeed:
        feed = cls(listing.instrument_id)
        feed._record(listing)
        return feed

    def close_bar(self, bar: Bar) -> None:
        if not self.listed:
            raise BarRejected(f"unknown instrument {bar.instrument_id!r}")
        problem = off_tick(bar, self.tick_size)
        if problem is not None:
            raise BarRejected(problem)
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
            case InstrumentListed(instrument_id=instrument_id, tick_size=tick_size):
                self.instrument_id = instrument_id
                self.listed = True
                self.listing = event
                self.tick_size = tick_size
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
        """Keep the row with its reason. Every text is escaped of control characters and
        surrogates first: whatever an adapter let through, no NUL reaches the store."""
        instrument_id = None if raw.instrument_id is None else escape_unsafe(raw.instrument_id)
        kept = {k: None if v is None else escape_unsafe(v) for k, v in raw.as_dict().items()}
        self._record(
            BarQuarantined(raw.source, raw.line, instrument_id, escape_unsafe(reason), kept)
        )

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
