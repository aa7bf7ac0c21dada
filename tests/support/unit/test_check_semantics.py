"""Checks follow Keto's semantics: a direct tuple, or subject sets expanded breadth-first,
cycle-safe and limited by ``max-depth`` exactly as Keto counts it."""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bounded_contexts.support.domain.relations import (
    RelationTuple,
    Subject,
    SubjectId,
    SubjectSet,
    check,
    effective_depth,
    max_hops,
    objects,
)
from bounded_contexts.support.domain.tuple_set import TupleSet


def world(*texts: str) -> TupleSet:
    return TupleSet(RelationTuple.parse(t) for t in texts)


def test_a_direct_tuple_allows_and_nothing_else_does() -> None:
    tuples = world("docs:readme#owner@alice")
    assert check(tuples, "docs", "readme", "owner", "alice")
    assert not check(tuples, "docs", "readme", "owner", "bob")
    assert not check(tuples, "docs", "readme", "view", "alice")
    assert not check(tuples, "docs", "other", "owner", "alice")


def test_one_subject_set_hop() -> None:
    tuples = world("docs:readme#view@(docs:readme#owner)", "docs:readme#owner@alice")
    assert check(tuples, "docs", "readme", "view", "alice")
    assert not check(tuples, "docs", "readme", "view", "bob")


def test_two_subject_set_hops() -> None:
    tuples = world(
        "docs:readme#view@(docs:readme#owner)",
        "docs:readme#owner@(groups:dev#member)",
        "groups:dev#member@carol",
    )
    assert check(tuples, "docs", "readme", "view", "carol")
    assert check(tuples, "docs", "readme", "owner", "carol")
    assert objects(tuples, "docs", "view", "carol") == {"readme"}


def test_a_role_grants_every_account_it_is_granted_on() -> None:
    tuples = world(
        *(f"accounts:A{i}#view@(roles:risk#member)" for i in range(50)),
        "roles:risk#member@rita",
    )
    assert all(check(tuples, "accounts", f"A{i}", "view", "rita") for i in range(50))
    assert objects(tuples, "accounts", "view", "rita") == {f"A{i}" for i in range(50)}
    assert objects(tuples, "accounts", "view", "bob") == frozenset()


def test_cycles_end() -> None:
    tuples = world(
        "groups:a#member@(groups:b#member)",
        "groups:b#member@(groups:c#member)",
        "groups:c#member@(groups:a#member)",
        "groups:c#member@carol",
    )
    for g in "abc":
        assert check(tuples, "groups", g, "member", "carol", max_depth=100)
        assert not check(tuples, "groups", g, "member", "mallory", max_depth=100)
    assert objects(tuples, "groups", "member", "carol", max_depth=100) == {"a", "b", "c"}
    self_loop = world("groups:a#member@(groups:a#member)")
    assert not check(self_loop, "groups", "a", "member", "carol", max_depth=100)


def test_depth_is_counted_as_keto_counts_it() -> None:
    """Keto's own test ("respects max depth", internal/check/engine_test.go): access through
    owner through admin needs max-depth 3; 2 is not enough."""
    tuples = world(
        "test:object#admin@user",
        "test:object#owner@(test:object#admin)",
        "test:object#access@(test:object#owner)",
    )
    assert not check(tuples, "test", "object", "access", "user", max_depth=2)
    assert check(tuples, "test", "object", "access", "user", max_depth=3)
    # the direct tuple and one hop both need depth 2; depth 1 grants nothing at all
    assert check(tuples, "test", "object", "admin", "user", max_depth=2)
    assert check(tuples, "test", "object", "owner", "user", max_depth=2)
    assert not check(tuples, "test", "object", "admin", "user", max_depth=1)
    assert objects(tuples, "test", "access", "user", max_depth=2) == frozenset()
    assert objects(tuples, "test", "access", "user", max_depth=3) == {"object"}
    assert objects(tuples, "test", "admin", "user", max_depth=1) == frozenset()


