"""Authorisation decisions are facts in the support context's store: who asked to do what to
which resource, allowed or denied and why, tied to the request."""

from __future__ import annotations

import pytest

from bounded_contexts.support.application.access_log import AccessLog
from bounded_contexts.support.domain.access_log import AccessDecided, AccessDecision
from events.store import EventStore, datastore_from_url


@pytest.mark.integration
def test_decisions_are_appended_and_read_back_as_recorded(database_url: str) -> None:
    store = EventStore("support", datastore_from_url(database_url))
    store.create_tables()
    try:
        log = AccessLog(store, clock_ns=lambda: 1_700_000_000_000_000_000)
        positions = log.record(
            [
                AccessDecision.record(
                    subject="alice", roles=("trader",), operation="placeOrder",
                    resource="account:DEMO-001", allowed=True,
                    reason="accounts:DEMO-001#trade", request_id="r-1",
                ),
                AccessDecision.record(
                    subject="mallory", roles=(), operation="cancelOrder",
                    resource="account:DEMO-001", allowed=False,
                    reason="no accounts:DEMO-001#trade", request_id="r-1",
                ),
            ],
            request_id="r-1",
        )  # fmt: skip
        assert len(positions) == 2 and log.record([], request_id="r-2") == []
        events = store.read()
        assert [e.event for e in events] == [
            AccessDecided(
                "alice", ("trader",), "placeOrder", "account:DEMO-001", "ALLOWED",
                "accounts:DEMO-001#trade", "r-1",
            ),
            AccessDecided(
                "mallory", (), "cancelOrder", "account:DEMO-001", "DENIED",
                "no accounts:DEMO-001#trade", "r-1",
            ),
        ]  # fmt: skip
        assert {e.actor for e in events} == {"gateway:authoriser"}
        assert events[0].ts_event == 1_700_000_000_000_000_000
    finally:
        store.datastore.close()
