"""The access policy answers the gateway's questions for all six roles as the model says —
checked as a matrix over a small world — and remembers answers per request only."""

from __future__ import annotations

import pytest

from bounded_contexts.support.adapters.relation_tuples import InMemoryRelationTuples
from bounded_contexts.support.application.access import ALL, AccessPolicy
from bounded_contexts.support.application.ports import AuthoriserUnavailable
from bounded_contexts.support.application.users import UserAdministration
from bounded_contexts.support.domain.access_model import PlatformPermission, Role

P = PlatformPermission

# The world: two granted accounts and one that nobody was ever granted.
USERS = {
    "tom": ("trader", ["ACC-1"]),
    "vera": ("viewer", ["ACC-1"]),
    "rita": ("risk", []),
    "aude": ("auditor", []),
    "reg": ("regulator", []),
    "adam": ("admin", []),
    "tina": ("trader", ["ACC-2"]),
}
ACCOUNTS = ("ACC-1", "ACC-2", "ACC-UNGRANTED")

# What each user may do, written out by hand from the roles' definitions (not derived from the
# model, so that this test checks the model).
EXPECTED = {
    #        view ACC-1, view ACC-2, view ungranted, trade ACC-1, trade ACC-2, visible
    "tom": ((True, False, False), (True, False), frozenset({"ACC-1"})),
    "vera": ((True, False, False), (False, False), frozenset({"ACC-1"})),
    "rita": ((True, True, True), (False, False), ALL),
    "aude": ((True, True, True), (False, False), ALL),
    "reg": ((False, False, False), (False, False), frozenset()),
    "adam": ((False, False, False), (False, False), frozenset()),
    "tina": ((False, True, False), (False, True), frozenset({"ACC-2"})),
    "nobody": ((False, False, False), (False, False), frozenset()),
}
PLATFORM = {
    "tom": set(),
    "vera": set(),
    "rita": {P.READ_ALL_ACCOUNTS, P.KILL_SWITCH, P.RISK_LIMITS, P.MODELS},
    "aude": {P.READ_ALL_ACCOUNTS, P.AUDIT, P.REGULATORY_REPORTS, P.ORDER_RECORDS},
    "reg": {P.REGULATORY_REPORTS, P.ORDER_RECORDS},
    "adam": {P.ADMINISTER},
    "tina": set(),
    "nobody": set(),
}


@pytest.fixture
def policy() -> AccessPolicy:
    store = InMemoryRelationTuples()
    users = UserAdministration(store)
    for name, (role, accounts) in USERS.items():
        users.add(name, role, accounts)
    return AccessPolicy(store)


@pytest.mark.parametrize("subject", sorted(EXPECTED))
def test_the_role_matrix(policy: AccessPolicy, subject: str) -> None:
    views, trades, visible = EXPECTED[subject]
    request = policy.per_request()
    assert tuple(request.can_view_account(subject, a) for a in ACCOUNTS) == views
    assert tuple(request.can_trade(subject, a) for a in ACCOUNTS[:2]) == trades
    assert not request.can_trade(subject, "ACC-UNGRANTED")
    assert request.visible_accounts(subject) == visible
    assert {p for p in PlatformPermission if request.has(subject, p)} == PLATFORM[subject]
    expected_roles = {Role(USERS[subject][0])} if subject in USERS else set()
    assert request.roles(subject) == expected_roles


def test_all_contains_every_account() -> None:
    assert "ACC-ANYTHING" in ALL and repr(ALL) == "ALL" and str(ALL) == "ALL"


def test_malformed_ids_are_denied_like_unknown_ones(policy: AccessPolicy) -> None:
    assert not policy.can_view_account("tom", "ACC-1#trader")
    assert not policy.can_trade("tom", "ACC-\x00")
    assert not policy.can_view_account("", "ACC-1")
    assert policy.visible_accounts("to:m") == frozenset()
    assert policy.roles("") == frozenset()


class CountingAuthoriser(InMemoryRelationTuples):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.down = False

    def check(self, namespace: str, object: str, relation: str, subject_id: str) -> bool:
        self.calls += 1
        if self.down:
            raise AuthoriserUnavailable("down")
        return super().check(namespace, object, relation, subject_id)


def test_a_request_remembers_its_answers_and_the_next_request_sees_changes() -> None:
    store = CountingAuthoriser()
    users = UserAdministration(store)
    users.add("tom", "trader", ["ACC-1"])
    policy = AccessPolicy(store)
    first = policy.per_request()
    for _ in range(10):
        assert first.can_trade("tom", "ACC-1")
    assert store.calls == 1
    users.remove("tom")
    assert first.can_trade("tom", "ACC-1")  # same request: the answer it already gave
    assert not policy.per_request().can_trade("tom", "ACC-1")
    uncached_before = store.calls
    policy.can_trade("tom", "ACC-1")
    policy.can_trade("tom", "ACC-1")
    assert store.calls == uncached_before + 2  # the process-wide policy remembers nothing


def test_a_list_for_a_risk_manager_costs_one_check_in_all() -> None:
    store = CountingAuthoriser()
    UserAdministration(store).add("rita", "risk")
    request = AccessPolicy(store).per_request()
    assert all(request.can_view_account("rita", f"ACC-{i}") for i in range(100))
    assert store.calls == 1


def test_an_unavailable_authoriser_is_never_remembered_and_never_allows() -> None:
    store = CountingAuthoriser()
    UserAdministration(store).add("tom", "trader", ["ACC-1"])
    request = AccessPolicy(store).per_request()
    store.down = True
    for _ in range(2):
        with pytest.raises(AuthoriserUnavailable):
            request.can_trade("tom", "ACC-1")
    store.down = False
    assert request.can_trade("tom", "ACC-1")
