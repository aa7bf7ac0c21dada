"""The embedded identity provider: the tokens it issues, the JWKS it publishes, and that both
are verified by the same code that verifies Oathkeeper's tokens."""

from __future__ import annotations

import json
from pathlib import Path

import jwt
import pytest

from gateway.identity import (
    DEFAULT_AUDIENCE,
    DEFAULT_ISSUER,
    JwtAuthenticator,
    LocalKeyPair,
    RemoteJwks,
    issue_token,
    jwks,
)
from tests.gateway.identity.kit import NOW, Clock, JwksServer, authenticate, bearer


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> LocalKeyPair:
    pair = LocalKeyPair(tmp_path_factory.mktemp("identity"))
    pair.rotate()  # two keys: the JWKS lists both
    return pair


def test_a_token_carries_kid_and_every_registered_claim(keys: LocalKeyPair) -> None:
    token = issue_token(
        keys, "alice", ttl_s=900, extra_claims={"roles": ["trader"]}, clock=lambda: NOW + 0.7
    )
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "RS256", "kid": keys.signing_key()[0], "typ": "JWT"}
    claims = jwt.decode(token, options={"verify_signature": False})
    now = int(NOW)
    assert claims == {
        "roles": ["trader"],
        "iss": DEFAULT_ISSUER,
        "sub": "alice",
        "aud": DEFAULT_AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + 900,
        "jti": claims["jti"],
    }
    second = jwt.decode(issue_token(keys, "alice", ttl_s=900), options={"verify_signature": False})
    assert second["jti"] != claims["jti"]


def test_extra_claims_cannot_replace_a_registered_one(keys: LocalKeyPair) -> None:
    for claim in ("sub", "iss", "aud", "exp", "nbf", "iat", "jti"):
        with pytest.raises(ValueError, match="registered claims"):
            issue_token(keys, "alice", ttl_s=60, extra_claims={claim: "x"})


@pytest.mark.parametrize(
    ("subject", "ttl_s"), [("", 60), (" alice", 60), ("al\nice", 60), ("alice", 0), ("a", 1e9)]
)
def test_nonsense_is_not_signed(keys: LocalKeyPair, subject: str, ttl_s: float) -> None:
    with pytest.raises(ValueError):
        issue_token(keys, subject, ttl_s=ttl_s)


def test_the_jwks_publishes_every_public_key_and_nothing_private(keys: LocalKeyPair) -> None:
    document = jwks(keys)
    assert [entry["kid"] for entry in document["keys"]] == list(keys.public_keys())
    for entry in document["keys"]:
        assert set(entry) == {"kty", "n", "e", "kid", "alg", "use"}
        assert (entry["kty"], entry["alg"], entry["use"]) == ("RSA", "RS256", "sig")
    assert json.loads(json.dumps(document)) == document


def test_the_embedded_token_verifies_from_the_key_pair_and_from_its_served_jwks(
    keys: LocalKeyPair, jwks_server: JwksServer
) -> None:
    """The embedded mode and the Oathkeeper mode go through the same verifier: here the
    embedded provider's JWKS is fetched over HTTP exactly as Oathkeeper's would be."""
    token = issue_token(keys, "alice", ttl_s=600, clock=lambda: NOW)
    jwks_server.document = jwks(keys)
    remote = RemoteJwks(jwks_server.url)
    try:
        for source in (keys, remote):
            verifier = JwtAuthenticator(
                source, issuer=DEFAULT_ISSUER, audience=DEFAULT_AUDIENCE, clock=Clock()
            )
            identity = authenticate(verifier, bearer(token))
            assert identity is not None
            assert (identity.subject, identity.issuer, identity.method) == (
                "alice",
                DEFAULT_ISSUER,
                "jwt",
            )
    finally:
        remote.close()


def test_the_key_directory_can_live_anywhere(tmp_path: Path) -> None:
    pair = LocalKeyPair(tmp_path / "data" / "identity")
    assert jwks(pair)["keys"][0]["kid"] == pair.signing_key()[0]
