"""Authentication: who a request proves to be (principle 10 — proven, never asserted).

One port, :class:`Authenticator`, and its adapters:

* :class:`JwtAuthenticator` — ``Authorization: Bearer <jwt>``, verified against a
  :class:`KeySource`: :class:`LocalKeyPair` (the embedded identity provider's keys under the
  data directory) or :class:`RemoteJwks` (Ory Oathkeeper's JWKS URL, or the gateway's own);
* :class:`KratosSessionAuthenticator` — an Ory Kratos session token or cookie;
* :class:`ChainAuthenticator` — the first that finds credentials decides.

:mod:`gateway.identity.embedded` issues the embedded provider's tokens and its JWKS document.
``KratosSessionAuthenticator`` is imported on first use: ``ory-client`` takes seconds to import
and the embedded mode never needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gateway.identity.chain import ChainAuthenticator
from gateway.identity.embedded import DEFAULT_AUDIENCE, DEFAULT_ISSUER, issue_token, jwks
from gateway.identity.jwt_bearer import JwtAuthenticator
from gateway.identity.local_keys import InsecureKeyFile, KeyDirectoryError, LocalKeyPair
from gateway.identity.model import (
    AuthenticationFailed,
    Authenticator,
    Identity,
    IdentityProviderUnavailable,
    KeySource,
    PublicKey,
)
from gateway.identity.remote_jwks import RemoteJwks

if TYPE_CHECKING:
    from gateway.identity.kratos import KratosSessionAuthenticator

__all__ = [
    "DEFAULT_AUDIENCE",
    "DEFAULT_ISSUER",
    "AuthenticationFailed",
    "Authenticator",
    "ChainAuthenticator",
    "Identity",
    "IdentityProviderUnavailable",
    "InsecureKeyFile",
    "JwtAuthenticator",
    "KeyDirectoryError",
    "KeySource",
    "KratosSessionAuthenticator",
    "LocalKeyPair",
    "PublicKey",
    "RemoteJwks",
    "issue_token",
    "jwks",
]


def __getattr__(name: str) -> Any:
    if name == "KratosSessionAuthenticator":
        from gateway.identity.kratos import KratosSessionAuthenticator

        return KratosSessionAuthenticator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
