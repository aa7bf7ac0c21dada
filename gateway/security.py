"""Who a request is and what it may do: authentication at the door, authorisation per field.

:class:`Security` is what the composition root hands the gateway: an :class:`Authenticator`
(the embedded identity provider's JWTs, Ory Oathkeeper's, Kratos sessions — or, only when asked
for explicitly, a development mode that trusts a header), the :class:`AccessPolicy` over the
relation tuples (local or Ory Keto), and the access log that records every decision about a
command or an auditor's or regulator's read in the support context's store.

:class:`Caller` is one request's view of it: the verified principal (or none: anonymous) and the
checks resolvers make. The rules, chosen once (docs/access.md):

* A request without credentials may read nothing but health endpoints and public keys:
  ``UNAUTHENTICATED`` (401). Bad credentials are refused the same way; the reason goes to the
  log only.
* A read of an account the caller may not see looks exactly like an unknown account — ``null``
  or an empty list — so nobody learns which accounts exist.
* A command on an account the caller may not trade is ``FORBIDDEN`` whether the account exists
  or not; a cancel of an order the caller may not see is ``NOT_FOUND``, like an unknown order.
* Permission answers are cached for :data:`DECISION_TTL_S` across requests of one process (a
  revocation counts within that time) and answered from memory within a request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio.to_thread

from bounded_contexts.support.application.access import ALL, AccessPolicy, VisibleAccounts
from bounded_contexts.support.application.access_log import AccessLog
from bounded_contexts.support.application.ports import AuthoriserUnavailable
from bounded_contexts.support.domain.access_log import AccessDecision
from bounded_contexts.support.domain.access_model import PlatformPermission
from events.store import StoreUnavailable
from gateway.errors import GatewayError, Unavailable
from gateway.identity import (
    AuthenticationFailed,
    Authenticator,
    Identity,
    IdentityProviderUnavailable,
)
from gateway.identity.credentials import header_value
from gateway.ports import Principal

log = logging.getLogger(__name__)

UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
DEV_PRINCIPAL_HEADER = "x-quantvista-principal"
DECISION_TTL_S = 2.0
INSECURE_NOTICE = (
    "INSECURE DEVELOPMENT MODE: the caller's identity is taken from the X-QuantVista-Principal "
    "header without any proof; never expose this gateway"
)

T = TypeVar("T")


class Unauthenticated(GatewayError):
    """No credentials, or credentials that do not prove who the caller is."""

    code = UNAUTHENTICATED


class Forbidden(GatewayError):
    """The caller is known but may not do this."""

    code = FORBIDDEN


class HeaderAuthenticator:
    """``--insecure-dev-auth`` only: the subject is whatever ``X-QuantVista-Principal`` says.
    Authorisation still applies to it (the tuples decide what that name may do)."""

    async def authenticate(
        self, headers: Mapping[str, str], cookies: Mapping[str, str]
    ) -> Identity | None:
        value = header_value(headers, DEV_PRINCIPAL_HEADER)
        if value is None:
            return None
        subject = value.strip()
        if not subject or len(subject) > 200 or not subject.isprintable():
            raise AuthenticationFailed("the development principal header is blank or malformed")
        return Identity(subject, "insecure-dev-header", "dev-header", None)


class _DecisionCache:
    """Permission answers for :data:`DECISION_TTL_S`, across requests (bounded)."""

    def __init__(self, ttl_s: float = DECISION_TTL_S, size: int = 50_000) -> None:
        self.ttl_s, self.size = ttl_s, size
        self._entries: OrderedDict[tuple[str, ...], tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...], ask: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > now:
                return entry[1]  # type: ignore[no-any-return]
        value = ask()
        with self._lock:
            self._entries[key] = (now + self.ttl_s, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value


@dataclass
class Security:
    """The gateway's authentication and authorisation, built by the composition root."""

    authenticator: Authenticator
    access: AccessPolicy
    access_log: AccessLog | None = None
    jwks: Callable[[], dict[str, Any]] | None = None
    """The embedded identity provider's public keys (served at /.well-known/jwks.json)."""
    insecure_dev_auth: bool = False
    cache: _DecisionCache = field(default_factory=_DecisionCache)

    async def identify(
        self, headers: Mapping[str, str], cookies: Mapping[str, str]
    ) -> Identity | None:
        """The verified identity (``None``: anonymous); raises :class:`Unauthenticated` for bad
        credentials and :class:`Unavailable` when the identity provider cannot be asked."""
        try:
            return await self.authenticator.authenticate(headers, cookies)
        except AuthenticationFailed as failed:
            log.info("refused credentials: %s", failed.reason)
            raise Unauthenticated(
                "the credentials were refused (expired, malformed or not ours): sign in again"
            ) from None
        except IdentityProviderUnavailable as down:
            log.warning("identity provider unavailable: %s", down.reason)
            raise Unavailable(
                "the identity provider cannot be reached to check the credentials; retry"
            ) from None


