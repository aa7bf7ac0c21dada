"""The embedded identity provider: issues the platform's own tokens and publishes their keys.

With no Ory configured (``make demo``, tests), the platform vouches for its users itself:
``quantvista token NAME`` calls :func:`issue_token` with the data directory's
:class:`~gateway.identity.local_keys.LocalKeyPair`, and the gateway serves :func:`jwks` at
``/.well-known/jwks.json``. Its tokens have the shape of Ory Oathkeeper's ``id_token`` (``iss``,
``sub``, ``aud``, ``iat``, ``nbf``, ``exp``, ``jti``, header ``kid``), so both modes are verified
by the very same :class:`~gateway.identity.jwt_bearer.JwtAuthenticator` — fed by the key pair
directly, or by :class:`~gateway.identity.remote_jwks.RemoteJwks` reading either JWKS.

**RS256 (RSA-2048), not EdDSA.** Verification is the hot path (every request), signing is rare
(a token per login): measured here, an RS256 signature verifies in ~30–40 µs and an Ed25519 one
in ~140–220 µs (OpenSSL through ``cryptography``), while signing costs the reverse (~0.35 ms vs
~0.05 ms). RS256 with a 2048-bit key is also what Oathkeeper's ``credentials generate --alg
RS256`` makes by default, so the embedded and the Ory mode exercise one algorithm, and every
JWT library and gateway verifies it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import jwt

from gateway.identity.jwk import public_jwk
from gateway.identity.local_keys import ALGORITHM, LocalKeyPair

DEFAULT_ISSUER = "quantvista-embedded"
DEFAULT_AUDIENCE = "quantvista-gateway"
REGISTERED_CLAIMS = frozenset({"iss", "sub", "aud", "iat", "nbf", "exp", "jti"})
MAX_TTL_S = 30 * 24 * 3600


def issue_token(
    keys: LocalKeyPair,
    subject: str,
    *,
    ttl_s: float,
    issuer: str = DEFAULT_ISSUER,
    audience: str = DEFAULT_AUDIENCE,
    extra_claims: Mapping[str, Any] | None = None,
    clock: Callable[[], float] = time.time,
) -> str:
    """A signed RS256 JWT for ``subject``, valid from now for ``ttl_s`` seconds.

    ``extra_claims`` (roles, accounts, a display name…) are added but can never replace a
    registered claim: a caller must not be able to mint a token for another issuer or with
    another lifetime by way of a dict.
    """
    if not subject or not subject.isprintable() or subject != subject.strip():
        raise ValueError("subject must be a non-empty printable string without outer blanks")
    if not 0 < ttl_s <= MAX_TTL_S:
        raise ValueError(f"ttl_s must be in (0, {MAX_TTL_S}], got {ttl_s}")
    extra = dict(extra_claims or {})
    clashing = REGISTERED_CLAIMS & extra.keys()
    if clashing:
        raise ValueError(f"extra_claims may not set registered claims {sorted(clashing)}")
    kid, private_key = keys.signing_key()
    now = int(clock())
    claims = {
        **extra,
        "iss": issuer,
        "sub": subject,
        "aud": audience,
        "iat": now,
        "nbf": now,
        "exp": now + max(1, round(ttl_s)),
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, private_key, algorithm=ALGORITHM, headers={"kid": kid})


def jwks(keys: LocalKeyPair) -> dict[str, list[dict[str, str]]]:
    """The public JWKS document of ``keys``: every verification key (current first), each
    with ``kid``, ``alg``, ``use: sig``. Holds no private material; safe to serve to anyone."""
    return {
        "keys": [
            {**public_jwk(key), "kid": kid, "alg": ALGORITHM, "use": "sig"}
            for kid, key in keys.public_keys().items()
        ]
    }
