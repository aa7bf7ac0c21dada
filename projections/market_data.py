"""Instruments (with the last price by bar time), bars, and the bar quarantine."""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import Cursor

from bounded_contexts.ingestion.domain.events import BarClosed, BarQuarantined, InstrumentListed
from events.envelope import EventEnvelope
from projections.base import Projection
from projections.text import storable, storable_json


class MarketDataProjection(Projection):
    name = "projection.market-data"
    upstreams = ("ingestion",)
    tables = ("rm_instruments", "rm_bars", "rm_quarantine")

    def fold(self, events: Sequence[EventEnvelope], cur: Cursor) -> None:  # type: ignore[type-arg]
        listings, bars, quarantined = [], [], []
        for envelope in events:
            e = envelope.event
            if isinstance(e, InstrumentListed):
                listings.append(
                    (e.instrument_id, e.isin, e.mic, e.currency, e.name, e.lot_size, e.tick_size)
                )
            elif isinstance(e, BarClosed):
                bars.append(
                    (
                        e.instrument_id,
                        e.ts_end,
                        e.open,
                        e.high,
                        e.low,
                        e.close,
                        e.volume,
                        envelope.position,
                    )
                )
            elif isinstance(e, BarQuarantined):
                ts = envelope.ts_event or None
                quarantined.append(
                    (
                        storable(e.source),
                        e.line,
                        storable(e.instrument_id),
                        ts,
                        storable(e.reason),
                        storable_json(e.raw),
                        envelope.position,
                    )
                )
        if listings:
            cur.executemany(
                "INSERT INTO rm_instruments (instrument_id, isin, mic, currency, name, lot_size, "
                "tick_size) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (instrument_id) "
                "DO UPDATE SET isin = EXCLUDED.isin, mic = EXCLUDED.mic, "
                "currency = EXCLUDED.currency, name = EXCLUDED.name, "
                "lot_size = EXCLUDED.lot_size, tick_size = EXCLUDED.tick_size",
                listings,
            )
        if bars:
            cur.executemany(
                "INSERT INTO rm_bars (instrument_id, ts_event, open, high, low, close, volume, "
                "seq) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                bars,
            )
            latest: dict[str, tuple[int, object]] = {}
            for instrument_id, ts, *_, close, _volume, _seq in bars:
                if instrument_id not in latest or ts > latest[instrument_id][0]:
                    latest[instrument_id] = (ts, close)
            cur.executemany(
                "UPDATE rm_instruments SET last_price = %s, last_bar_ts = %s "
                "WHERE instrument_id = %s AND (last_bar_ts IS NULL OR last_bar_ts < %s)",
                [(close, ts, i, ts) for i, (ts, close) in sorted(latest.items())],
            )
        if quarantined:
            cur.executemany(
                "INSERT INTO rm_quarantine (source, line, instrument_id, ts_event, reason, raw, "
                "seq) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                quarantined,
            )
