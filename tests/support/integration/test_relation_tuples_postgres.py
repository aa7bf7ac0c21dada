"""The PostgreSQL relation tuple store on a real server: the port's contract, concurrent
writers, an unreachable database, and parity with the pure check on random tuple sets."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bounded_contexts.support.adapters.relation_tuples import TABLE, PostgresRelationTuples
from bounded_contexts.support.application.access import ALL, AccessPolicy
from bounded_contexts.support.application.ports import AuthoriserUnavailable
from bounded_contexts.support.application.users import UserAdministration
from bounded_contexts.support.domain.access_model import account_grants
from bounded_contexts.support.domain.relations import (
    InvalidRelationTuple,
    RelationTuple,
    SubjectId,
    SubjectSet,
    check,
    objects,
)
from bounded_contexts.support.domain.tuple_set import TupleSet

pytestmark = pytest.mark.integration


def parse(*texts: str) -> list[RelationTuple]:
    return [RelationTuple.parse(t) for t in texts]


@pytest.fixture
def store(database_url: str) -> Iterator[PostgresRelationTuples]:
    s = PostgresRelationTuples.from_url(database_url)
    s.create_tables()
    yield s
    s.close()


def test_tables_are_created_once_even_by_several_starters_at_once(database_url: str) -> None:
    stores = [PostgresRelationTuples.from_url(database_url) for _ in range(4)]
    errors: list[BaseException] = []

    def create(s: PostgresRelationTuples) -> None:
        try:
            s.create_tables()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        stores[0].create_tables()
        with stores[0].pool.connection() as conn:
            indexes = {r[0] for r in conn.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = %s", (TABLE,)
            )}  # fmt: skip
        assert indexes == {f"{TABLE}_pkey", f"{TABLE}_by_subject"}
    finally:
        for s in stores:
            s.close()


def test_tuples_are_written_once_listed_by_filter_and_deleted(
    store: PostgresRelationTuples,
) -> None:
    tuples = parse(
        "accounts:A#trader@alice",
        "accounts:A#view@(accounts:A#trader)",
        "accounts:B#trader@alice",
        "roles:risk#member@rita",
        "accounts:A#view@(roles:risk#member)",
    )
    store.write(tuples)
    store.write(tuples[:2])  # idempotent
    assert store.tuples() == sorted(tuples, key=RelationTuple.key)
    assert [str(t) for t in store.tuples(subject_id="alice")] == [
        "accounts:A#trader@alice",
        "accounts:B#trader@alice",
    ]
    risk = SubjectSet("roles", "risk", "member")
    assert store.tuples("accounts", "A", "view", subject_set=risk) == [tuples[4]]
    assert store.tuples(namespace="roles") == [tuples[3]]
    assert store.tuples(relation="trader", object="B") == [tuples[2]]
    with pytest.raises(ValueError, match="not both"):
        store.tuples(subject_id="alice", subject_set=SubjectSet("roles", "risk", "member"))
    store.delete([tuples[0], *parse("accounts:Z#trader@nobody")])
    assert tuples[0] not in store.tuples()
    assert len(store.tuples()) == 4
    store.write([])
    store.delete([])


def test_checks_and_reverse_lookups_expand_subject_sets(store: PostgresRelationTuples) -> None:
    UserAdministration(store).add("alice", "trader", ["DEMO-001", "DEMO-002"])
    UserAdministration(store).add("rita", "risk")
    assert store.check("accounts", "DEMO-001", "trade", "alice")
    assert store.check("accounts", "DEMO-002", "view", "rita")
    assert not store.check("accounts", "DEMO-001", "trade", "rita")
    assert store.objects("accounts", "view", "alice") == {"DEMO-001", "DEMO-002"}
    assert store.objects("accounts", "trade", "rita") == frozenset()
    request = AccessPolicy(store).per_request()
    assert request.visible_accounts("rita") is ALL
    assert request.visible_accounts("alice") == {"DEMO-001", "DEMO-002"}
    with pytest.raises(InvalidRelationTuple, match="subject id"):
        store.check("accounts", "DEMO-001", "trade", "")


def test_cycles_and_the_depth_limit(store: PostgresRelationTuples) -> None:
    store.write(
        parse(
            "g:a#m@(g:b#m)",
            "g:b#m@(g:c#m)",
            "g:c#m@(g:a#m)",
            "g:c#m@carol",
        )
    )
    store.max_depth = 100
    assert all(store.check("g", x, "m", "carol") for x in "abc")
    assert store.objects("g", "m", "carol") == {"a", "b", "c"}
    store.max_depth = 2  # one hop: c directly, b through c
    assert [store.check("g", x, "m", "carol") for x in "abc"] == [False, True, True]
    assert store.objects("g", "m", "carol") == {"b", "c"}
    store.max_depth = 1
    assert not store.check("g", "c", "m", "carol")
    assert store.objects("g", "m", "carol") == frozenset()


def test_concurrent_writers_neither_fail_nor_lose_tuples(store: PostgresRelationTuples) -> None:
    """Eight writers with overlapping batches in shuffled orders (the store sorts them, so
    they lock rows in one order), and eight administrators granting the same account at once."""
    pool = [RelationTuple.of("n", f"o{i % 7}", "r", f"u{i}") for i in range(60)]
    batches = []
    rng = random.Random(7)
    for _ in range(8):
        batch = rng.sample(pool, 30)
        rng.shuffle(batch)
        batches.append(batch)
    errors: list[BaseException] = []
    start = threading.Barrier(16)

    def run(work) -> None:  # type: ignore[no-untyped-def]
        try:
            start.wait()
            work()
        except BaseException as exc:
            errors.append(exc)

    users = UserAdministration(store)
    jobs = [lambda b=b: [store.write(b) for _ in range(5)] for b in batches]
    jobs += [lambda i=i: users.add(f"trader{i}", "trader", ["SHARED"]) for i in range(8)]
    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    stored = set(store.tuples())
    assert {t for b in batches for t in b} <= stored
    assert set(account_grants("SHARED")) <= stored
    assert all(store.check("accounts", "SHARED", "trade", f"trader{i}") for i in range(8))


def test_an_unreachable_database_is_reported_as_unavailable() -> None:
    store = PostgresRelationTuples.from_url(
        "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1", timeout_s=1.0
    )
    try:
        for call in (
            lambda: store.check("accounts", "A", "view", "alice"),
            lambda: store.objects("accounts", "view", "alice"),
            lambda: store.write(parse("accounts:A#view@alice")),
            lambda: store.tuples(),
        ):
            with pytest.raises(AuthoriserUnavailable, match="cannot answer"):
                call()
    finally:
        store.close()


# ------------------------------------------------------------------------- parity
names = st.sampled_from(["a", "b"])
objs = st.sampled_from(["o1", "o2", "o3"])
rels = st.sampled_from(["r", "s"])
users = st.sampled_from(["u", "v"])
subjects = st.one_of(st.builds(SubjectId, users), st.builds(SubjectSet, names, objs, rels))
tuple_sets = st.lists(st.builds(RelationTuple, names, objs, rels, subjects), max_size=25)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(tuples=tuple_sets, depth=st.integers(min_value=1, max_value=6))
def test_the_postgres_store_answers_as_the_pure_check_does(
    store: PostgresRelationTuples, tuples: list[RelationTuple], depth: int
) -> None:
    with store.pool.connection() as conn:
        conn.execute(f"TRUNCATE {TABLE}")
    store.write(tuples)
    store.max_depth = depth
    reference = TupleSet(tuples)
    assert store.tuples() == reference.query()
    for user in ("u", "v"):
        for ns in ("a", "b"):
            for rel in ("r", "s"):
                assert store.objects(ns, rel, user) == objects(reference, ns, rel, user, depth)
                for o in ("o1", "o2", "o3"):
                    assert store.check(ns, o, rel, user) == check(
                        reference, ns, o, rel, user, depth
                    )
