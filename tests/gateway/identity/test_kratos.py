"""Kratos sessions through the real ``ory-client`` against a fake Kratos that follows Ory's
published ``toSession`` API: tokens and cookies prove their identity, bad or expired sessions
are refused, confirmed sessions are cached briefly, and Kratos being down is an outage."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from gateway.identity import (
    AuthenticationFailed,
    Identity,
    IdentityProviderUnavailable,
    KratosSessionAuthenticator,
)
from tests.fakes.ory_kratos import FakeKratos
from tests.gateway.identity.kit import Clock, authenticate


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def kratos(clock: Clock) -> Iterator[FakeKratos]:
    with FakeKratos(clock=clock) as fake:
        yield fake


@pytest.fixture
def sessions(kratos: FakeKratos, clock: Clock) -> Iterator[KratosSessionAuthenticator]:
    authenticator = KratosSessionAuthenticator(kratos.url, cache_ttl_s=30, clock=clock)
    yield authenticator
    authenticator.close()


def token(value: str) -> dict[str, str]:
    return {"x-session-token": value}


def refused(
    authenticator: KratosSessionAuthenticator, headers: dict[str, str], **cookies: str
) -> str:
    with pytest.raises(AuthenticationFailed) as failure:
        authenticate(authenticator, headers, cookies)
    return failure.value.reason


def test_a_session_token_proves_the_kratos_identity(
    kratos: FakeKratos, sessions: KratosSessionAuthenticator
) -> None:
    session = kratos.add_session(
        traits={"email": "alice@example.com", "name": {"first": "Alice"}},
        metadata_public={"role": "trader"},
    )
    identity = authenticate(sessions, token(session.token))
    assert isinstance(identity, Identity)
    assert (identity.subject, identity.issuer, identity.method) == (
        session.identity_id,
        kratos.url,
        "kratos-session",
    )
    assert identity.expires_at == int(session.expires_at)
    assert identity.claims["sid"] == session.session_id
    assert identity.claims["aal"] == "aal1"
    assert identity.claims["amr"] == ("password",)
    assert identity.claims["traits"]["name"]["first"] == "Alice"
    assert identity.claims["metadata_public"]["role"] == "trader"
    [request] = kratos.whoami_requests
    assert request["x-session-token"] == session.token
    assert "cookie" not in request


def test_a_session_cookie_proves_the_identity_and_only_that_cookie_is_forwarded(
    kratos: FakeKratos, sessions: KratosSessionAuthenticator
) -> None:
    session = kratos.add_session()
    cookies = {"ory_kratos_session": session.cookie, "tracking": "do-not-forward"}
    identity = authenticate(sessions, {}, cookies)
    assert identity is not None and identity.subject == session.identity_id
    [request] = kratos.whoami_requests
    assert request["cookie"] == f"ory_kratos_session={session.cookie}"
    assert "x-session-token" not in request


def test_the_cookie_name_follows_the_deployment(clock: Clock) -> None:
    """Ory Network names its cookie ``ory_session_<project slug>``; self-hosted Kratos lets
    ``session.cookie.name`` change it."""
    with FakeKratos(clock=clock, cookie_name="ory_session_quantvista") as network:
        session = network.add_session()
        authenticator = KratosSessionAuthenticator(
            network.url, cookie_name="ory_session_quantvista", clock=clock
        )
        assert authenticate(authenticator, {}, {"ory_kratos_session": session.cookie}) is None
        identity = authenticate(authenticator, {}, {"ory_session_quantvista": session.cookie})
        assert identity is not None and identity.subject == session.identity_id


def test_an_unknown_token_is_refused_with_kratos_s_reason(
    kratos: FakeKratos, sessions: KratosSessionAuthenticator
) -> None:
    reason = refused(sessions, token("ory_st_forged"))
    assert reason == "Kratos refused the session: HTTP 401 session_inactive"
    assert "ory_st_forged" not in reason


def test_an_expired_session_is_refused(
    kratos: FakeKratos, sessions: KratosSessionAuthenticator, clock: Clock
) -> None:
    session = kratos.add_session(lifespan_s=60)
    clock.advance(60)
    assert "HTTP 401" in refused(sessions, token(session.token))


def test_a_confirmed_session_is_cached_and_asked_again_after_the_cache_ttl(
    kratos: FakeKratos, sessions: KratosSessionAuthenticator, clock: Clock
) -> None:
    session = kratos.add_session()
    first = authenticate(sessions, token(session.token))
    clock.advance(29)
    assert authenticate(sessions, token(session.token)) == first
    assert kratos.whoami_calls == 1
    clock.advance(1)
    assert authenticate(sessions, token(session.token)) == first
    assert kratos.whoami_calls == 2


def test_a_cached_session_is_never_served_past_its_own_expiry(
    kratos: FakeKratos, sessions: KratosSessionAuthenticator, clock: Clock
) -> None:
    session = kratos.add_session(lifespan_s=10)
    assert authenticate(sessions, token(session.token)) is not None
    clock.advance(10)  # within the 30 s cache TTL, but the session is over
    assert "HTTP 401" in refused(sessions, token(session.token))
    assert kratos.whoami_calls == 2


def test_a_revoked_session_is_refused_once_its_cache_entry_lapses(
    kratos: FakeKratos, sessions: KratosSessionAuthenticator, clock: Clock
) -> None:
    session = kratos.add_session()
    assert authenticate(sessions, token(session.token)) is not None
    kratos.revoke(session)
    assert authenticate(sessions, token(session.token)) is not None  # the documented window
    clock.advance(30)
    assert "HTTP 401" in refused(sessions, token(session.token))


def test_refusals_are_not_cached(kratos: FakeKratos, sessions: KratosSessionAuthenticator) -> None:
    for _ in range(2):
        refused(sessions, token("ory_st_unknown"))
    assert kratos.whoami_calls == 2


def test_the_cache_is_bounded(kratos: FakeKratos, clock: Clock) -> None:
    small = KratosSessionAuthenticator(kratos.url, cache_size=2, clock=clock)
    first, second, third = (kratos.add_session() for _ in range(3))
    for session in (first, second, third, third, second):
        authenticate(small, token(session.token))
    assert kratos.whoami_calls == 3
    authenticate(small, token(first.token))  # the least recently used went
    assert kratos.whoami_calls == 4


def test_a_session_below_the_required_assurance_level_is_refused(clock: Clock) -> None:
    with FakeKratos(clock=clock, require_aal2=True) as strict:
        session = strict.add_session(aal="aal1")
        authenticator = KratosSessionAuthenticator(strict.url, clock=clock)
        reason = refused(authenticator, token(session.token))
    assert reason == "Kratos refused the session: HTTP 403 session_aal2_required"


def test_kratos_unreachable_is_an_outage_not_a_refusal(clock: Clock) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    authenticator = KratosSessionAuthenticator(f"http://127.0.0.1:{port}", clock=clock)
    with pytest.raises(IdentityProviderUnavailable) as outage:
        authenticate(authenticator, token("ory_st_anything"))
    assert outage.value.reason.startswith(f"Kratos at http://127.0.0.1:{port} unreachable")


def test_kratos_failing_is_an_outage_not_a_refusal(
    kratos: FakeKratos, sessions: KratosSessionAuthenticator
) -> None:
    session = kratos.add_session()
    kratos.outage = 503
    with pytest.raises(IdentityProviderUnavailable) as outage:
        authenticate(sessions, token(session.token))
    assert outage.value.reason == f"Kratos at {kratos.url} answered HTTP 503 internal_server_error"


def test_a_body_that_is_not_a_session_is_an_outage(
    kratos: FakeKratos, sessions: KratosSessionAuthenticator
) -> None:
    session = kratos.add_session()
    kratos.corrupt = True
    with pytest.raises(IdentityProviderUnavailable) as outage:
        authenticate(sessions, token(session.token))
    assert outage.value.reason.startswith(f"Kratos at {kratos.url} answered an unreadable session")


def test_without_a_session_the_request_is_anonymous_and_kratos_is_not_asked(
    kratos: FakeKratos, sessions: KratosSessionAuthenticator
) -> None:
    assert authenticate(sessions, {"authorization": "Bearer something-else"}) is None
    assert kratos.whoami_calls == 0


@pytest.mark.parametrize(
    ("headers", "cookies", "reason"),
    [
        ({"x-session-token": "  "}, {}, "empty Kratos session token"),
        ({}, {"ory_kratos_session": ""}, "empty Kratos session cookie"),
        ({"x-session-token": "a;b=c"}, {}, "malformed Kratos session token"),
        ({}, {"ory_kratos_session": "v\r\nX-Evil: 1"}, "malformed Kratos session cookie"),
        ({"x-session-token": "t" * 5000}, {}, "Kratos session token is too long"),
    ],
)
def test_malformed_credentials_are_refused_without_asking_kratos(
    kratos: FakeKratos,
    sessions: KratosSessionAuthenticator,
    headers: dict[str, str],
    cookies: dict[str, str],
    reason: str,
) -> None:
    assert refused(sessions, headers, **cookies) == reason
    assert kratos.whoami_calls == 0
