"""Read models of an older release are dropped and rebuilt from the log: a data directory made
before a read-model change keeps working after an upgrade, with every row back."""

from __future__ import annotations

import psycopg
import pytest

from projections.registry import READ_MODEL_VERSION
from tests.pipeline_helpers import feed_synthetic, read_models


def _version_1(url: str) -> None:
    """What a release before READ_MODEL_VERSION 2 left: the same tables without ``seq``
    columns, and no version table."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE rm_schema_version")
        conn.execute("ALTER TABLE rm_orders DROP COLUMN seq, DROP COLUMN updated_seq")
        conn.execute("ALTER TABLE rm_bars DROP COLUMN seq")


@pytest.mark.integration
def test_an_older_read_model_is_dropped_and_rebuilt_equal_to_the_live_one(
    make_platform, database_url: str
) -> None:
    platform = make_platform(database_url, with_bus=False)
    platform.build()
    feed_synthetic(platform, seed=5, instruments=3)
    platform.run_until_caught_up()
    live = read_models(database_url)
    assert live["rm_orders"], "the session must trade for the comparison to mean something"
    _version_1(database_url)

    again = make_platform(database_url, with_bus=False)  # create_tables() migrates
    again.build()
    again.run_until_caught_up()
    assert read_models(database_url) == live
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT version FROM rm_schema_version").fetchall() == [
            (READ_MODEL_VERSION,)
        ]


@pytest.mark.integration
def test_a_current_read_model_is_left_as_it_is(make_platform, database_url: str) -> None:
    platform = make_platform(database_url, with_bus=False)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO rm_instruments (instrument_id, isin, mic, currency, name, lot_size, "
            "tick_size) VALUES ('X', 'DE0007164600', 'XETR', 'EUR', 'x', 1, 0.01)"
        )
        conn.execute(
            "INSERT INTO projection_tracking VALUES ('projection.market-data', 'ingestion', 7)"
        )
    platform.create_tables()
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM rm_instruments").fetchone() == (1,)
        assert conn.execute("SELECT position FROM projection_tracking").fetchone() == (7,)
