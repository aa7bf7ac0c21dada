"""Oathkeeper's JWKS over HTTP, rotated during the test: a new key is picked up on the first
token that names it; refreshes are rate-limited; an outage keeps the last good keys; only
keys fit to verify signatures are ever used."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from gateway.identity import (
    AuthenticationFailed,
    IdentityProviderUnavailable,
    JwtAuthenticator,
    RemoteJwks,
)
from gateway.identity.jwk import public_jwk
from tests.gateway.identity.kit import (
    AUDIENCE,
    ISSUER,
    Clock,
    JwksServer,
    Keys,
    authenticate,
    bearer,
    sign,
)


def entry(key: rsa.RSAPrivateKey, kid: str, **extra: str) -> dict[str, str]:
    return {**public_jwk(key.public_key()), "kid": kid, "alg": "RS256", "use": "sig", **extra}


class Spawner:
    """Runs background refreshes inline when asked, so tests decide when they happen."""

    def __init__(self) -> None:
        self.pending: list[Callable[[], None]] = []

    def __call__(self, work: Callable[[], None]) -> None:
        self.pending.append(work)

    def run(self) -> int:
        ran = len(self.pending)
        while self.pending:
            self.pending.pop(0)()
        return ran


@pytest.fixture
def monotonic() -> Clock:
    return Clock(1000.0)


@pytest.fixture
def spawner() -> Spawner:
    return Spawner()


@pytest.fixture
def remote(jwks_server: JwksServer, monotonic: Clock, spawner: Spawner) -> Iterator[RemoteJwks]:
    source = RemoteJwks(
        jwks_server.url, ttl_s=300, min_refresh_interval_s=10, clock=monotonic, spawn=spawner
    )
    yield source
    source.close()


@pytest.fixture
def verifier(remote: RemoteJwks) -> JwtAuthenticator:
    return JwtAuthenticator(remote, issuer=ISSUER, audience=AUDIENCE, clock=Clock())


def reason_of(verifier: JwtAuthenticator, token: str) -> str:
    with pytest.raises(AuthenticationFailed) as failure:
        authenticate(verifier, bearer(token))
    return failure.value.reason


def test_a_rotated_key_is_accepted_after_the_refresh_its_unknown_kid_triggers(
    jwks_server: JwksServer, verifier: JwtAuthenticator, keys: Keys, monotonic: Clock
) -> None:
    jwks_server.document = {"keys": [entry(keys.rsa_a, "k-a")]}
    assert authenticate(verifier, bearer(sign(keys.rsa_a, kid="k-a"))) is not None
    assert jwks_server.requests == 1  # the first token fetched the set

    jwks_server.document = {"keys": [entry(keys.rsa_b, "k-b"), entry(keys.rsa_a, "k-a")]}
    monotonic.advance(10)
    identity = authenticate(verifier, bearer(sign(keys.rsa_b, kid="k-b")))
    assert identity is not None and identity.subject == "alice"
    assert jwks_server.requests == 2
    assert authenticate(verifier, bearer(sign(keys.rsa_a, kid="k-a"))) is not None
    assert jwks_server.requests == 2  # known kids are served from the cache


def test_refreshes_on_unknown_kids_are_rate_limited(
    jwks_server: JwksServer, verifier: JwtAuthenticator, keys: Keys, monotonic: Clock
) -> None:
    jwks_server.document = {"keys": [entry(keys.rsa_a, "k-a")]}
    assert authenticate(verifier, bearer(sign(keys.rsa_a, kid="k-a"))) is not None
    for made_up in ("x1", "x2", "x3"):
        assert "unknown kid" in reason_of(verifier, sign(keys.rsa_a, kid=made_up))
    assert jwks_server.requests == 1  # within min_refresh_interval_s of the first fetch

    jwks_server.document = {"keys": [entry(keys.rsa_b, "k-b")]}
    monotonic.advance(9.9)
    assert "unknown kid" in reason_of(verifier, sign(keys.rsa_b, kid="k-b"))
    assert jwks_server.requests == 1
    monotonic.advance(0.1)
    assert authenticate(verifier, bearer(sign(keys.rsa_b, kid="k-b"))) is not None
    assert jwks_server.requests == 2


def test_a_flood_of_made_up_kids_fetches_at_most_once(
    jwks_server: JwksServer, verifier: JwtAuthenticator, keys: Keys
) -> None:
    jwks_server.document = {"keys": [entry(keys.rsa_a, "k-a")]}
    tokens = [sign(keys.rsa_a, kid=f"forged-{n}") for n in range(40)]

    async def flood() -> list[object]:
        return await asyncio.gather(
            *(verifier.authenticate(bearer(token), {}) for token in tokens),
            return_exceptions=True,
        )

    outcomes = asyncio.run(flood())
    assert all(isinstance(outcome, AuthenticationFailed) for outcome in outcomes)
    assert jwks_server.requests == 1


def test_a_failing_jwks_url_keeps_the_last_good_keys(
    jwks_server: JwksServer,
    verifier: JwtAuthenticator,
    remote: RemoteJwks,
    keys: Keys,
    monotonic: Clock,
    spawner: Spawner,
    caplog: pytest.LogCaptureFixture,
) -> None:
    jwks_server.document = {"keys": [entry(keys.rsa_a, "k-a")]}
    token = sign(keys.rsa_a, kid="k-a")
    assert authenticate(verifier, bearer(token)) is not None

    jwks_server.status = 503
    monotonic.advance(300)  # the TTL has run out: the next lookup refreshes in the background
    assert authenticate(verifier, bearer(token)) is not None  # served from the cached set
    with caplog.at_level(logging.WARNING, logger="gateway.identity.remote_jwks"):
        assert spawner.run() == 1
    assert jwks_server.requests == 2
    assert "HTTP 503; keeping the last good set (1 keys, fetched 300 s ago)" in caplog.text
    assert authenticate(verifier, bearer(token)) is not None

    jwks_server.stop()  # connection refused from now on
    monotonic.advance(10)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="gateway.identity.remote_jwks"):
        assert "unknown kid" in reason_of(verifier, sign(keys.rsa_b, kid="k-b"))
    assert "ConnectError" in caplog.text and "keeping the last good set" in caplog.text
    assert authenticate(verifier, bearer(token)) is not None
    assert remote.kids == ("k-a",)


def test_after_the_ttl_the_set_is_replaced_without_the_request_waiting(
    jwks_server: JwksServer,
    verifier: JwtAuthenticator,
    keys: Keys,
    monotonic: Clock,
    spawner: Spawner,
) -> None:
    jwks_server.document = {"keys": [entry(keys.rsa_a, "k-a")]}
    token_a = sign(keys.rsa_a, kid="k-a")
    assert authenticate(verifier, bearer(token_a)) is not None
    monotonic.advance(299)
    assert authenticate(verifier, bearer(token_a)) is not None
    assert spawner.pending == []  # still fresh

    jwks_server.document = {"keys": [entry(keys.rsa_b, "k-b")]}  # k-a withdrawn
    monotonic.advance(1)
    assert authenticate(verifier, bearer(token_a)) is not None  # stale, still served
    assert authenticate(verifier, bearer(token_a)) is not None
    assert spawner.run() == 1  # one background refresh, however many lookups
    assert "unknown kid" in reason_of(verifier, token_a)


def test_without_any_key_set_an_unreachable_jwks_is_an_outage_not_a_forgery(
    jwks_server: JwksServer, verifier: JwtAuthenticator, keys: Keys
) -> None:
    jwks_server.status = 500
    with pytest.raises(IdentityProviderUnavailable) as outage:
        authenticate(verifier, bearer(sign(keys.rsa_a, kid="k-a")))
    assert "no JWKS could be fetched" in outage.value.reason


def test_keys_unfit_to_verify_signatures_are_ignored(
    jwks_server: JwksServer,
    remote: RemoteJwks,
    keys: Keys,
    caplog: pytest.LogCaptureFixture,
) -> None:
    private_members = RSAAlgorithm.to_jwk(keys.rsa_b, as_dict=True)  # with "d", "p", "q"…
    leaked = {**private_members, "kid": "k-leaked", "key_ops": ["sign", "verify"]}
    jwks_server.document = {
        "keys": [
            entry(keys.rsa_a, "k-a"),
            {"kty": "oct", "kid": "k-oct", "k": "c2VjcmV0", "alg": "HS256"},
            entry(keys.rsa_a, "k-enc", use="enc"),
            entry(keys.rsa_a, "k-hs", alg="HS256"),
            entry(keys.rsa_a, "k-es", alg="ES256"),
            {**entry(keys.rsa_a, "k-sign-only"), "key_ops": ["sign"]},
            {"kty": "RSA", "kid": "k-broken", "n": "!!", "e": "AQAB"},
            {k: v for k, v in entry(keys.rsa_a, "unused").items() if k != "kid"},
            entry(keys.rsa_b, "k-a"),  # a duplicate kid: the first stays
            leaked,
        ]
    }
    with caplog.at_level(logging.WARNING, logger="gateway.identity.remote_jwks"):
        remote.refresh()
    assert remote.kids == ("k-a", "k-leaked")
    assert remote.key("k-a") is not None
    assert remote.key("k-a").public_numbers() == keys.rsa_a.public_key().public_numbers()  # type: ignore[union-attr]
    assert remote.key("k-leaked").public_numbers() == keys.rsa_b.public_key().public_numbers()  # type: ignore[union-attr]
    for said in (
        "'k-oct' ignored: symmetric key",
        "'k-enc' ignored: not a signature key",
        "'k-hs' ignored: alg 'HS256' is not an accepted",
        "'k-es' ignored: algorithm ES256 does not fit",
        "'k-broken' ignored: malformed RSA key",
        "'k-sign-only' ignored: key_ops does not allow 'verify'",
        "a key without a kid is ignored",
        "duplicate kid 'k-a'",
        "publishes the PRIVATE part of key 'k-leaked'",
    ):
        assert said in caplog.text


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"<html>", "not JSON"),
        (b'{"keys": "none"}', 'no "keys" list'),
        (b'{"keys": []}', "no usable signature key"),
        (b'{"keys": [' + b'{"kty": "oct"},' * 20_000 + b"{}]}", "exceeds"),
    ],
)
def test_a_document_that_is_not_a_usable_jwks_is_a_failed_fetch(
    jwks_server: JwksServer,
    remote: RemoteJwks,
    body: bytes,
    said: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    jwks_server.body = body
    with (
        caplog.at_level(logging.WARNING, logger="gateway.identity.remote_jwks"),
        pytest.raises(IdentityProviderUnavailable),
    ):
        remote.refresh()
    assert said in caplog.text


def test_only_http_urls_and_sane_timings_are_accepted() -> None:
    with pytest.raises(ValueError, match="http"):
        RemoteJwks("file:///etc/oathkeeper/jwks.json")
    with pytest.raises(ValueError, match="ttl_s"):
        RemoteJwks("http://127.0.0.1:1/jwks.json", ttl_s=0)
