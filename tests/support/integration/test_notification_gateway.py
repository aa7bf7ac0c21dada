"""The notification API as a GraphQL client uses it: each user reads and marks only their own
notifications, the recipients come from the authorisation model (the real adapter over the
tuples ``quantvista users add`` writes), and webhooks and other users' preferences are for
administrators only."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bounded_contexts.support.adapters.recipients import AuthorisationRecipients
from bounded_contexts.support.notification_bootstrap import build_notifications
from events.consumer import TrackedConsumer
from gateway import GatewayConfig, create_app
from projections.notifications import NotificationsProjection
from projections.registry import create_read_model_tables
from tests.access_helpers import TestAccess
from tests.gateway.conftest import FakeOrderCommands
from tests.support.notification_helpers import Facts, FakeClock, requested

pytestmark = pytest.mark.integration

NOTIFICATIONS = """query ($unread: Boolean) { notifications(unreadOnly: $unread, first: 10) {
  totalCount edges { cursor node { notificationId rule accountId severity title read } } } }"""
MARK_READ = """mutation ($id: ID!) { markNotificationRead(notificationId: $id) {
  notificationId changed } }"""
SET_PREFERENCE = """mutation ($input: NotificationPreferenceInput!) {
  setNotificationPreference(input: $input) { userId changed
    preferences { rule channel enabled email webhookUrl secretRef } } }"""
PREFERENCES = """query ($user: String) { notificationPreferences(userId: $user) {
  rule channel enabled } }"""


@pytest.fixture
def world(database_url, make_platform, tmp_path) -> Iterator[tuple[Any, ...]]:  # type: ignore[no-untyped-def]
    access = TestAccess(tmp_path)
    access.grant("alice", "trader", ["ACC-1"]).grant("bob", "viewer", ["ACC-2"])
    access.grant("root", "admin").grant("rita", "risk")
    platform = make_platform(database_url, with_bus=False)
    with platform.read_store.transaction(commit=True) as cur:
        create_read_model_tables(cur)
    built = build_notifications(
        platform.stores,
        platform.read_store,
        AuthorisationRecipients(access.tuples),
        clock_ns=FakeClock(),
    )

    def run() -> None:
        for handler, effects in (
            (built.policy, built.effects),
            (NotificationsProjection(), platform.read_effects),
        ):
            TrackedConsumer(handler, effects, platform.stores, platform.dead_letters).drain()

    app = create_app(
        database_url,
        FakeOrderCommands(),
        security=access.security(),
        notifications=built.service,
        config=GatewayConfig(pool_min_size=1, pool_max_size=2),
    )
    with TestClient(app) as client:

        def graphql(caller: str | None, query: str, **variables: Any) -> dict[str, Any]:
            headers = access.headers(caller) if caller else {}
            response = client.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
            return response.json()

        yield Facts(platform.stores), run, graphql


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


def test_each_user_reads_and_marks_only_their_own_notifications(world) -> None:  # type: ignore[no-untyped-def]
    facts, run, graphql = world
    facts.account()
    facts.fill(price="200")
    run()
    alice = graphql("alice", NOTIFICATIONS)["data"]["notifications"]
    assert alice["totalCount"] == 1
    [edge] = alice["edges"]
    assert (edge["node"]["rule"], edge["node"]["accountId"]) == ("fill", "ACC-1")
    # bob views another account, rita reads every account but is not told of every fill
    for other in ("bob", "rita", "root"):
        assert graphql(other, NOTIFICATIONS)["data"]["notifications"]["totalCount"] == 0
    assert codes(graphql(None, NOTIFICATIONS)) == ["UNAUTHENTICATED"]

    mine = edge["node"]["notificationId"]
    assert codes(graphql("bob", MARK_READ, id=mine)) == ["NOT_FOUND"]
    assert codes(graphql("alice", MARK_READ, id=str(uuid.uuid4()))) == ["NOT_FOUND"]
    assert codes(graphql("alice", MARK_READ, id="not-a-uuid")) == ["BAD_USER_INPUT"]
    assert graphql("alice", MARK_READ, id=mine)["data"]["markNotificationRead"]["changed"]
    assert not graphql("alice", MARK_READ, id=mine)["data"]["markNotificationRead"]["changed"]
    run()
    assert graphql("alice", NOTIFICATIONS, unread=True)["data"]["notifications"] == {
        "totalCount": 0,
        "edges": [],
    }


def test_users_set_their_own_channels_and_only_administrators_set_webhooks(world) -> None:  # type: ignore[no-untyped-def]
    facts, run, graphql = world
    email = {"rule": "fill", "channel": "EMAIL", "enabled": True, "email": "alice@example.com"}
    answer = graphql("alice", SET_PREFERENCE, input=email)["data"]["setNotificationPreference"]
    assert answer["userId"] == "alice" and answer["changed"] is True
    assert answer["preferences"] == [
        {
            "rule": "fill",
            "channel": "EMAIL",
            "enabled": True,
            "email": "alice@example.com",
            "webhookUrl": None,
            "secretRef": None,
        }
    ]
    again = graphql("alice", SET_PREFERENCE, input=email)["data"]["setNotificationPreference"]
    assert again["changed"] is False

    bad = graphql("alice", SET_PREFERENCE, input={**email, "email": "alice@\nexample.com"})
    assert codes(bad) == ["BAD_USER_INPUT"] and "e-mail" in bad["errors"][0]["message"]
    hook = {
        "rule": "*",
        "channel": "WEBHOOK",
        "enabled": True,
        "webhookUrl": "https://hooks.example.com/alice",
        "secretRef": "env:ALICE_HOOK_SECRET",
    }
    assert codes(graphql("alice", SET_PREFERENCE, input=hook)) == ["FORBIDDEN"]
    assert codes(graphql("alice", SET_PREFERENCE, input={**email, "userId": "bob"})) == [
        "FORBIDDEN"
    ]
    assert codes(graphql("alice", PREFERENCES, user="bob")) == ["FORBIDDEN"]
    by_admin = graphql("root", SET_PREFERENCE, input={**hook, "userId": "alice"})
    assert by_admin["data"]["setNotificationPreference"]["changed"] is True
    assert graphql("alice", PREFERENCES)["data"]["notificationPreferences"] == [
        {"rule": "*", "channel": "WEBHOOK", "enabled": True},
        {"rule": "fill", "channel": "EMAIL", "enabled": True},
    ]
    assert graphql("root", PREFERENCES, user="alice") == graphql("alice", PREFERENCES)

    facts.account()
    facts.fill()
    run()
    [notice] = [e.event for e in requested(facts.stores["support"])]
    assert (notice.recipient, notice.channels) == ("alice", ("in_app", "webhook", "email"))
