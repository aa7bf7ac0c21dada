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
    "rm_orders",
    "rm_order_events",
    "rm_fills",
    "rm_positions",
    "rm_portfolio",
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


def table_rows(database_url: str, table: str) -> list[tuple]:  # type: ignore[type-arg]
    """Every row of a table, in a total order, as plain tuples."""
    with psycopg.connect(database_url) as conn:
        columns = [
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                "ORDER BY ordinal_position",
                (table,),
            ).fetchall()
        ]
        order = ", ".join(f'"{c}"' for c in columns)
        return conn.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()


def read_models(database_url: str) -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    return {table: table_rows(database_url, table) for table in READ_MODEL_TABLES}
