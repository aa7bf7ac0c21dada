"""Events of the ingestion context (stream ``market-data``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from events.domain import DomainEvent


@dataclass(frozen=True)
class _IngestionEvent(DomainEvent):
    CONTEXT = "ingestion"
    STREAM = "market-data"


DEFAULT_LOT_SIZE = Decimal(1)
"""Quantity increment of an instrument whose reference data does not say (one share)."""
DEFAULT_TICK_SIZE = Decimal("0.0001")
"""Price increment of an instrument whose reference data does not say (permissive on purpose:
a finer tick never refuses a price a coarser real tick allows)."""


@dataclass(frozen=True)
class InstrumentListed(_IngestionEvent):
    """An instrument entered the reference data: identifiers needed for MiFID II reports.

    Version 2 added ``lot_size`` (every quantity is a whole multiple of it) and ``tick_size``
    (every price is a whole multiple of it); version-1 listings are upcast with
    :data:`DEFAULT_LOT_SIZE` and :data:`DEFAULT_TICK_SIZE`.
    """

    SCHEMA_VERSION = 2

    instrument_id: str
    isin: str
    mic: str
    currency: str
    name: str
    lot_size: Decimal = DEFAULT_LOT_SIZE
    tick_size: Decimal = DEFAULT_TICK_SIZE


def _instrument_listed_v1_to_v2(payload: dict) -> dict:  # type: ignore[type-arg]
    return {
        **payload,
        "lot_size": format(DEFAULT_LOT_SIZE, "f"),
        "tick_size": format(DEFAULT_TICK_SIZE, "f"),
    }


InstrumentListed.UPCASTERS = {1: _instrument_listed_v1_to_v2}


@dataclass(frozen=True)
class BarClosed(_IngestionEvent):
    """A validated OHLCV bar closed. ``ts_start``/``ts_end`` are UTC nanoseconds.

    Version 2 added ``session`` (the trading date the bar belongs to, for session-anchored
    indicators such as VWAP); version-1 payloads are upcast with the UTC date of ``ts_start``.
    """

    SCHEMA_VERSION = 2

    instrument_id: str
    ts_start: int
    ts_end: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    session: str


def _bar_closed_v1_to_v2(payload: dict) -> dict:  # type: ignore[type-arg]
    start = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(
        microseconds=int(payload["ts_start"]) // 1000
    )
    return {**payload, "session": start.date().isoformat()}


BarClosed.UPCASTERS = {1: _bar_closed_v1_to_v2}


@dataclass(frozen=True)
class BarQuarantined(_IngestionEvent):
    """An input bar failed validation. Kept whole, with the reason, for inspection."""

    source: str
    line: int
    instrument_id: str | None
    reason: str
    raw: dict[str, str | None]


@dataclass(frozen=True)
class SyntheticSessionsScheduled(_IngestionEvent):
    """The seeded synthetic feed planned these sessions, recorded before their first bar.

    The generator is deterministic, so this plan is all a later run needs to regenerate the
    very same bars: a run killed mid-feed resumes inside the interrupted session (skipping what
    is stored) instead of leaving it truncated and appending new days. ``sessions`` are ISO
    dates; ``start_prices`` are each instrument's price before the first session's first bar;
    ``session_open_utc`` is ``HH:MM``; the drift, volatility and pairwise correlation are the
    generator's annual terms, kept as exact decimals of the floats it used, and
    ``return_autocorrelation`` the lag-one autocorrelation of minute returns it planted.

    Version 2 added ``return_autocorrelation``; version-1 plans were pure random walks and are
    upcast with ``0``, which regenerates their bars bit for bit.
    """

    SCHEMA_VERSION = 2

    seed: int
    sessions: tuple[str, ...]
    instruments: tuple[str, ...]
    start_prices: dict[str, Decimal]
    bars_per_session: int
    session_open_utc: str
    annual_drift: Decimal
    annual_volatility: Decimal
    correlation: Decimal
    return_autocorrelation: Decimal


def _synthetic_sessions_v1_to_v2(payload: dict) -> dict:  # type: ignore[type-arg]
    return {**payload, "return_autocorrelation": "0"}


SyntheticSessionsScheduled.UPCASTERS = {1: _synthetic_sessions_v1_to_v2}
