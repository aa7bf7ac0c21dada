"""The hash chain makes tampering visible: rows updated, deleted or inserted directly in
PostgreSQL are named by position; a forger who rewrites the whole chain is caught by an anchor
exported before; a store recorded before the chain existed is linked on upgrade; concurrent
writers never break it."""

from __future__ import annotations

import threading
from decimal import Decimal

import psycopg
import pytest

from bounded_contexts.ingestion.domain.bars import Bar, InstrumentFeed
from bounded_contexts.ingestion.domain.events import InstrumentListed
from events.chain import GENESIS, heads, links, verify
from events.envelope import Cause
from events.store import EventStore, datastore_from_url

pytestmark = pytest.mark.integration

MINUTE = 60_000_000_000
EDIT_ACTOR = (
    "UPDATE ingestion_events SET state = convert_to(replace(convert_from(state, 'UTF8'), "
    "'\"test\"', '\"evil\"'), 'UTF8') WHERE notification_id = {position}"
)
"""What a person with database access might do: change who an event says acted."""
T0 = 1_795_165_800_000_000_000


@pytest.fixture
def store(database_url: str):
    store = EventStore("ingestion", datastore_from_url(database_url))
    store.create_tables()
    yield store
    store.datastore.close()


def _record(store: EventStore, instrument: str, bars: int, start: int = 0) -> list[int]:
    """A new instrument listed and ``bars`` of its bars, in one append."""
    feed = InstrumentFeed.list(InstrumentListed(instrument, "DE0007164600", "XETR", "EUR", "x"))
    for minute in range(start, start + bars):
        price = Decimal(100 + minute)
        ts = T0 + minute * MINUTE
        feed.close_bar(Bar(instrument, ts, ts + MINUTE, price, price, price, price, Decimal(1)))
    cause = Cause.origin(ts_event=T0, actor="test", key=f"{instrument}/{start}")
    return store.append([(p, cause) for p in feed.collect_pending()])


def _check(url: str, **kwargs):  # type: ignore[no-untyped-def]
    with psycopg.connect(url) as conn:
        return verify(conn, "ingestion", **kwargs)


def test_an_untouched_store_verifies_and_reports_its_head(store, database_url) -> None:
    positions = _record(store, "SAP", 20)
    result = _check(database_url)
    assert result.intact and result.events == 21 and result.head_position == positions[-1]
    with psycopg.connect(database_url) as conn:
        assert heads(conn, ["ingestion"])["ingestion"] == (positions[-1], result.head_hash)


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (EDIT_ACTOR.format(position=10), "was changed"),
        ("DELETE FROM ingestion_events WHERE notification_id = 10", "is missing"),
        ("UPDATE ingestion_chain SET hash = sha256('x') WHERE position = 10", "was changed"),
        ("DELETE FROM ingestion_chain WHERE position = 10", "has no link"),
    ],
)
def test_a_row_changed_or_removed_in_postgresql_is_named_by_its_position(
    store, database_url, tamper: str, problem: str
) -> None:
    _record(store, "SAP", 20)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(tamper)
    result = _check(database_url)
    assert not result.intact
    assert result.breaks[0].position == 10 and problem in result.breaks[0].problem


def test_an_event_inserted_in_postgresql_is_named(store, database_url) -> None:
    _record(store, "SAP", 5)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO ingestion_events (originator_id, originator_version, topic, state) "
            "SELECT gen_random_uuid(), 1, topic, state FROM ingestion_events "
            "WHERE notification_id = 3"
        )
        forged = conn.execute("SELECT max(notification_id) FROM ingestion_events").fetchone()[0]
    result = _check(database_url)
    assert [b.position for b in result.breaks] == [forged]
    assert "no link" in result.breaks[0].problem


def test_a_forger_who_rewrites_the_whole_chain_is_caught_by_an_earlier_anchor(
    store, database_url
) -> None:
    _record(store, "SAP", 10)
    with psycopg.connect(database_url) as conn:
        anchor = heads(conn, ["ingestion"])["ingestion"]
    _record(store, "SIE", 5)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(EDIT_ACTOR.format(position=6))
        rows = conn.execute(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM ingestion_events ORDER BY notification_id"
        ).fetchall()
        conn.execute("DELETE FROM ingestion_chain")
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO ingestion_chain (position, hash) VALUES (%s, %s)",
                links(GENESIS, [(r[0], r[1], r[2], r[3], bytes(r[4])) for r in rows]),
            )
    assert _check(database_url).intact  # the rewritten chain holds together on its own
    anchored = _check(database_url, anchor=anchor)
    assert not anchored.intact
    assert anchored.breaks[0].position == anchor[0]
    assert "anchored hash" in anchored.breaks[0].problem


def test_a_store_recorded_before_the_chain_is_linked_on_upgrade(store, database_url) -> None:
    _record(store, "SAP", 8)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP TABLE ingestion_chain")
    store.create_tables()
    assert _check(database_url).intact
    _record(store, "SIE", 3)
    assert _check(database_url).events == 13


def test_concurrent_writers_keep_one_unbroken_chain(store, database_url) -> None:
    second = EventStore("ingestion", datastore_from_url(database_url))
    errors: list[BaseException] = []

    def write(target: EventStore, instrument: str) -> None:
        try:
            for n in range(30):  # a new instrument each time: no version conflicts
                _record(target, f"{instrument}{n}", 1)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=write, args=(store, "SAP")),
        threading.Thread(target=write, args=(second, "SIE")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    second.datastore.close()
    assert errors == []
    result = _check(database_url)
    assert result.intact and result.events == 120
