"""The event store on a real PostgreSQL: exact round trips, optimistic concurrency, tracking
and upcasting."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from eventsourcing.persistence import StoredEvent

from bounded_contexts.ingestion.domain.bars import Bar, InstrumentFeed, feed_id
from bounded_contexts.ingestion.domain.events import BarClosed, InstrumentListed
from events.envelope import Cause
from events.store import AlreadyTracked, ConcurrencyConflict, EventStore, datastore_from_url

# A tick as fine as the round-trip test's prices: the store must keep every digit it is given.
LISTING = InstrumentListed(
    "SAP", "DE0007164600", "XETR", "EUR", "SAP SE", tick_size=Decimal("1E-16")
)


@pytest.fixture
def store(database_url: str):
    store = EventStore("ingestion", datastore_from_url(database_url))
    store.create_tables()
    yield store
    store.datastore.close()


def _cause(ts: int = 1) -> Cause:
    return Cause.origin(ts_event=ts, actor="test", key=f"k{ts}")


def _bar(ts_start: int, close: str = "100.00") -> Bar:
    price = Decimal(close)
    return Bar("SAP", ts_start, ts_start + 60_000_000_000, price, price, price, price, Decimal(10))


def test_decimals_and_nanosecond_timestamps_round_trip_exactly(store: EventStore) -> None:
    feed = InstrumentFeed.list(LISTING)
    ts = 1_795_165_800_123_456_789  # nanosecond precision, beyond a float's
    price = Decimal("123.4567890123456789")
    feed.close_bar(Bar("SAP", ts, ts + 60_000_000_000, price, price, price, price, Decimal("0.5")))
    store.append([(p, _cause(ts)) for p in feed.collect_pending()])

    bar = store.read()[1]
    assert bar.event == BarClosed(
        "SAP", ts, ts + 60_000_000_000, price, price, price, price, Decimal("0.5"), "2026-11-20"
    )
    assert bar.ts_event == ts
    assert isinstance(bar.event.close, Decimal) and str(bar.event.close) == str(price)


def test_positions_are_consecutive_and_each_event_knows_its_own(store: EventStore) -> None:
    feed = InstrumentFeed.list(LISTING)
    for minute in range(5):
        feed.close_bar(_bar(minute * 60_000_000_000))
    positions = store.append([(p, _cause()) for p in feed.collect_pending()])

    assert positions == [1, 2, 3, 4, 5, 6]
    assert [e.position for e in store.read()] == positions
    assert store.head() == 6


def test_a_second_writer_of_the_same_aggregate_version_is_refused_and_writes_nothing(
    store: EventStore,
) -> None:
    feed = InstrumentFeed.list(LISTING)
    store.append([(p, _cause()) for p in feed.collect_pending()])
    stale = InstrumentFeed.replay(feed_id("SAP"), [LISTING])
    feed.close_bar(_bar(0, "100.00"))
    stale.close_bar(_bar(0, "999.00"))
    store.append([(p, _cause()) for p in feed.collect_pending()])

    with pytest.raises(ConcurrencyConflict):
        store.append([(p, _cause()) for p in stale.collect_pending()])
    closes = [e.event.close for e in store.read() if isinstance(e.event, BarClosed)]
    assert closes == [Decimal("100.00")]


def test_an_upstream_position_already_tracked_is_refused_with_its_effects(
    store: EventStore,
) -> None:
    feed = InstrumentFeed.list(LISTING)
    store.append([(p, _cause()) for p in feed.collect_pending()], tracking=("upstream", 7))
    feed.close_bar(_bar(0))

    with pytest.raises(AlreadyTracked):
        store.append([(p, _cause()) for p in feed.collect_pending()], tracking=("upstream", 7))
    assert store.head() == 1
    assert store.tracked_position("upstream") == 7


def test_a_stored_version_1_bar_is_read_as_version_2_through_its_upcaster(
    store: EventStore,
) -> None:
    state = {
        "event_id": "00000000-0000-0000-0000-000000000001",
        "type": "BarClosed",
        "version": 1,
        "ts_event": 1_795_165_860_000_000_000,
        "ts_recorded": 1,
        "causation_id": None,
        "correlation_id": "00000000-0000-0000-0000-000000000002",
        "actor": "legacy-feed",
        "watermarks": {},
        "payload": {
            "instrument_id": "SAP",
            "ts_start": 1_795_165_800_000_000_000,
            "ts_end": 1_795_165_860_000_000_000,
            "open": "210.00",
            "high": "210.50",
            "low": "209.90",
            "close": "210.10",
            "volume": "1200",
        },
    }
    stored = StoredEvent(feed_id("SAP"), 1, "BarClosed", json.dumps(state).encode())
    store.recorder.insert_events([stored])

    (envelope,) = store.read()
    assert envelope.schema_version == 2
    assert envelope.event.session == "2026-11-20"
    assert envelope.event.close == Decimal("210.10")
    raw = store.recorder.select_events(feed_id("SAP"))[0].state
    assert json.loads(raw)["version"] == 1  # the store is never rewritten
