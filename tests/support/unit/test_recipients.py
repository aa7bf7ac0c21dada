"""Who is told: an account's traders and viewers (through subject sets too), operators for
operational notices, and a clear retryable error when the authoriser cannot be asked."""

from __future__ import annotations

import pytest

from bounded_contexts.support.adapters.recipients import AuthorisationRecipients
from bounded_contexts.support.adapters.relation_tuples import InMemoryRelationTuples
from bounded_contexts.support.application.notification_ports import RecipientsUnavailable
from bounded_contexts.support.application.ports import AuthoriserUnavailable
from bounded_contexts.support.application.users import UserAdministration
from bounded_contexts.support.domain.relations import RelationTuple, SubjectId, SubjectSet


def recipients_of(tuples: InMemoryRelationTuples) -> AuthorisationRecipients:
    return AuthorisationRecipients(tuples)


def test_an_account_is_told_to_its_traders_and_viewers_only() -> None:
    tuples = InMemoryRelationTuples()
    users = UserAdministration(tuples)
    users.add("alice", "trader", ["ACC-1"])
    users.add("bob", "viewer", ["ACC-1", "ACC-2"])
    users.add("rita", "risk")
    users.add("carol", "auditor")
    users.add("root", "admin")
    recipients = recipients_of(tuples)
    assert recipients.for_account("ACC-1") == ["alice", "bob"]
    assert recipients.for_account("ACC-2") == ["bob"]
    assert recipients.for_account("NOBODY") == []
    assert recipients.operators() == ["rita", "root"]


def test_a_grant_to_a_group_reaches_its_members_and_cycles_end() -> None:
    tuples = InMemoryRelationTuples()
    desk = SubjectSet("roles", "desk", "member")
    tuples.write(
        [
            RelationTuple("accounts", "ACC-9", "viewer", desk),
            RelationTuple("roles", "desk", "member", SubjectId("dora")),
            RelationTuple("roles", "desk", "member", SubjectSet("roles", "night", "member")),
            RelationTuple("roles", "night", "member", SubjectId("nick")),
            RelationTuple("roles", "night", "member", desk),  # a cycle
        ]
    )
    assert recipients_of(tuples).for_account("ACC-9") == ["dora", "nick"]


def test_an_unreachable_authoriser_is_a_retryable_failure() -> None:
    class Down(InMemoryRelationTuples):
        def tuples(self, *args: object, **kwargs: object) -> list[RelationTuple]:  # type: ignore[override]
            raise AuthoriserUnavailable("keto: connection refused")

    with pytest.raises(RecipientsUnavailable, match="connection refused") as failed:
        recipients_of(Down()).for_account("ACC-1")
    assert isinstance(failed.value, ConnectionError)  # the consumer retries, never dead-letters
