"""Idle consumers wait on the stores' NOTIFY instead of polling (real PostgreSQL, real broker).

What a user relies on: a platform with nothing to do does not burn CPU asking the broker every
few milliseconds, and yet an event appended after a long quiet spell is applied at once."""

from __future__ import annotations

import time

import psycopg
import pytest

from events.relay import Relay
from events.wake import StoreSignals
from tests.backbone.integration.test_exactly_once import (
    _book_fills,
    _consumer,
    _tracked,
    _wait_for,
)

QUIET = 60.0  # a consumer's timeout in these tests: only a ring can wake it sooner


def _signals(platform, url: str) -> StoreSignals:  # type: ignore[no-untyped-def]
    signals = StoreSignals(
        url, (platform.stores[c].events_table for c in ("execution", "ingestion"))
    )
    signals.start()
    _wait_for(lambda: signals.connected)
    return signals


@pytest.mark.integration
def test_an_append_rings_the_consumers_of_that_store_and_no_other(
    database_url, make_platform
) -> None:  # type: ignore[no-untyped-def]
    platform = make_platform(database_url, with_bus=False)
    signals = _signals(platform, database_url)
    try:
        execution = signals.wake_for([platform.stores["execution"].events_table])
        ingestion = signals.wake_for([platform.stores["ingestion"].events_table])
        _book_fills(platform)

        assert execution.wait(QUIET)
        assert not ingestion.wait(0.5)
        assert signals.received >= 1
    finally:
        signals.stop()


@pytest.mark.integration
def test_a_wake_for_a_store_nobody_listens_to_is_refused(database_url, make_platform) -> None:  # type: ignore[no-untyped-def]
    platform = make_platform(database_url, with_bus=False)
    signals = StoreSignals(database_url, [platform.stores["execution"].events_table])
    with pytest.raises(ValueError, match="not listening on 'sagas_events'"):
        signals.wake_for(["sagas_events"])


@pytest.mark.integration
def test_an_idle_consumer_blocks_instead_of_polling_and_applies_the_next_append_at_once(
    database_url, make_platform
) -> None:  # type: ignore[no-untyped-def]
    platform = make_platform(database_url)
    signals = _signals(platform, database_url)
    consumer = _consumer(
        platform,
        idle_catch_up_s=0.25,
        wake=signals.wake_for([platform.stores["execution"].events_table]),
        cold_wait_s=QUIET,
    )
    steps = {"n": 0}
    step = consumer.step

    def counted() -> bool:
        steps["n"] += 1
        return step()

    consumer.step = counted  # type: ignore[method-assign]
    relay = Relay(platform.stores["execution"], platform.bus, listen_url=database_url)
    consumer.start()
    relay.start()
    try:
        time.sleep(1.5)  # past the hot window after start
        before = steps["n"]
        time.sleep(2.0)
        assert steps["n"] - before <= 2  # blocked: a polling consumer steps hundreds of times

        _book_fills(platform)  # after the quiet spell: the NOTIFY wakes it, not its timeout
        head = platform.stores["execution"].head()
        _wait_for(lambda: _tracked(platform, consumer) == head, timeout=QUIET / 2)
        assert not consumer.failed, consumer.last_error
        time.sleep(1.0)  # cold again: blocked in a 60 s wait...
        consumer.stop(timeout=10)
        assert not consumer.running  # ...which stop() ends at once
    finally:
        relay.stop()
        consumer.stop()
        signals.stop()


@pytest.mark.integration
def test_a_lost_listener_connection_comes_back_and_rings_everyone(
    database_url, make_platform
) -> None:  # type: ignore[no-untyped-def]
    platform = make_platform(database_url, with_bus=False)
    signals = _signals(platform, database_url)
    try:
        wake = signals.wake_for([platform.stores["execution"].events_table])
        wake.wait(0)  # the ring of the first connection
        with psycopg.connect(database_url, autocommit=True) as admin:
            killed = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE 'LISTEN %%'"
            ).fetchall()
        assert killed
        assert wake.wait(QUIET)  # reconnected: everyone is rung (appends meanwhile are not lost)
        _wait_for(lambda: signals.connected)
        wake.wait(0)
        _book_fills(platform)
        assert wake.wait(QUIET)  # and appends ring again
    finally:
        signals.stop()
