"""``quantvista users add|list|remove`` as use cases: the tuples they write and delete, and the
requests they refuse."""

from __future__ import annotations

import pytest

from bounded_contexts.support.adapters.relation_tuples import InMemoryRelationTuples
from bounded_contexts.support.application.users import (
    UserAdministration,
    UserAdministrationError,
    UserRecord,
)
from bounded_contexts.support.domain.access_model import account_grants, platform_grants
from bounded_contexts.support.domain.relations import RelationTuple


def texts(tuples: list[RelationTuple]) -> set[str]:
    return {str(t) for t in tuples}


@pytest.fixture
def store() -> InMemoryRelationTuples:
    return InMemoryRelationTuples()


def test_adding_a_trader_writes_membership_ownership_and_the_accounts_grants(
    store: InMemoryRelationTuples,
) -> None:
    written = UserAdministration(store).add("alice", "trader", ["DEMO-001"])
    assert texts(written) == {
        "roles:trader#member@alice",
        "accounts:DEMO-001#trader@alice",
        "accounts:DEMO-001#view@accounts:DEMO-001#trader",
        "accounts:DEMO-001#view@accounts:DEMO-001#viewer",
        "accounts:DEMO-001#view@roles:risk#member",
        "accounts:DEMO-001#view@roles:auditor#member",
        "accounts:DEMO-001#trade@accounts:DEMO-001#trader",
    }
    assert texts(store.tuples()) == texts(written) | texts(list(platform_grants()))


def test_adding_is_idempotent_and_a_second_user_reuses_the_accounts_grants(
    store: InMemoryRelationTuples,
) -> None:
    users = UserAdministration(store)
    users.add("alice", "trader", ["DEMO-001"])
    before = store.tuples()
    users.add("alice", "trader", ["DEMO-001", "DEMO-001"])
    assert store.tuples() == before
    users.add("bob", "viewer", ["DEMO-001"])
    added = texts(store.tuples()) - texts(before)
    assert added == {"roles:viewer#member@bob", "accounts:DEMO-001#viewer@bob"}


def test_unknown_roles_are_refused_with_the_list_of_roles(store: InMemoryRelationTuples) -> None:
    with pytest.raises(UserAdministrationError) as caught:
        UserAdministration(store).add("alice", "superuser")
    assert str(caught.value) == (
        "unknown role 'superuser'; the roles are: trader, viewer, risk, auditor, regulator, admin"
    )
    assert store.tuples() == []


@pytest.mark.parametrize("role", ["risk", "auditor", "regulator", "admin"])
def test_an_account_is_refused_for_platform_wide_roles(
    store: InMemoryRelationTuples, role: str
) -> None:
    with pytest.raises(UserAdministrationError, match="--account makes no sense"):
        UserAdministration(store).add("carol", role, ["DEMO-001"])
    assert store.tuples() == []


def test_bad_names_are_refused_saying_which(store: InMemoryRelationTuples) -> None:
    users = UserAdministration(store)
    with pytest.raises(UserAdministrationError, match=r"^user name: subject id 'a:b'"):
        users.add("a:b", "trader")
    with pytest.raises(UserAdministrationError, match=r"^account id: object 'X#1'"):
        users.add("alice", "trader", ["X#1"])
    assert store.tuples() == []


def test_a_trader_without_an_account_holds_the_role_only(store: InMemoryRelationTuples) -> None:
    users = UserAdministration(store)
    users.add("alice", "trader")
    assert users.list() == [UserRecord("alice", ("trader",), ())]


def test_listing_shows_roles_and_accounts_per_user(store: InMemoryRelationTuples) -> None:
    users = UserAdministration(store)
    users.add("alice", "trader", ["DEMO-002", "DEMO-001"])
    users.add("alice", "viewer", ["DEMO-003"])
    users.add("rita", "risk")
    assert users.list() == [
        UserRecord(
            "alice",
            ("trader", "viewer"),
            (("DEMO-001", "trader"), ("DEMO-002", "trader"), ("DEMO-003", "viewer")),
        ),
        UserRecord("rita", ("risk",), ()),
    ]


def test_removing_a_user_revokes_everything_they_hold_and_only_that(
    store: InMemoryRelationTuples,
) -> None:
    users = UserAdministration(store)
    users.add("alice", "trader", ["DEMO-001"])
    users.add("bob", "trader", ["DEMO-001"])
    removed = users.remove("alice")
    assert texts(removed) == {"roles:trader#member@alice", "accounts:DEMO-001#trader@alice"}
    assert not store.check("accounts", "DEMO-001", "trade", "alice")
    assert store.check("accounts", "DEMO-001", "trade", "bob")
    assert set(account_grants("DEMO-001")) <= set(store.tuples())
    assert users.remove("alice") == []


def test_removing_one_role_one_account_or_one_grant(store: InMemoryRelationTuples) -> None:
    users = UserAdministration(store)
    users.add("alice", "trader", ["DEMO-001", "DEMO-002"])
    users.add("alice", "viewer", ["DEMO-003"])
    users.add("alice", "auditor")
    assert texts(users.remove("alice", role="trader", account="DEMO-002")) == {
        "accounts:DEMO-002#trader@alice"
    }
    assert texts(users.remove("alice", account="DEMO-003")) == {"accounts:DEMO-003#viewer@alice"}
    assert texts(users.remove("alice", role="trader")) == {
        "roles:trader#member@alice",
        "accounts:DEMO-001#trader@alice",
    }
    assert users.list() == [UserRecord("alice", ("auditor", "viewer"), ())]
    with pytest.raises(UserAdministrationError, match="platform-wide"):
        users.remove("alice", role="auditor", account="DEMO-001")
    with pytest.raises(UserAdministrationError, match="unknown role"):
        users.remove("alice", role="root")
