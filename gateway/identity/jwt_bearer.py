"""``Authorization: Bearer <jwt>``: the embedded identity provider's tokens and Ory Oathkeeper's
``id_token`` mutator's, verified the same way against a :class:`KeySource`.

A token is accepted only if all of these hold, checked in this order (the first that fails is
the refusal's ``reason``):

1. it is at most ``max_token_chars`` long and a well-formed compact JWS (:mod:`.jws`);
2. its header names an accepted asymmetric ``alg`` (never ``none``, never HMAC: a verifier that
   holds public keys must not treat one as a shared secret) and a ``kid``, and has no ``crit``
   (no extension is understood here, so none may be required);
3. the key source knows the ``kid`` — if not, the source is refreshed once (on a worker thread,
   as that may fetch a URL) and asked again, so that a rotated key is picked up at once;
4. the key's type fits the algorithm, and the signature is good;
5. ``iss`` and ``aud`` are the configured ones, ``sub`` is a non-empty printable string, ``exp``
   is present and not passed, ``nbf`` and ``iat`` are not in the future — times with
   ``leeway_s`` for clock skew, read from the injected ``clock``.

Keys are only ever taken from the configured source: key material a token carries or points
to (``jwk``, ``jku``, ``x5u``, ``x5c`` header parameters) is ignored, so a forger cannot supply
the key that verifies the forgery. Verification of a token whose key is cached involves no I/O
and no key parsing.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import anyio.to_thread

from gateway.identity import jws
from gateway.identity.credentials import bearer_token
from gateway.identity.model import (
    JWT,
    AuthenticationFailed,
    Identity,
    KeySource,
    PublicKey,
)

DEFAULT_ALGORITHMS = ("RS256", "ES256", "EdDSA")
MAX_TOKEN_CHARS = 8192
"""Well above any real token (an Oathkeeper id_token with a session's extra claims is 1–2 KB)
and below common proxy header limits; longer ones are refused before anything is parsed."""
MAX_HEADER_CHARS = 1024
MAX_KID_CHARS = 256
MAX_SUBJECT_CHARS = 256


def _is_time(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class JwtAuthenticator:
    """Verifies bearer JWTs against ``keys`` for one ``issuer`` and ``audience``."""

    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str,
        leeway_s: float = 30,
        algorithms: Iterable[str] = DEFAULT_ALGORITHMS,
        clock: Callable[[], float] = time.time,
        max_token_chars: int = MAX_TOKEN_CHARS,
        max_header_chars: int = MAX_HEADER_CHARS,
    ) -> None:
        accepted = tuple(algorithms)
        refused = [name for name in accepted if name not in jws.SUPPORTED_ALGORITHMS]
        if refused or not accepted:
            raise ValueError(
                f"algorithms must be a non-empty selection of {sorted(jws.SUPPORTED_ALGORITHMS)} "
                f"(asymmetric only: HMAC and 'none' are never accepted), got {list(accepted)}"
            )
        if not issuer or not audience:
            raise ValueError("issuer and audience must be non-empty")
        if not (math.isfinite(leeway_s) and 0 <= leeway_s <= 300):
            raise ValueError(f"leeway_s must be between 0 and 300 seconds, got {leeway_s}")
        self._keys = keys
        self.issuer, self.audience, self.leeway_s = issuer, audience, float(leeway_s)
        self.algorithms = frozenset(accepted)
        self._clock = clock
        self._max_token_chars, self._max_header_chars = max_token_chars, max_header_chars
        self._fitting: dict[tuple[str, str], PublicKey] = {}
        """``(alg, kid)`` -> the key object last found to fit: the fit is checked once per key
        (keys are immutable; a rotated key is a new object), not per token. Bounded by the
        accepted algorithms times the keys the source knows — an unknown kid never gets here."""

    async def authenticate(
        self, headers: Mapping[str, str], cookies: Mapping[str, str]
    ) -> Identity | None:
        token = bearer_token(headers)
        if token is None:
            return None
        token_jws, algorithm, kid = self._read_header(token)
        key = self._keys.key(kid)
        if key is None:
            await anyio.to_thread.run_sync(self._keys.refresh)
            key = self._keys.key(kid)
            if key is None:
                raise AuthenticationFailed(f"unknown kid {kid!r} (also after a key refresh)")
        return self._verified(token_jws, algorithm, kid, key)

    def _read_header(self, token: str) -> tuple[jws.CompactJws, str, str]:
        if len(token) > self._max_token_chars:
            raise AuthenticationFailed(
                f"token is {len(token)} characters; at most {self._max_token_chars}"
            )
        token_jws = jws.split(token, max_header_chars=self._max_header_chars)
        header = token_jws.header
        algorithm = header.get("alg")
        if not isinstance(algorithm, str):
            raise AuthenticationFailed("token header has no alg")
        if algorithm.lower() == "none":
            raise AuthenticationFailed("alg 'none' refused: the token is unsigned")
        if algorithm.upper().startswith("HS"):
            raise AuthenticationFailed(
                f"HMAC alg {algorithm[:16]!r} refused: a public key is not a shared secret"
            )
        if algorithm not in self.algorithms:
            raise AuthenticationFailed(f"alg {algorithm[:16]!r} is not accepted")
        if "crit" in header:
            raise AuthenticationFailed("token header has 'crit': no extension is understood")
        kid = header.get("kid")
        if kid is None:
            raise AuthenticationFailed("token header has no kid")
        if not isinstance(kid, str) or not kid or len(kid) > MAX_KID_CHARS:
            raise AuthenticationFailed("token header has a malformed kid")
        return token_jws, algorithm, kid

    def _verified(
        self, token_jws: jws.CompactJws, algorithm: str, kid: str, key: PublicKey
    ) -> Identity:
        if self._fitting.get((algorithm, kid)) is not key:
            jws.check_key_fits(algorithm, key, kid)
            self._fitting[(algorithm, kid)] = key
        jws.verify_signature(token_jws, algorithm, key)
        claims = token_jws.payload()
        now = self._clock()
        subject = claims.get("sub")
        if subject is None:
            raise AuthenticationFailed("token has no sub")
        if (
            not isinstance(subject, str)
            or not subject
            or len(subject) > MAX_SUBJECT_CHARS
            or not subject.isprintable()
        ):
            raise AuthenticationFailed("token's sub is not a non-empty printable string")
        expires = claims.get("exp")
        if expires is None:
            raise AuthenticationFailed("token has no exp")
        if not _is_time(expires):
            raise AuthenticationFailed("token's exp is not a number")
        if expires <= now - self.leeway_s:
            raise AuthenticationFailed(
                f"token expired {now - expires:.0f} s ago (leeway {self.leeway_s:g} s)"
            )
        not_before = claims.get("nbf")
        if not_before is not None and (
            not _is_time(not_before) or not_before > now + self.leeway_s
        ):
            raise AuthenticationFailed("token is not yet valid (nbf)")
        issued = claims.get("iat")
        if issued is not None and (not _is_time(issued) or issued > now + self.leeway_s):
            raise AuthenticationFailed("token is issued in the future (iat)")
        issuer = claims.get("iss")
        if issuer is None:
            raise AuthenticationFailed("token has no iss")
        if issuer != self.issuer:
            raise AuthenticationFailed(f"wrong issuer: expected {self.issuer!r}")
        audience = claims.get("aud")
        if audience is None:
            raise AuthenticationFailed("token has no aud")
        audiences = [audience] if isinstance(audience, str) else audience
        if not isinstance(audiences, list) or self.audience not in audiences:
            raise AuthenticationFailed(f"wrong audience: expected {self.audience!r}")
        return Identity(
            subject=subject,
            issuer=issuer,
            method=JWT,
            expires_at=int(expires),
            claims=claims,
        )
