"""User administration for the CLI (``quantvista users add|list|remove``): roles and account
grants written as relation tuples through the ``Authoriser`` port.

``add`` writes, in one atomic ``write``: the platform grants (so a fresh store works at once),
the role membership, the per-account relation and each account's subject-set grants. Writes are
idempotent (set semantics in both stores), so adding a second user to an account, or the same
user twice, changes nothing that is already there.

Who did it is not recorded here: the caller (the CLI, or an admin mutation through the gateway)
records the decision in the access log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bounded_contexts.support.application.ports import Authoriser
from bounded_contexts.support.domain.access_model import (
    ACCOUNTS,
    MEMBER,
    ROLE_DEFINITIONS,
    ROLES,
    AccountNotApplicable,
    AccountRelation,
    Role,
    UnknownRole,
    parse_role,
    platform_grants,
    user_grants,
)
from bounded_contexts.support.domain.relations import (
    InvalidRelationTuple,
    RelationTuple,
    SubjectId,
)


class UserAdministrationError(ValueError):
    """A refused request; the message says why (and, for a role, which roles there are)."""


@dataclass(frozen=True)
class UserRecord:
    """One user as ``users list`` shows it."""

    name: str
    roles: tuple[str, ...]
    accounts: tuple[tuple[str, str], ...]  # (account, relation): ("DEMO-001", "trader")


class UserAdministration:
    def __init__(self, authoriser: Authoriser) -> None:
        self.authoriser = authoriser

    def add(self, name: str, role: str, accounts: Sequence[str] = ()) -> list[RelationTuple]:
        """Grant ``role`` (and, for trader and viewer, each account) to ``name``; returns the
        tuples that now hold for it (whether written now or before)."""
        the_role = self._role(role)
        self._user(name)
        try:
            grants = user_grants(name, the_role, tuple(dict.fromkeys(accounts)))
        except AccountNotApplicable as exc:
            raise UserAdministrationError(str(exc)) from None
        except InvalidRelationTuple as exc:
            raise UserAdministrationError(f"account id: {exc}") from None
        self.authoriser.write([*platform_grants(), *grants])
        return list(grants)

    def remove(
        self, name: str, role: str | None = None, account: str | None = None
    ) -> list[RelationTuple]:
        """Revoke: everything ``name`` holds (no options); one role with its account grants
        (``role``); one account's relations (``account``); or one role's relation on one
        account (both). Returns what was removed (empty: there was nothing to remove).

        The account's subject-set grants stay: they grant nothing by themselves."""
        self._user(name)
        the_role = self._role(role) if role is not None else None
        relation = ROLE_DEFINITIONS[the_role].account_relation if the_role else None
        if the_role is not None and account is not None and relation is None:
            raise UserAdministrationError(
                f"the {the_role.value} role is platform-wide; --account makes no sense for it"
            )
        doomed: list[RelationTuple] = []
        if account is None:
            doomed += [
                t
                for t in self.authoriser.tuples(ROLES, relation=MEMBER, subject_id=name)
                if the_role is None or t.object == the_role.value
            ]
        held = self._account_relations(name)
        doomed += [
            t
            for t in held
            if (account is None or t.object == account)
            and (the_role is None or t.relation == (relation.value if relation else None))
        ]
        self.authoriser.delete(doomed)
        return doomed

    def list(self) -> list[UserRecord]:
        """Every user holding a role or an account relation, by name."""
        roles: dict[str, list[str]] = {}
        accounts: dict[str, list[tuple[str, str]]] = {}
        for t in self.authoriser.tuples(ROLES, relation=MEMBER):
            if isinstance(t.subject, SubjectId):
                roles.setdefault(t.subject.id, []).append(t.object)
        for relation in AccountRelation:
            for t in self.authoriser.tuples(ACCOUNTS, relation=relation.value):
                if isinstance(t.subject, SubjectId):
                    accounts.setdefault(t.subject.id, []).append((t.object, t.relation))
        return [
            UserRecord(
                name, tuple(sorted(roles.get(name, ()))), tuple(sorted(accounts.get(name, ())))
            )
            for name in sorted(roles.keys() | accounts.keys())
        ]

    # ---------------------------------------------------------------------- helpers
    def _account_relations(self, name: str) -> list[RelationTuple]:
        return [
            t
            for relation in AccountRelation
            for t in self.authoriser.tuples(ACCOUNTS, relation=relation.value, subject_id=name)
        ]

    @staticmethod
    def _role(role: str) -> Role:
        try:
            return parse_role(role)
        except UnknownRole as exc:
            raise UserAdministrationError(str(exc)) from None

    @staticmethod
    def _user(name: str) -> None:
        try:
            SubjectId(name)
        except InvalidRelationTuple as exc:
            raise UserAdministrationError(f"user name: {exc}") from None


__all__ = ["UserAdministration", "UserAdministrationError", "UserRecord"]
