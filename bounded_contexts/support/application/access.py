"""What the gateway asks per request, answered from the ``Authoriser`` port and the model in
:mod:`~bounded_contexts.support.domain.access_model`.

The gateway keeps one :class:`AccessPolicy` for the process and calls
:meth:`AccessPolicy.per_request` for each request: the copy remembers every answer for that
request only, so a list of fifty orders costs one check per distinct account (and a risk
manager's list one check in all), while a grant or revocation counts from the next request on.
Errors are never remembered: an unreachable authoriser raises
:class:`~.ports.AuthoriserUnavailable` every time.

Names that can never be granted (an account id with ``#`` or a control character, an empty
subject) are simply denied, so that a malformed id looks like an unknown one.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Literal, TypeVar

from bounded_contexts.support.application.ports import Authoriser
from bounded_contexts.support.domain.access_model import (
    ACCOUNTS,
    MEMBER,
    PLATFORM,
    PLATFORM_OBJECT,
    ROLES,
    AccountPermission,
    PlatformPermission,
    Role,
)
from bounded_contexts.support.domain.relations import InvalidRelationTuple

T = TypeVar("T")
_ROLE_NAMES = frozenset(r.value for r in Role)


class Everything(Enum):
    """The answer "every account" of :meth:`AccessPolicy.visible_accounts` — accounts no one
    was ever granted included, so it cannot be a set. ``account in ALL`` is true."""

    ALL = "ALL"

    def __contains__(self, item: object) -> bool:
        return True

    def __repr__(self) -> str:
        return "ALL"

    __str__ = __repr__


ALL = Everything.ALL
VisibleAccounts = frozenset[str] | Literal[Everything.ALL]


class AccessPolicy:
    """Roles, platform permissions and per-account permissions of a verified subject."""

    def __init__(self, authoriser: Authoriser, *, cached: bool = False) -> None:
        self.authoriser = authoriser
        self._cache: dict[tuple[str, ...], object] | None = {} if cached else None

    def per_request(self) -> AccessPolicy:
        """A copy that remembers its answers; create one per request and drop it after.
        Safe to share between the request's resolvers (threads): a race costs a second
        look-up, never a wrong answer."""
        return AccessPolicy(self.authoriser, cached=True)

    # ------------------------------------------------------------------- questions
    def roles(self, subject: str) -> frozenset[Role]:
        """The roles ``subject`` is a member of (unknown role objects are ignored)."""
        names = self._objects(ROLES, MEMBER, subject)
        return frozenset(Role(name) for name in names if name in _ROLE_NAMES)

    def has(self, subject: str, permission: PlatformPermission) -> bool:
        """A platform-wide permission (``platform:quantvista#<permission>``)."""
        return self._check(PLATFORM, PLATFORM_OBJECT, PlatformPermission(permission).value, subject)

    def can_view_account(self, subject: str, account: str) -> bool:
        """``accounts:<account>#view``, or the platform's ``read_all_accounts`` (which also
        covers accounts that were never granted to anyone)."""
        return self.has(subject, PlatformPermission.READ_ALL_ACCOUNTS) or self._check(
            ACCOUNTS, account, AccountPermission.VIEW.value, subject
        )

    def can_trade(self, subject: str, account: str) -> bool:
        """``accounts:<account>#trade`` — granted to the account's traders only."""
        return self._check(ACCOUNTS, account, AccountPermission.TRADE.value, subject)

    def visible_accounts(self, subject: str) -> VisibleAccounts:
        """:data:`ALL`, or the accounts ``subject`` may view (to filter lists with)."""
        if self.has(subject, PlatformPermission.READ_ALL_ACCOUNTS):
            return ALL
        return self._objects(ACCOUNTS, AccountPermission.VIEW.value, subject)

    # ------------------------------------------------------------------- plumbing
    def _check(self, namespace: str, object: str, relation: str, subject: str) -> bool:
        def ask() -> bool:
            try:
                return self.authoriser.check(namespace, object, relation, subject)
            except InvalidRelationTuple:
                return False

        return self._remember(("check", namespace, object, relation, subject), ask)

    def _objects(self, namespace: str, relation: str, subject: str) -> frozenset[str]:
        def ask() -> frozenset[str]:
            try:
                return self.authoriser.objects(namespace, relation, subject)
            except InvalidRelationTuple:
                return frozenset()

        return self._remember(("objects", namespace, relation, subject), ask)

    def _remember(self, key: tuple[str, ...], ask: Callable[[], T]) -> T:
        if self._cache is None:
            return ask()
        if key in self._cache:
            return self._cache[key]  # type: ignore[return-value]
        answer = ask()
        self._cache[key] = answer
        return answer


__all__ = ["ALL", "AccessPolicy", "Everything", "VisibleAccounts"]