def test_a_shorter_path_wins_over_a_longer_one_to_the_same_set() -> None:
    tuples = world(
        "n:o#r@(n:long1#r)",
        "n:long1#r@(n:long2#r)",
        "n:long2#r@(n:target#r)",
        "n:o#r@(n:target#r)",
        "n:target#r@alice",
    )
    assert check(tuples, "n", "o", "r", "alice", max_depth=2)


def test_a_subject_set_can_be_checked_as_a_subject() -> None:
    tuples = world("docs:readme#view@(groups:dev#member)")
    assert check(tuples, "docs", "readme", "view", SubjectSet("groups", "dev", "member"))


@pytest.mark.parametrize(
    ("requested", "server", "used"),
    [(None, 5, 5), (0, 5, 5), (-1, 5, 5), (3, 5, 3), (5, 5, 5), (9, 5, 5), (1, 5, 1)],
)
def test_a_requested_depth_is_clamped_to_the_servers_as_keto_does(
    requested: int | None, server: int, used: int
) -> None:
    assert effective_depth(requested, server) == used


def test_hops_per_depth() -> None:
    assert [max_hops(d) for d in range(0, 6)] == [-1, -1, 1, 2, 3, 4]


# ------------------------------------------------------- against Keto's own algorithm
def keto_engine(
    tuples: frozenset[RelationTuple], start: SubjectSet, subject: Subject, rest_depth: int
) -> bool:
    """Keto v26.2.0's classic engine (``internal/check/engine.go``, non-strict mode, no OPL
    rewrites), transcribed: ``checkIsAllowed`` → ``checkDirect`` and ``checkExpandSubject``,
    both one level down; an expansion first looks for the subject directly in each child set.

    One difference, on purpose: Keto marks the sets it expands as visited for the whole
    (concurrent) search, so a set first reached by a long path is not expanded again when a
    shorter one reaches it; which path comes first depends on goroutine timing. Here every
    path is searched (memoised on set and remaining depth), giving the answer "a path within
    the depth exists", which is what Keto documents and what it returns whenever that race
    does not bite."""
    children: dict[SubjectSet, list[SubjectSet]] = {}
    for t in tuples:
        if isinstance(t.subject, SubjectSet):
            children.setdefault(t.relation_set, []).append(t.subject)

    def has(s: SubjectSet) -> bool:
        return RelationTuple(s.namespace, s.object, s.relation, subject) in tuples

    @cache
    def is_allowed(s: SubjectSet, d: int, skip_direct: bool) -> bool:
        if d <= 0:
            return False  # MembershipUnknown: not a member
        if not skip_direct and d - 1 > 0 and has(s):
            return True
        return expand(s, d - 1)

    @cache
    def expand(s: SubjectSet, d: int) -> bool:
        if d <= 0:
            return False
        sets = children.get(s, [])
        if any(has(child) for child in sets):
            return True
        return any(is_allowed(child, d, True) for child in dict.fromkeys(sets))

    return is_allowed(start, rest_depth, False)


names = st.sampled_from(["a", "b"])
objs = st.sampled_from(["o1", "o2", "o3"])
rels = st.sampled_from(["r", "s"])
users = st.sampled_from(["u", "v"])
random_subjects = st.one_of(st.builds(SubjectId, users), st.builds(SubjectSet, names, objs, rels))
random_tuples = st.lists(st.builds(RelationTuple, names, objs, rels, random_subjects), max_size=25)


@settings(max_examples=300, deadline=None)
@given(random_tuples, st.integers(min_value=0, max_value=7))
def test_check_and_objects_agree_with_ketos_engine_on_random_tuples(
    tuples: list[RelationTuple], depth: int
) -> None:
    store, frozen = TupleSet(tuples), frozenset(tuples)
    for user in ("u", "v"):
        for ns in ("a", "b"):
            for rel in ("r", "s"):
                expected = {
                    o
                    for o in ("o1", "o2", "o3")
                    if keto_engine(frozen, SubjectSet(ns, o, rel), SubjectId(user), depth)
                }
                for o in ("o1", "o2", "o3"):
                    assert check(store, ns, o, rel, user, depth) == (o in expected)
                assert objects(store, ns, rel, user, depth) == expected
