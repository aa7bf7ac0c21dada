"""In-app notifications: the ``rm_notifications`` read model per user, newest first, with
read/unread; preferences switch channels on and off; the read model rebuilds row for row."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from bounded_contexts.support.domain.notifications import (
    InvalidPreference,
    NotificationNotFound,
)
from bounded_contexts.support.notification_bootstrap import build_notifications
from events.consumer import TrackedConsumer
from projections.notifications import NotificationsProjection
from projections.registry import create_read_model_tables
from tests.pipeline_helpers import table_rows
from tests.support.notification_helpers import Facts, FakeClock, FakeRecipients, requested


@pytest.fixture
def setup(database_url, make_platform):  # type: ignore[no-untyped-def]
    platform = make_platform(database_url, with_bus=False)
    with platform.read_store.transaction(commit=True) as cur:
        create_read_model_tables(cur)
    built = build_notifications(
        platform.stores,
        platform.read_store,
        FakeRecipients({"ACC-1": ["alice", "bob"]}),
        clock_ns=FakeClock(),
    )

    def run() -> None:
        for handler, effects in (
            (built.policy, built.effects),
            (NotificationsProjection(), platform.read_effects),
        ):
            TrackedConsumer(handler, effects, platform.stores, platform.dead_letters).drain()

    return platform, built, Facts(platform.stores), run


def inbox(url: str, user: str) -> list[tuple[str, str, bool]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT rule, title, read FROM rm_notifications WHERE recipient = %s ORDER BY seq DESC",
            (user,),
        ).fetchall()


@pytest.mark.integration
def test_each_user_sees_their_notifications_newest_first_and_marks_them_read(setup) -> None:  # type: ignore[no-untyped-def]
    platform, built, facts, run = setup
    order = uuid.uuid4()
    facts.account()
    facts.fill(price="200")
    facts.order(order)
    facts.rejection(order)
    run()
    url = platform.database_url
    assert inbox(url, "alice") == [
        ("order_rejected", "Order rejected: BUY 10 SAP (max_order_notional)", False),
        ("fill", "Bought 10 SAP at 200", False),
    ]
    mine = [e.event for e in requested(platform.stores["support"]) if e.event.recipient == "alice"]
    service = built.service
    assert service.mark_read("alice", mine[0].notification_id, actor="person:alice")
    assert not service.mark_read("alice", mine[0].notification_id, actor="person:alice")
    with pytest.raises(NotificationNotFound):  # bob's view of alice's: as if it did not exist
        service.mark_read("bob", mine[1].notification_id, actor="person:bob")
    with pytest.raises(NotificationNotFound):
        service.mark_read("alice", uuid.uuid4(), actor="person:alice")
    run()
    assert [row[2] for row in inbox(url, "alice")] == [False, True]
    assert [row[2] for row in inbox(url, "bob")] == [False, False]


@pytest.mark.integration
def test_preferences_switch_channels_on_and_off(setup) -> None:  # type: ignore[no-untyped-def]
    platform, built, facts, run = setup
    service = built.service
    facts.account()
    hook = {"webhook_url": "https://hooks.example.com/a", "secret_ref": "env:ALICE_HOOK"}
    alice, bob = {"actor": "person:alice"}, {"actor": "person:bob"}
    assert service.set_preference("alice", "fill", "webhook", enabled=True, **alice, **hook)
    assert service.set_preference("bob", "*", "in_app", enabled=False, **bob)
    assert service.set_preference("bob", "fill", "webhook", enabled=True, **bob, **hook)
    assert service.set_preference("bob", "*", "in_app", enabled=False, **bob) is None
    facts.fill()
    run()
    channels = {e.event.recipient: e.event.channels for e in requested(platform.stores["support"])}
    assert channels == {"alice": ("in_app", "webhook"), "bob": ("webhook",)}
    url = platform.database_url
    assert len(inbox(url, "alice")) == 1 and inbox(url, "bob") == []
    deliveries = table_rows(url, "rm_notification_deliveries")
    assert sorted((r[1], r[2], r[3]) for r in deliveries) == [
        ("webhook", "alice", "PENDING"),
        ("webhook", "bob", "PENDING"),
    ]

    # Everything off for alice's fills and bob's webhook: a fill records nothing for them.
    service.set_preference("alice", "fill", "webhook", enabled=False, actor="person:alice")
    service.set_preference("alice", "fill", "in_app", enabled=False, actor="person:alice")
    service.set_preference("bob", "fill", "webhook", enabled=False, actor="person:bob")
    before = len(requested(platform.stores["support"]))
    facts.fill()
    run()
    assert len(requested(platform.stores["support"])) == before
    assert service.channels("alice", "fill") == () and service.channels("alice", "drawdown") == (
        "in_app",
    )
    prefs = {(r[0], r[1], r[2]): r[3] for r in table_rows(url, "rm_notification_preferences")}
    assert prefs[("alice", "fill", "webhook")] is False and prefs[("bob", "*", "in_app")] is False
    with pytest.raises(InvalidPreference, match="needs an address"):
        service.set_preference("alice", "fill", "email", enabled=True, actor="person:alice")


@pytest.mark.integration
def test_the_notification_read_models_rebuild_row_for_row(setup) -> None:  # type: ignore[no-untyped-def]
    platform, built, facts, run = setup
    facts.account()
    for _ in range(3):
        facts.fill()
        run()
    built.service.set_preference(
        "alice", "*", "email", enabled=True, email="alice@example.com", actor="person:alice"
    )
    facts.fill()
    run()
    first = requested(platform.stores["support"])[0].event
    built.service.mark_read(first.recipient, first.notification_id, actor="person:x")
    run()
    projection = NotificationsProjection()
    url = platform.database_url
    live = {table: table_rows(url, table) for table in projection.tables}
    with platform.read_store.transaction(commit=True) as cur:
        cur.execute("TRUNCATE " + ", ".join(projection.tables))
        cur.execute("DELETE FROM projection_tracking WHERE projection = %s", (projection.name,))
    TrackedConsumer(
        projection, platform.read_effects, platform.stores, platform.dead_letters, chunk_size=1000
    ).drain()
    assert {table: table_rows(url, table) for table in projection.tables} == live
    assert len(live["rm_notifications"]) == 8 and len(live["rm_notification_deliveries"]) == 1
