"""Ory Kratos sessions: the ``X-Session-Token`` header (API clients) or the
``ory_kratos_session`` cookie (browsers), checked with ``ory-client``'s
``FrontendApi.to_session`` (``GET /sessions/whoami`` on Kratos's public API).

* ``ory-client`` is synchronous (urllib3), so the call runs on a worker thread; it has a
  connect and a read timeout, and ``retries`` (1) retry — a pooled keep-alive connection the
  server has just closed is the common, harmless case — so a hung Kratos holds a request for
  at most ``(connect + read) × (1 + retries)`` seconds (6 s with the defaults).
* Only the session cookie is forwarded to Kratos (as ``Cookie: <name>=<value>``), never the
  request's other cookies; the header token is preferred when both are present.
* A confirmed session is cached for ``min(cache_ttl_s, until the session expires)`` in a bounded
  LRU keyed by a SHA-256 of the credential (the raw token is never a dictionary key, never
  logged). A session revoked in Kratos is therefore still accepted here for up to
  ``cache_ttl_s`` (30 s by default): the price of not asking Kratos on every request.
  Refusals are not cached.
* Kratos answering 401 (no such session, expired, revoked) or 403 (the session's AAL is too
  low), or a session that is inactive/expired/without identity → :class:`AuthenticationFailed`.
  Kratos unreachable, timing out, answering 5xx / 404 / 429 or an unreadable body →
  :class:`IdentityProviderUnavailable` (the gateway answers UNAVAILABLE: a user with a good
  session must not be told they are logged out because Kratos is down).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import anyio.to_thread
import urllib3.exceptions
from ory_client.api.frontend_api import FrontendApi
from ory_client.api_client import ApiClient
from ory_client.configuration import Configuration
from ory_client.exceptions import ApiException
from ory_client.models.session import Session

from gateway.identity.cache import ExpiringLru
from gateway.identity.credentials import header_value
from gateway.identity.model import (
    KRATOS_SESSION,
    AuthenticationFailed,
    Identity,
    IdentityProviderUnavailable,
)

SESSION_TOKEN_HEADER = "x-session-token"
DEFAULT_COOKIE_NAME = "ory_kratos_session"
MAX_CREDENTIAL_CHARS = 4096
_CREDENTIAL = re.compile(r"[\x21-\x2b\x2d-\x3a\x3c-\x7e]+")
"""Visible ASCII without ``,`` and ``;``: nothing that could smuggle a second cookie or header
into the request to Kratos."""


def _kratos_error(error: ApiException) -> str:
    """``HTTP 401 session_inactive`` from Kratos's error body (``{"error": {"id": …}}``)."""
    detail = ""
    try:
        body = json.loads(error.body or "")
        detail = str(body["error"].get("id") or body["error"].get("reason") or "")[:64]
    except (ValueError, TypeError, KeyError, AttributeError):
        pass
    return f"HTTP {error.status}" + (f" {detail}" if detail else "")


