"""The edges of the gateway's security a careful attacker (or an unlucky user) finds: a
viewer trying to cancel, queries smuggled over the subscription socket, header case in
``connection_init``, a subscription outliving its token, and guessing credentials."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway import GatewayConfig, create_app
from gateway.identity import issue_token
from gateway.ratelimit import Rate, RateLimits
from tests.access_helpers import AUDIENCE, ISSUER, TESTER
from tests.gateway.conftest import error_codes

pytestmark = pytest.mark.integration

CANCEL = 'mutation { cancelOrder(orderId: "00000000-0000-0000-0000-000000000001") { orderId } }'
BARS = 'subscription { bars(instrumentId: "AAPL") { cursor } }'


def connect(client: TestClient, payload: dict[str, Any], headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    socket = client.websocket_connect(
        "/graphql", subprotocols=["graphql-transport-ws"], headers=headers or {}
    )
    ws = socket.__enter__()
    ws.send_json({"type": "connection_init", "payload": payload})
    return socket, ws


def test_a_viewer_who_sees_the_order_is_told_it_may_not_cancel_it(client, access, commands) -> None:  # type: ignore[no-untyped-def]
    from uuid import UUID

    commands.order_status[UUID(int=1)] = "ACCEPTED"
    access.grant("vera", "viewer", ["acc-1"]).grant("stranger", "viewer", ["acc-9"])
    as_viewer = client.post("/graphql", json={"query": CANCEL}, headers=access.headers("vera"))
    assert error_codes(as_viewer.json()) == ["FORBIDDEN"]
    as_stranger = client.post(
        "/graphql", json={"query": CANCEL}, headers=access.headers("stranger")
    )
    assert error_codes(as_stranger.json()) == ["NOT_FOUND"]  # not even its existence
    assert commands.cancelled == []


def test_queries_and_mutations_are_refused_over_the_subscription_socket(client, access) -> None:  # type: ignore[no-untyped-def]
    socket, ws = connect(client, access.headers(TESTER))
    try:
        assert ws.receive_json()["type"] == "connection_ack"
        for query in ('{ portfolio(accountId: "acc-1") { cash } }', CANCEL):
            ws.send_json({"id": query[:8], "type": "subscribe", "payload": {"query": query}})
            answer = ws.receive_json()
            assert answer["type"] == "error", answer
            assert "not allowed" in answer["payload"][0]["message"]
    finally:
        socket.__exit__(None, None, None)


def test_connection_init_credentials_win_whatever_the_header_case(client, access) -> None:  # type: ignore[no-untyped-def]
    stale = {"authorization": "Bearer not.a.token"}  # on the upgrade, lower case
    socket, ws = connect(client, {"Authorization": access.headers(TESTER)["Authorization"]}, stale)
    try:
        assert ws.receive_json()["type"] == "connection_ack"
    finally:
        socket.__exit__(None, None, None)


def test_a_subscription_ends_when_its_token_expires(client, access) -> None:  # type: ignore[no-untyped-def]
    token = issue_token(access.keys, TESTER, ttl_s=2, issuer=ISSUER, audience=AUDIENCE)
    socket, ws = connect(client, {"Authorization": f"Bearer {token}"})
    started = time.monotonic()
    try:
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": BARS}})
        answer = ws.receive_json()  # nothing happens on AAPL: the next message is the end
        assert answer["type"] == "next" and error_codes(answer["payload"]) == ["UNAUTHENTICATED"]
        assert time.monotonic() - started < 10
    finally:
        socket.__exit__(None, None, None)


def test_refused_credentials_are_throttled_per_address(read_model_url, commands, access) -> None:  # type: ignore[no-untyped-def]
    limits = RateLimits(queries=Rate(10, 10), mutations=Rate(1, 1), anonymous=Rate(0.1, 3))
    app = create_app(
        read_model_url,
        commands,
        security=access.security(),
        config=GatewayConfig(rate_limits=limits),
    )
    guess = {"Authorization": "Bearer guessed.token.value"}
    with TestClient(app) as client:
        answers = [
            client.post(
                "/graphql", json={"query": "{ instruments { instrumentId } }"}, headers=guess
            )
            for _ in range(4)
        ]
        assert [a.status_code for a in answers] == [401, 401, 401, 429]
        assert int(answers[-1].headers["retry-after"]) >= 1
        signed_in = client.post(
            "/graphql",
            json={"query": "{ instruments { instrumentId } }"},
            headers=access.headers(TESTER),
        )
        assert signed_in.status_code == 200  # a real user is not locked out by the guesser


def test_an_anonymous_socket_is_closed_at_connection_init(client) -> None:  # type: ignore[no-untyped-def]
    with TestClient(client.app) as anonymous:  # the fixture's client signs in as the tester
        socket, ws = connect(anonymous, {})
        try:
            closed = ws.receive()
            assert closed == {"type": "websocket.close", "code": 4403, "reason": "Forbidden"}
        finally:
            socket.__exit__(None, None, None)
