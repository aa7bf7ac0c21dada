"""Helpers shared by integration and end-to-end tests: feeding a platform and reading its
read models as comparable data."""

from __future__ import annotations

from datetime import date

import psycopg

from bounded_contexts.ingestion.adapters.csv_replay import read_instruments, sample_path
from bounded_contexts.ingestion.adapters.synthetic_feed import (
    SyntheticFeedConfig,
    synthetic_bars,
    trading_days,
)
from quantvista.platform import Platform

READ_MODEL_TABLES = (
    "rm_instruments",
    "rm_bars",
    "rm_quarantine",
    "rm_predictions",
    "rm_features",
    "rm_orders",
    "rm_order_events",
    "rm_fills",
    "rm_positions",
    "rm_position_fills",
    "rm_portfolio",
    "rm_models",
    "rm_clusterings",
    "rm_regimes",
)
"""The read models two runs of the same input must agree on. Not ``rm_event_index``: it keeps
each event's store position and recording time, which differ between runs (a rebuild from
the same log reproduces it exactly, and tests/e2e/test_pipeline.py checks that)."""


def feed_synthetic(platform: Platform, *, seed: int, instruments: int = 5, days: int = 1) -> int:
    listings = read_instruments(sample_path("instruments.csv"))[:instruments]
    platform.ingestion.list_instruments(listings, actor="test")
    ids = [listing.instrument_id for listing in listings]
    rows = synthetic_bars(
        ids, trading_days(date(2026, 11, 16), days), SyntheticFeedConfig(seed=seed)
    )
    report = platform.ingestion.ingest(rows, actor="test")
    return report.accepted


POSITION_COLUMNS = frozenset({"seq", "updated_seq", "corrected_seq"})
"""Columns holding store positions: equal between two runs of the same input, but not after a
kill (a killed transaction, or a killed database's sequence cache, burns positions)."""


def table_rows(database_url: str, table: str, *, positions: bool = True) -> list[tuple]:  # type: ignore[type-arg]
    """Every row of a table, in a total order, as plain tuples (without its store-position
    columns when ``positions`` is false)."""
    with psycopg.connect(database_url) as conn:
        columns = [
            r[0]
            for r in conn.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass "
                "AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                (table,),  # the table the search path resolves, as FROM does
            ).fetchall()
            if positions or r[0] not in POSITION_COLUMNS
        ]
        listed = ", ".join(f'"{c}"' for c in columns)
        return conn.execute(f"SELECT {listed} FROM {table} ORDER BY {listed}").fetchall()


def read_models(database_url: str, *, positions: bool = True) -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    return {
        table: table_rows(database_url, table, positions=positions) for table in READ_MODEL_TABLES
    }
