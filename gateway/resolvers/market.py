"""``instruments`` and ``predictions``: reference data and model outputs from the read models."""

from __future__ import annotations

import asyncpg

from gateway.scalars import Nanoseconds
from gateway.types import Instrument, Prediction

_INSTRUMENTS_SQL = """
SELECT instrument_id, isin, mic, currency, name, last_price, last_bar_ts
  FROM rm_instruments
 ORDER BY instrument_id
"""

# The latest `last` rows, returned oldest first (a chart reads left to right).
_PREDICTIONS_SQL = """
SELECT * FROM (
    SELECT instrument_id, ts_event, probability_up, model_version
      FROM rm_predictions
     WHERE ($1::text IS NULL OR instrument_id = $1::text)
     ORDER BY ts_event DESC, instrument_id DESC
     LIMIT $2
) latest
 ORDER BY ts_event, instrument_id
"""


async def fetch_instruments(pool: asyncpg.Pool) -> list[Instrument]:
    rows = await pool.fetch(_INSTRUMENTS_SQL)
    return [
        Instrument(
            instrument_id=row["instrument_id"],
            isin=row["isin"],
            mic=row["mic"],
            currency=row["currency"],
            name=row["name"],
            last_price=row["last_price"],
            last_bar_ts=None if row["last_bar_ts"] is None else Nanoseconds(row["last_bar_ts"]),
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
        )
        for row in rows
    ]
