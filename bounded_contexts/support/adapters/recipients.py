"""Who hears about what, answered by the authorisation model (the ``Recipients`` port).

- An account's notices (fills, rejections, drawdowns) go to the people whose account it is:
  its traders and viewers (``accounts:<id>#trader`` / ``#viewer``). Risk managers and auditors
  may *read* every account, but are not told about every fill of every account: that would
  drown the notices that are theirs.
- Operational notices (a dead letter, a component failing) go to the operators: the members
  of the ``risk`` and ``admin`` roles.

Subject sets are expanded (to a bounded depth, like Keto's ``max-depth``), so a grant to a
group (``accounts:X#viewer@(groups:desk#member)``) reaches its members. An authoriser that
cannot be asked raises :class:`RecipientsUnavailable`: the consumer retries rather than
dead-letter the fill being notified.
"""

from __future__ import annotations

from bounded_contexts.support.application.notification_ports import RecipientsUnavailable
from bounded_contexts.support.application.ports import Authoriser, AuthoriserError
from bounded_contexts.support.domain.access_model import (
    ACCOUNTS,
    AccountRelation,
    Role,
    role_members,
)
from bounded_contexts.support.domain.relations import DEFAULT_MAX_DEPTH, SubjectId, SubjectSet

ACCOUNT_HOLDERS = (AccountRelation.TRADER, AccountRelation.VIEWER)
OPERATOR_ROLES = (Role.RISK, Role.ADMIN)


class AuthorisationRecipients:
    def __init__(self, authoriser: Authoriser) -> None:
        self.authoriser = authoriser

    def for_account(self, account_id: str) -> list[str]:
        return self._members(
            [SubjectSet(ACCOUNTS, account_id, relation.value) for relation in ACCOUNT_HOLDERS]
        )

    def operators(self) -> list[str]:
        return self._members([role_members(role) for role in OPERATOR_ROLES])

    def _members(self, sets: list[SubjectSet]) -> list[str]:
        users: set[str] = set()
        seen: set[SubjectSet] = set()
        frontier, depth = sets, 0
        try:
            while frontier and depth < DEFAULT_MAX_DEPTH:
                following: list[SubjectSet] = []
                for subject_set in frontier:
                    if subject_set in seen:
                        continue
                    seen.add(subject_set)
                    for grant in self.authoriser.tuples(
                        subject_set.namespace, subject_set.object, subject_set.relation
                    ):
                        if isinstance(grant.subject, SubjectId):
                            users.add(grant.subject.id)
                        else:
                            following.append(grant.subject)
                frontier, depth = following, depth + 1
        except AuthoriserError as exc:
            raise RecipientsUnavailable(f"cannot ask who is told: {exc}") from exc
        return sorted(users)
