"""Bearer JWTs: a valid token proves its subject; every kind of bad token is refused with the
reason that names what was wrong — and never with the token's contents."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from cryptography.hazmat.primitives import serialization
from jwt.algorithms import RSAAlgorithm

from gateway.identity import AuthenticationFailed, Identity, JwtAuthenticator
from tests.gateway.identity.kit import (
    AUDIENCE,
    ISSUER,
    NOW,
    Clock,
    Keys,
    StaticKeys,
    authenticate,
    b64url,
    bearer,
    claims,
    compact,
    sign,
)


@pytest.fixture
def source(keys: Keys) -> StaticKeys:
    return StaticKeys(
        {
            "k-a": keys.rsa_a.public_key(),
            "k-small": keys.rsa_small.public_key(),
            "k-ec": keys.ec_p256.public_key(),
            "k-ec384": keys.ec_p384.public_key(),
            "k-ed": keys.ed25519.public_key(),
        }
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verifier(source: StaticKeys, clock: Clock) -> JwtAuthenticator:
    return JwtAuthenticator(source, issuer=ISSUER, audience=AUDIENCE, leeway_s=30, clock=clock)


def refused(verifier: JwtAuthenticator, token: str) -> str:
    """The reason ``token`` is refused (and a check that the token is not in it)."""
    with pytest.raises(AuthenticationFailed) as failure:
        authenticate(verifier, bearer(token))
    assert token not in failure.value.reason
    assert str(failure.value) == AuthenticationFailed.public_message
    return failure.value.reason


# -- accepted ----------------------------------------------------------------------------------


def test_a_valid_token_proves_its_subject(verifier: JwtAuthenticator, keys: Keys) -> None:
    identity = authenticate(verifier, bearer(sign(keys.rsa_a, claims(role="trader"))))
    assert identity == Identity(
        subject="alice",
        issuer=ISSUER,
        method="jwt",
        expires_at=int(NOW) + 600,
        claims=claims(role="trader"),
    )
    assert identity is not None and identity.claims["role"] == "trader"


def test_the_audience_may_be_one_of_a_list(verifier: JwtAuthenticator, keys: Keys) -> None:
    token = sign(keys.rsa_a, claims(aud=["other-service", AUDIENCE]))
    assert authenticate(verifier, bearer(token)) is not None


@pytest.mark.parametrize(
    ("key_name", "algorithm", "kid"),
    [("ec_p256", "ES256", "k-ec"), ("ed25519", "EdDSA", "k-ed"), ("rsa_a", "RS256", "k-a")],
)
def test_each_default_algorithm_verifies_with_its_own_kind_of_key(
    verifier: JwtAuthenticator, keys: Keys, key_name: str, algorithm: str, kid: str
) -> None:
    token = sign(getattr(keys, key_name), algorithm=algorithm, kid=kid)
    identity = authenticate(verifier, bearer(token))
    assert identity is not None and identity.subject == "alice"


def test_the_scheme_is_case_insensitive_and_a_plain_dict_may_capitalise_the_header(
    verifier: JwtAuthenticator, keys: Keys
) -> None:
    token = sign(keys.rsa_a)
    assert authenticate(verifier, {"Authorization": f"bearer {token}"}) is not None


def test_without_a_bearer_token_the_request_is_anonymous_to_this_adapter(
    verifier: JwtAuthenticator,
) -> None:
    assert authenticate(verifier, {}) is None
    assert authenticate(verifier, {"authorization": "Basic YWxpY2U6c2VjcmV0"}) is None


# -- time --------------------------------------------------------------------------------------


def test_an_expired_token_is_refused_beyond_the_leeway_and_accepted_within_it(
    verifier: JwtAuthenticator, keys: Keys
) -> None:
    just_within = sign(keys.rsa_a, claims(exp=int(NOW) - 29))
    assert authenticate(verifier, bearer(just_within)) is not None
    at_the_edge = sign(keys.rsa_a, claims(exp=int(NOW) - 30))
    assert "expired" in refused(verifier, at_the_edge)
    long_gone = sign(keys.rsa_a, claims(exp=int(NOW) - 3600))
    assert refused(verifier, long_gone) == "token expired 3600 s ago (leeway 30 s)"


def test_expiry_follows_the_injected_clock(
    verifier: JwtAuthenticator, keys: Keys, clock: Clock
) -> None:
    token = sign(keys.rsa_a)  # exp = NOW + 600
    assert authenticate(verifier, bearer(token)) is not None
    clock.advance(600 + 30)
    assert "expired" in refused(verifier, token)


def test_a_token_not_yet_valid_is_refused_beyond_the_leeway(
    verifier: JwtAuthenticator, keys: Keys
) -> None:
    assert authenticate(verifier, bearer(sign(keys.rsa_a, claims(nbf=int(NOW) + 30)))) is not None
    reason = refused(verifier, sign(keys.rsa_a, claims(nbf=int(NOW) + 31)))
    assert reason == "token is not yet valid (nbf)"


def test_a_token_issued_in_the_future_is_refused(verifier: JwtAuthenticator, keys: Keys) -> None:
    reason = refused(verifier, sign(keys.rsa_a, claims(iat=int(NOW) + 3600)))
    assert reason == "token is issued in the future (iat)"


# -- issuer, audience, required claims ---------------------------------------------------------


def test_a_token_from_another_issuer_is_refused(verifier: JwtAuthenticator, keys: Keys) -> None:
    reason = refused(verifier, sign(keys.rsa_a, claims(iss="https://evil.example/")))
    assert reason == f"wrong issuer: expected {ISSUER!r}"
    assert refused(verifier, sign(keys.rsa_a, claims(iss=None))) == "token has no iss"


def test_a_token_for_another_audience_is_refused(verifier: JwtAuthenticator, keys: Keys) -> None:
    reason = refused(verifier, sign(keys.rsa_a, claims(aud="billing-service")))
    assert reason == f"wrong audience: expected {AUDIENCE!r}"
    assert "wrong audience" in refused(verifier, sign(keys.rsa_a, claims(aud=["a", "b"])))
    assert refused(verifier, sign(keys.rsa_a, claims(aud=None))) == "token has no aud"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"sub": None}, "token has no sub"),
        ({"exp": None}, "token has no exp"),
        ({"sub": ""}, "token's sub is not a non-empty printable string"),
        ({"sub": 42}, "token's sub is not a non-empty printable string"),
        ({"sub": "alice\nadmin"}, "token's sub is not a non-empty printable string"),
        ({"sub": "a" * 257}, "token's sub is not a non-empty printable string"),
        ({"exp": "9999999999"}, "token's exp is not a number"),
        ({"exp": True}, "token's exp is not a number"),
        ({"nbf": "yesterday"}, "token is not yet valid (nbf)"),
    ],
)
def test_missing_or_mistyped_claims_are_refused(
    verifier: JwtAuthenticator, keys: Keys, overrides: dict[str, object], reason: str
) -> None:
    assert refused(verifier, sign(keys.rsa_a, claims(**overrides))) == reason


def test_an_infinite_or_nan_expiry_is_refused(verifier: JwtAuthenticator, keys: Keys) -> None:
    for literal in (b"1e400", b"NaN", b"Infinity"):
        payload = json.dumps(claims(exp=0)).encode().replace(b'"exp": 0', b'"exp": ' + literal)
        header = {"alg": "RS256", "kid": "k-a", "typ": "JWT"}
        unsigned = compact(header, payload, b"")
        signing_input = unsigned.rsplit(".", 1)[0].encode()
        signature = RSAAlgorithm(RSAAlgorithm.SHA256).sign(signing_input, keys.rsa_a)
        reason = refused(verifier, unsigned + b64url(signature))
        assert reason in ("token's exp is not a number", "malformed token: payload is not JSON")


# -- keys --------------------------------------------------------------------------------------


def test_an_unknown_kid_is_refused_after_one_refresh_of_the_key_source(
    verifier: JwtAuthenticator, source: StaticKeys, keys: Keys
) -> None:
    assert refused(verifier, sign(keys.rsa_b, kid="k-b")) == (
        "unknown kid 'k-b' (also after a key refresh)"
    )
    assert source.refreshes == 1


def test_a_kid_the_refresh_brings_is_accepted(
    verifier: JwtAuthenticator, source: StaticKeys, keys: Keys
) -> None:
    source.on_refresh = lambda: source.keys.update({"k-b": keys.rsa_b.public_key()})
    assert authenticate(verifier, bearer(sign(keys.rsa_b, kid="k-b"))) is not None
    assert authenticate(verifier, bearer(sign(keys.rsa_b, kid="k-b"))) is not None
    assert source.refreshes == 1  # the second token found the key cached


def test_a_token_without_kid_is_refused(verifier: JwtAuthenticator, keys: Keys) -> None:
    assert refused(verifier, sign(keys.rsa_a, kid=None)) == "token header has no kid"


def test_a_key_of_another_family_than_the_algorithm_is_refused(
    verifier: JwtAuthenticator, keys: Keys
) -> None:
    reason = refused(verifier, sign(keys.ec_p256, algorithm="ES256", kid="k-a"))
    assert reason == "algorithm ES256 does not fit key 'k-a' (RSAPublicKey)"
    wrong_curve = compact({"alg": "ES256", "kid": "k-ec384"}, claims(), b"\x01" * 64)
    reason = refused(verifier, wrong_curve)
    assert reason == "algorithm ES256 does not fit key 'k-ec384''s curve"


@pytest.mark.filterwarnings("ignore:The RSA key is 1024 bits")
def test_an_rsa_key_under_2048_bits_is_refused(verifier: JwtAuthenticator, keys: Keys) -> None:
    reason = refused(verifier, sign(keys.rsa_small, kid="k-small"))
    assert reason == "key 'k-small' is RSA-1024; at least 2048"


# -- forged and malformed tokens ---------------------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_an_unsigned_token_is_refused(verifier: JwtAuthenticator, alg: str) -> None:
    token = compact({"alg": alg, "kid": "k-a"}, claims(), b"")
    assert refused(verifier, token) == "alg 'none' refused: the token is unsigned"


def _hs256(secret: bytes) -> str:
    """An HS256 token whose HMAC key is ``secret`` — the algorithm-confusion forgery."""
    unsigned = compact({"alg": "HS256", "kid": "k-a", "typ": "JWT"}, claims(sub="mallory"), b"")
    signing_input = unsigned.rsplit(".", 1)[0].encode()
    return unsigned + b64url(hmac.new(secret, signing_input, hashlib.sha256).digest())


def test_hs256_signed_with_the_public_key_in_pem_form_is_refused(
    verifier: JwtAuthenticator, keys: Keys
) -> None:
    pem = keys.rsa_a.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    reason = refused(verifier, _hs256(pem))
    assert reason == "HMAC alg 'HS256' refused: a public key is not a shared secret"


def test_hs256_signed_with_the_public_key_in_jwk_form_is_refused(
    verifier: JwtAuthenticator, keys: Keys
) -> None:
    jwk = RSAAlgorithm.to_jwk(keys.rsa_a.public_key()).encode()
    assert "HMAC" in refused(verifier, _hs256(jwk))


def test_hmac_algorithms_cannot_even_be_configured(source: StaticKeys) -> None:
    for algorithms in (("HS256",), ("RS256", "HS512"), ("none",), ()):
        with pytest.raises(ValueError, match="asymmetric only"):
            JwtAuthenticator(source, issuer=ISSUER, audience=AUDIENCE, algorithms=algorithms)


def test_an_algorithm_outside_the_configured_ones_is_refused(
    source: StaticKeys, keys: Keys
) -> None:
    only_rs256 = JwtAuthenticator(source, issuer=ISSUER, audience=AUDIENCE, algorithms=["RS256"])
    assert refused(only_rs256, sign(keys.ec_p256, algorithm="ES256", kid="k-ec")) == (
        "alg 'ES256' is not accepted"
    )
    assert refused(only_rs256, sign(keys.rsa_a, algorithm="RS512")) == "alg 'RS512' is not accepted"


def test_a_tampered_payload_is_refused(verifier: JwtAuthenticator, keys: Keys) -> None:
    header, _, signature = sign(keys.rsa_a).split(".")
    forged_payload = b64url(json.dumps(claims(sub="admin")).encode())
    assert refused(verifier, f"{header}.{forged_payload}.{signature}") == "bad signature"


def test_a_tampered_signature_is_refused(verifier: JwtAuthenticator, keys: Keys) -> None:
    header, payload, signature = sign(keys.rsa_a).split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    assert refused(verifier, f"{header}.{payload}.{flipped}") == "bad signature"
    assert refused(verifier, f"{header}.{payload}.") == "bad signature"


def test_a_header_with_crit_is_refused(verifier: JwtAuthenticator, keys: Keys) -> None:
    token = sign(keys.rsa_a, headers={"crit": ["exp"]})
    assert refused(verifier, token) == "token header has 'crit': no extension is understood"


@pytest.mark.parametrize(
    "garbage",
    [
        "not-a-jwt",
        "a.b",
        "a.b.c.d",
        "!!!.e30.e30",
        "e30=.e30.e30",  # padded
        "eyJhbGciOiJSUzI1NiJ9x.e30.e30",  # 4n+1 characters
        b64url(b"not json") + ".e30.e30",
        b64url(b"[1, 2]") + ".e30.e30",
        b64url(b'{"kid": "k-a"}') + ".e30.e30",  # no alg
        b64url(b'{"alg": 256, "kid": "k-a"}') + ".e30.e30",
        b64url(b'{"alg": "RS256", "kid": 7}') + ".e30.e30",
        "eyJhbGciOiJSUzI1NiIsImtpZCI6ImstYSJ9.e30.e31",  # non-canonical base64url signature
        "\u00e9" * 10,
    ],
)
def test_garbage_is_refused_as_malformed(verifier: JwtAuthenticator, garbage: str) -> None:
    reason = refused(verifier, garbage)
    assert reason.startswith(("malformed token", "token header has", "token header has no"))


def test_a_bearer_without_a_token_is_refused(verifier: JwtAuthenticator) -> None:
    with pytest.raises(AuthenticationFailed, match="invalid or expired") as failure:
        authenticate(verifier, {"authorization": "Bearer   "})
    assert failure.value.reason == "Authorization: Bearer without a token"


def test_a_huge_header_is_refused_before_it_is_parsed(
    verifier: JwtAuthenticator, keys: Keys
) -> None:
    padded = sign(keys.rsa_a, headers={"x": "y" * 4000})
    assert refused(verifier, padded).startswith("token header is ")
    assert refused(verifier, padded).endswith("characters; at most 1024")
    huge = "a" * 1_000_000
    assert refused(verifier, huge) == "token is 1000000 characters; at most 8192"


def test_a_payload_nested_deeper_than_the_parser_goes_is_refused(
    verifier: JwtAuthenticator, keys: Keys
) -> None:
    deep = b'{"sub": "alice", "x": ' + b"[" * 2000 + b"]" * 2000 + b"}"
    unsigned = compact({"alg": "RS256", "kid": "k-a"}, deep, b"")
    signature = RSAAlgorithm(RSAAlgorithm.SHA256).sign(
        unsigned.rsplit(".", 1)[0].encode(), keys.rsa_a
    )
    assert refused(verifier, unsigned + b64url(signature)) == "malformed token: payload is not JSON"


def test_nonsense_settings_are_refused(source: StaticKeys) -> None:
    with pytest.raises(ValueError, match="leeway"):
        JwtAuthenticator(source, issuer=ISSUER, audience=AUDIENCE, leeway_s=-1)
    with pytest.raises(ValueError, match="non-empty"):
        JwtAuthenticator(source, issuer="", audience=AUDIENCE)
