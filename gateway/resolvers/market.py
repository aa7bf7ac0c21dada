"""``instruments``, ``bars`` (candles), ``predictions``: reference data, market data and model
outputs from the read models. Candles are aggregated in PostgreSQL from the one-minute bars
(``rm_bars.ts_event`` is a bar's end; a bar belongs to the interval its start falls in)."""

from __future__ import annotations

import asyncpg
import strawberry

from gateway import decimals
from gateway.ids import global_id
from gateway.scalars import Nanoseconds
from gateway.types import Candle, HorizonForecast, Instrument, Interval, Prediction

MINUTE_NS = 60_000_000_000
MAX_CANDLES = 5_000
"""Most candles one ``bars`` request returns (the latest ones of the range)."""

_INSTRUMENT_COLUMNS = (
    "instrument_id, isin, mic, currency, name, lot_size, tick_size, last_price, last_bar_ts"
)
_INSTRUMENTS_SQL = f"SELECT {_INSTRUMENT_COLUMNS} FROM rm_instruments ORDER BY instrument_id"
_INSTRUMENT_SQL = f"SELECT {_INSTRUMENT_COLUMNS} FROM rm_instruments WHERE instrument_id = $1"

# The latest `last` rows, returned oldest first (a chart reads left to right).
_PREDICTIONS_SQL = """
SELECT * FROM (
    SELECT instrument_id, ts_event, probability_up, model_version, registry_version,
           feature_hash, forecasts
      FROM rm_predictions
     WHERE ($1::text IS NULL OR instrument_id = $1::text)
     ORDER BY ts_event DESC, instrument_id DESC
     LIMIT $2
) latest
 ORDER BY ts_event, instrument_id
"""

# $2: interval width in ns; $3/$4: range of bar starts (NULL: open); $5: most candles.
_CANDLES_SQL = """
SELECT * FROM (
    SELECT bucket,
           (array_agg(open ORDER BY ts_event))[1]       AS open,
           max(high)                                    AS high,
           min(low)                                     AS low,
           (array_agg(close ORDER BY ts_event DESC))[1] AS close,
           sum(volume)                                  AS volume,
           count(*)                                     AS bars
      FROM (SELECT *, (ts_event - $6) - ((ts_event - $6) % $2) AS bucket
              FROM rm_bars
             WHERE instrument_id = $1
               AND ($3::bigint IS NULL OR ts_event - $6 >= $3)
               AND ($4::bigint IS NULL OR ts_event - $6 < $4)) b
     GROUP BY bucket
     ORDER BY bucket DESC
     LIMIT $5
) latest
 ORDER BY bucket
"""


def instrument_from_row(row: asyncpg.Record) -> Instrument:
    return Instrument(
        id=strawberry.ID(global_id("Instrument", row["instrument_id"])),
        instrument_id=row["instrument_id"],
        isin=row["isin"],
        mic=row["mic"],
        currency=row["currency"],
        name=row["name"],
        lot_size=decimals.quantity(row["lot_size"]),  # type: ignore[arg-type]
        tick_size=decimals.quantity(row["tick_size"]),  # type: ignore[arg-type]
        last_price=decimals.price(row["last_price"]),
        last_bar_ts=None if row["last_bar_ts"] is None else Nanoseconds(row["last_bar_ts"]),
    )


async def fetch_instruments(pool: asyncpg.Pool) -> list[Instrument]:
    return [instrument_from_row(row) for row in await pool.fetch(_INSTRUMENTS_SQL)]


async def fetch_instrument(pool: asyncpg.Pool, instrument_id: str) -> Instrument | None:
    row = await pool.fetchrow(_INSTRUMENT_SQL, instrument_id)
    return None if row is None else instrument_from_row(row)


async def fetch_candles(
    pool: asyncpg.Pool,
    instrument_id: str,
    *,
    interval: Interval,
    ts_from: int | None,
    ts_to: int | None,
) -> list[Candle]:
    """Candles of bars *starting* in ``[ts_from, ts_to)``, at most :data:`MAX_CANDLES` (the
    latest), oldest first."""
    rows = await pool.fetch(
        _CANDLES_SQL, instrument_id, interval.nanoseconds, ts_from, ts_to, MAX_CANDLES, MINUTE_NS
    )
    return [
        Candle(
            instrument_id=instrument_id,
            ts_start=Nanoseconds(row["bucket"]),
            open=decimals.price(row["open"]),  # type: ignore[arg-type]
            high=decimals.price(row["high"]),  # type: ignore[arg-type]
            low=decimals.price(row["low"]),  # type: ignore[arg-type]
            close=decimals.price(row["close"]),  # type: ignore[arg-type]
            volume=decimals.quantity(row["volume"]),  # type: ignore[arg-type]
            bars=row["bars"],
        )
        for row in rows
    ]


async def fetch_predictions(
    pool: asyncpg.Pool, *, instrument_id: str | None, last: int
) -> list[Prediction]:
    """The ``last`` most recent predictions (of one instrument, or of all), oldest first."""
    rows = await pool.fetch(_PREDICTIONS_SQL, instrument_id, last)
    return [
        Prediction(
            instrument_id=row["instrument_id"],
            ts_event=Nanoseconds(row["ts_event"]),
            probability_up=row["probability_up"],
            model_version=row["model_version"],
            registry_version=row["registry_version"],
            feature_hash=row["feature_hash"],
            forecasts=[
                HorizonForecast(
                    horizon=f["horizon"], down=f["down"], neutral=f["neutral"], up=f["up"]
                )
                for f in row["forecasts"]
            ],
        )
        for row in rows
    ]
