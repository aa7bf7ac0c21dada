"""Who a request proves to be, and the two ways proving it can fail.

An :class:`Identity` is only ever built by an :class:`Authenticator` from credentials it has
verified (a signature checked against a trusted key, or a session the identity provider
confirmed): it is what the log records as the actor (principle 10 — who acted is proven, never
asserted). Nothing in the gateway builds one from a header a client merely states.

Two failures are kept apart because the gateway answers them differently:
:class:`AuthenticationFailed` (the client presented bad credentials: "unauthenticated") and
:class:`IdentityProviderUnavailable` (the credentials could not be checked because Kratos or the
JWKS endpoint did not answer: "unavailable, retry" — telling a client with a good session that
it is logged out would be wrong).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol, TypeAlias

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

PublicKey: TypeAlias = RSAPublicKey | EllipticCurvePublicKey | Ed25519PublicKey | Ed448PublicKey
"""A parsed public verification key (a ``cryptography`` object, never PEM text or a JWK dict:
parsing is done once, when a key source loads its keys)."""

JWT = "jwt"
KRATOS_SESSION = "kratos-session"


def _frozen(value: Any) -> Any:
    """A read-only copy of a JSON value: objects become mapping proxies, arrays tuples.

    Plain JSON types are tested first with exact type checks: this runs for every claim of
    every verified token, and ``isinstance(x, Mapping)`` goes through the ABC machinery.
    """
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    if kind is dict or isinstance(value, Mapping):
        return MappingProxyType({key: _frozen(item) for key, item in value.items()})
    if kind is list or kind is tuple:
        return tuple(_frozen(item) for item in value)
    return value


@dataclass(frozen=True)
class Identity:
    """A verified subject.

    ``subject``: the JWT ``sub`` (embedded identity provider, Oathkeeper) or the Kratos identity
    id; ``issuer``: who vouched for it (the JWT ``iss``, or the Kratos public URL); ``method``:
    ``"jwt"`` or ``"kratos-session"``; ``expires_at``: when the credential stops being valid, UTC
    seconds (``None`` when the provider did not say); ``claims``: everything else the provider
    asserted, read-only all the way down (nested objects too), so no code downstream can alter
    what was verified.
    """

    subject: str
    issuer: str
    method: str
    expires_at: int | None
    claims: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "claims", _frozen(self.claims))


class AuthenticationFailed(Exception):
    """The request presented credentials, and they are not good.

    ``reason`` says what was wrong (expired, wrong audience, unknown kid, bad signature…) for the
    log. ``str()`` of the exception is deliberately the generic :attr:`public_message`, so that
    code which turns an exception into a client response cannot leak token contents or help an
    attacker tune a forgery.
    """

    public_message = "invalid or expired credentials"

    def __init__(self, reason: str) -> None:
        super().__init__(self.public_message)
        self.reason = reason

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reason={self.reason!r})"


class IdentityProviderUnavailable(Exception):
    """The credentials could not be checked: the identity provider (Kratos, or the JWKS URL
    before any key set was ever fetched) did not answer, timed out, or answered nonsense.
    The gateway answers UNAVAILABLE (retry), not "unauthenticated". ``reason`` is for the log."""

    public_message = "the identity provider is unavailable; retry shortly"

    def __init__(self, reason: str) -> None:
        super().__init__(self.public_message)
        self.reason = reason

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reason={self.reason!r})"


class Authenticator(Protocol):
    """Port: turns a request's credentials into a verified :class:`Identity`.

    Returns ``None`` when the request carries no credentials of this adapter's kind (anonymous,
    as far as this adapter is concerned); raises :class:`AuthenticationFailed` when it carries
    bad ones, :class:`IdentityProviderUnavailable` when they cannot be checked now.
    ``headers`` should be case-insensitive (Starlette's are); plain dicts work too.
    """

    async def authenticate(
        self, headers: Mapping[str, str], cookies: Mapping[str, str]
    ) -> Identity | None: ...


class KeySource(Protocol):
    """Port: the public keys a JWT may be signed with, by key id.

    ``key`` is the hot path: memory only, never blocking I/O. ``refresh`` may block (it reads
    files or fetches a URL) and is called on a worker thread when a token names a key id that
    ``key`` does not know; a source may rate-limit it (then it returns without fetching).
    """

    def key(self, kid: str) -> PublicKey | None: ...

    def refresh(self) -> None: ...