class KratosSessionAuthenticator:
    """Authenticates Kratos sessions against the public API at ``public_url``."""

    def __init__(
        self,
        public_url: str,
        *,
        cache_ttl_s: float = 30,
        cache_size: int = 10_000,
        connect_timeout_s: float = 1.0,
        read_timeout_s: float = 2.0,
        retries: int = 1,
        cookie_name: str = DEFAULT_COOKIE_NAME,
        issuer: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not public_url.startswith(("http://", "https://")):
            raise ValueError(f"the Kratos public URL must be http(s), got {public_url!r}")
        if not (math.isfinite(cache_ttl_s) and cache_ttl_s >= 0):
            raise ValueError(f"cache_ttl_s must be >= 0, got {cache_ttl_s}")
        if connect_timeout_s <= 0 or read_timeout_s <= 0:
            raise ValueError("timeouts must be > 0")
        self.public_url = public_url.rstrip("/")
        self.issuer = issuer or self.public_url
        self.cookie_name = cookie_name
        self.cache_ttl_s = cache_ttl_s
        self._timeouts = (connect_timeout_s, read_timeout_s)
        self._api = FrontendApi(ApiClient(Configuration(host=self.public_url, retries=retries)))
        self._cache: ExpiringLru[Identity] = ExpiringLru(cache_size)
        self._clock = clock

    async def authenticate(
        self, headers: Mapping[str, str], cookies: Mapping[str, str]
    ) -> Identity | None:
        token = header_value(headers, SESSION_TOKEN_HEADER)
        if token is not None:
            kind, credential = "token", token.strip()
        elif (cookie := cookies.get(self.cookie_name)) is not None:
            kind, credential = "cookie", cookie
        else:
            return None
        if not credential:
            raise AuthenticationFailed(f"empty Kratos session {kind}")
        if len(credential) > MAX_CREDENTIAL_CHARS:
            raise AuthenticationFailed(f"Kratos session {kind} is too long")
        if _CREDENTIAL.fullmatch(credential) is None:
            raise AuthenticationFailed(f"malformed Kratos session {kind}")
        cache_key = hashlib.sha256(f"{kind}\0{credential}".encode("ascii")).digest()
        cached = self._cache.get(cache_key, self._clock())
        if cached is not None:
            return cached
        call = partial(
            self._whoami,
            token=credential if kind == "token" else None,
            cookie=f"{self.cookie_name}={credential}" if kind == "cookie" else None,
        )
        session = await anyio.to_thread.run_sync(call)
        now = self._clock()
        identity = self._identity(session, now)
        session_end = math.inf if identity.expires_at is None else identity.expires_at
        until = min(now + self.cache_ttl_s, session_end)
        if until > now:
            self._cache.put(cache_key, identity, until)
        return identity

    def close(self) -> None:
        """Close the pooled connections to Kratos (at the gateway's shutdown)."""
        self._api.api_client.rest_client.pool_manager.clear()

    def _whoami(self, *, token: str | None, cookie: str | None) -> Session:
        """``GET /sessions/whoami`` through ory-client (blocking; on a worker thread)."""
        try:
            return self._api.to_session(
                x_session_token=token, cookie=cookie, _request_timeout=self._timeouts
            )
        except ApiException as error:
            if error.status in (400, 401, 403):
                reason = f"Kratos refused the session: {_kratos_error(error)}"
                raise AuthenticationFailed(reason) from None
            raise IdentityProviderUnavailable(
                f"Kratos at {self.public_url} answered {_kratos_error(error)}"
            ) from None
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise IdentityProviderUnavailable(
                f"Kratos at {self.public_url} unreachable: {type(error).__name__}"
            ) from None
        except ValueError as error:  # pydantic: a 200 whose body is not a session
            raise IdentityProviderUnavailable(
                f"Kratos at {self.public_url} answered an unreadable session "
                f"({type(error).__name__})"
            ) from None

    def _identity(self, session: Session, now: float) -> Identity:
        if session.active is not True:
            raise AuthenticationFailed("Kratos session is not active")
        identity = session.identity
        if identity is None:
            raise AuthenticationFailed(
                "Kratos answered a session without its identity (a restricted origin?)"
            )
        if identity.state not in (None, "active"):
            raise AuthenticationFailed("the Kratos identity is not active")
        expires_at = None if session.expires_at is None else session.expires_at.timestamp()
        if expires_at is not None and expires_at <= now:
            raise AuthenticationFailed("Kratos session expired")
        claims: dict[str, Any] = {
            "sid": str(session.id),
            "aal": None
            if session.authenticator_assurance_level is None
            else session.authenticator_assurance_level.value,
            "amr": [m.method for m in session.authentication_methods or () if m.method],
            "authenticated_at": None
            if session.authenticated_at is None
            else session.authenticated_at.isoformat(),
            "schema_id": identity.schema_id,
            "traits": identity.traits,
            "metadata_public": identity.metadata_public,
        }
        return Identity(
            subject=str(identity.id),
            issuer=self.issuer,
            method=KRATOS_SESSION,
            expires_at=None if expires_at is None else math.floor(expires_at),
            claims=claims,
        )