class Caller:
    """One request's principal and the checks its resolvers make (see the module doc)."""

    def __init__(self, security: Security, identity: Identity | None, request_id: str) -> None:
        self.security, self.identity, self.request_id = security, identity, request_id
        self._policy = security.access.per_request()
        self.decisions: list[AccessDecision] = []

    @property
    def principal(self) -> Principal:
        if self.identity is None:
            raise Unauthenticated(
                "this API needs credentials: send Authorization: Bearer <token> (quantvista "
                "token NAME issues one) or an Ory session"
            )
        return Principal(subject=self.identity.subject)

    @property
    def subject(self) -> str:
        return self.principal.subject

    def ensure_current(self) -> None:
        """Raise ``UNAUTHENTICATED`` once the credential has expired: a subscription must not
        outlive the token (or session) it was opened with."""
        expires_at = None if self.identity is None else self.identity.expires_at
        if expires_at is not None and time.time() >= expires_at:
            raise Unauthenticated("the credentials expired: sign in again and resubscribe")

    async def _ask(self, name: str, argument: str, ask: Callable[[], T]) -> T:
        key = (name, self.subject, argument)
        try:
            return await anyio.to_thread.run_sync(lambda: self.security.cache.get(key, ask))
        except AuthoriserUnavailable as down:
            raise Unavailable(
                f"permissions cannot be checked just now ({type(down).__name__}); retry"
            ) from None

    def _sync(self, name: str, argument: str, ask: Callable[[], T]) -> T:
        """The same, on a worker thread already (the order port's callbacks)."""
        try:
            return self.security.cache.get((name, self.subject, argument), ask)
        except AuthoriserUnavailable as down:
            raise Unavailable(f"permissions cannot be checked just now ({down}); retry") from None

    # -- reads ---------------------------------------------------------------------------------
    async def can_view(self, account: str) -> bool:
        subject = self.subject
        return await self._ask(
            "view", account, lambda: self._policy.can_view_account(subject, account)
        )

    async def visible_accounts(self) -> VisibleAccounts:
        subject = self.subject
        return await self._ask("visible", "", lambda: self._policy.visible_accounts(subject))

    async def has(self, permission: PlatformPermission) -> bool:
        subject = self.subject
        return await self._ask(
            "has", permission.value, lambda: self._policy.has(subject, permission)
        )

    async def require(self, permission: PlatformPermission, operation: str, resource: str) -> None:
        """An auditor's or regulator's read: allowed or not, the decision is recorded."""
        allowed = await self.has(permission)
        await self.record(operation, resource, allowed, f"platform:quantvista#{permission.value}")
        if not allowed:
            raise Forbidden(f"{operation} needs the {permission.value} permission")

    # -- commands ------------------------------------------------------------------------------
    async def require_trade(self, account: str, operation: str) -> None:
        subject = self.subject
        allowed = await self._ask(
            "trade", account, lambda: self._policy.can_trade(subject, account)
        )
        await self.record(operation, f"account:{account}", allowed, f"accounts:{account}#trade")
        if not allowed:
            raise Forbidden(f"{subject!r} may not trade account {account!r}")

    def may_trade_now(self, operation: str) -> Callable[[str], bool]:
        """For the order port (on its worker thread): may the caller act on this account? The
        decision is recorded either way before the port goes on."""
        subject = self.subject

        def decide(account: str) -> bool:
            allowed = self._sync("trade", account, lambda: self._policy.can_trade(subject, account))
            self._append(operation, f"account:{account}", allowed, f"accounts:{account}#trade")
            if not allowed and self._sync(
                "view", account, lambda: self._policy.can_view_account(subject, account)
            ):  # it may see the order, so "unknown" would be a lie: say why
                raise Forbidden(f"{subject!r} may not trade account {account!r}")
            return allowed

        return decide

    # -- the access log ------------------------------------------------------------------------
    async def record(self, operation: str, resource: str, allowed: bool, relation: str) -> None:
        await anyio.to_thread.run_sync(lambda: self._append(operation, resource, allowed, relation))

    def _append(self, operation: str, resource: str, allowed: bool, relation: str) -> None:
        """Append the decision; a decision that cannot be recorded stops the request (what
        is not in the access log must not happen)."""
        access_log = self.security.access_log
        if access_log is None:
            return
        subject = self.subject
        roles = tuple(sorted(r.value for r in self._policy.roles(subject)))
        decision = AccessDecision.record(
            subject=subject,
            roles=roles,
            operation=operation,
            resource=resource,
            allowed=allowed,
            reason=relation if allowed else f"no {relation}",
            request_id=self.request_id,
        )
        try:
            access_log.record([decision], request_id=self.request_id)
        except StoreUnavailable:
            raise Unavailable(
                "the access log cannot be written just now, so nothing was done; retry"
            ) from None


def visible(accounts: VisibleAccounts, account: str) -> bool:
    return accounts is ALL or account in accounts


__all__ = [
    "ALL",
    "FORBIDDEN",
    "INSECURE_NOTICE",
    "UNAUTHENTICATED",
    "Caller",
    "Forbidden",
    "HeaderAuthenticator",
    "Security",
    "Unauthenticated",
]
