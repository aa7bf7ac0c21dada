"""``KetoAuthoriser`` through the real ``ory-client`` against the fake Keto (Keto v26.2.0's REST
API, checks by the pure domain check): the port's contract, the same answers as the PostgreSQL
store on the same tuples, and "Keto unreachable" as a distinct error."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bounded_contexts.support.adapters.keto import KetoAuthoriser, KetoConfig, KetoUnavailable
from bounded_contexts.support.adapters.relation_tuples import TABLE, PostgresRelationTuples
from bounded_contexts.support.application.access import AccessPolicy
from bounded_contexts.support.application.ports import AuthoriserError, AuthoriserUnavailable
from bounded_contexts.support.application.users import UserAdministration
from bounded_contexts.support.domain.access_model import NAMESPACES, PlatformPermission
from bounded_contexts.support.domain.relations import RelationTuple, SubjectId, SubjectSet
from tests.fakes.ory_keto import FakeKeto

pytestmark = pytest.mark.integration


@pytest.fixture
def keto() -> Iterator[FakeKeto]:
    with FakeKeto(namespaces=(*NAMESPACES, "a", "b", "g")) as fake:
        yield fake


def authoriser_for(keto: FakeKeto, **options: object) -> KetoAuthoriser:
    return KetoAuthoriser(KetoConfig(keto.read_url, keto.write_url, **options))  # type: ignore[arg-type]


@pytest.fixture
def authoriser(keto: FakeKeto) -> Iterator[KetoAuthoriser]:
    a = authoriser_for(keto)
    yield a
    a.close()


def parse(*texts: str) -> list[RelationTuple]:
    return [RelationTuple.parse(t) for t in texts]


def test_tuples_are_written_once_listed_page_by_page_and_deleted(keto: FakeKeto) -> None:
    authoriser = authoriser_for(keto, page_size=2)
    tuples = parse(
        "accounts:A#trader@alice",
        "accounts:A#view@(accounts:A#trader)",
        "accounts:B#trader@alice",
        "roles:risk#member@rita",
        "accounts:A#view@(roles:risk#member)",
    )
    authoriser.write(tuples)
    authoriser.write(tuples)  # nothing is inserted twice, though Keto would store duplicates
    assert len(keto.rows) == 5
    assert authoriser.tuples() == sorted(tuples, key=RelationTuple.key)
    listings = [r for r in keto.requests if r[2] == "/relation-tuples" and "page_token" in r[3]]
    assert listings, "a listing of five tuples in pages of two follows the next_page_token"
    assert [str(t) for t in authoriser.tuples(subject_id="alice")] == [
        "accounts:A#trader@alice",
        "accounts:B#trader@alice",
    ]
    risk = SubjectSet("roles", "risk", "member")
    assert authoriser.tuples("accounts", "A", "view", subject_set=risk) == [tuples[4]]
    authoriser.delete([tuples[0], *parse("accounts:Z#trader@nobody")])
    assert tuples[0] not in authoriser.tuples()
    writes = [r for r in keto.requests if r[0] == "write"]
    assert {(r[1], r[2]) for r in writes} == {("PATCH", "/admin/relation-tuples")}


def test_checks_go_to_keto_with_the_configured_depth(
    keto: FakeKeto, authoriser: KetoAuthoriser
) -> None:
    UserAdministration(authoriser).add("alice", "trader", ["DEMO-001"])
    assert authoriser.check("accounts", "DEMO-001", "trade", "alice")
    assert not authoriser.check("accounts", "DEMO-001", "trade", "bob")
    checks = [r for r in keto.requests if r[2] == "/relation-tuples/check/openapi"]
    assert checks[-1][3] == {
        "namespace": "accounts",
        "object": "DEMO-001",
        "relation": "trade",
        "subject_id": "bob",
        "max-depth": "5",
    }
    assert authoriser.objects("accounts", "view", "alice") == {"DEMO-001"}


def test_the_same_tuples_give_the_same_answers_in_keto_and_in_postgres(
    keto: FakeKeto, authoriser: KetoAuthoriser, database_url: str
) -> None:
    postgres = PostgresRelationTuples.from_url(database_url)
    postgres.create_tables()
    try:
        for store in (authoriser, postgres):
            users = UserAdministration(store)
            users.add("tom", "trader", ["ACC-1", "ACC-2"])
            users.add("vera", "viewer", ["ACC-2"])
            for name, role in [("rita", "risk"), ("aude", "auditor"), ("reg", "regulator")]:
                users.add(name, role)
            users.add("adam", "admin")
        assert authoriser.tuples() == postgres.tuples()
        keto_policy, pg_policy = AccessPolicy(authoriser), AccessPolicy(postgres)
        for who in ("tom", "vera", "rita", "aude", "reg", "adam", "nobody"):
            assert answers(keto_policy, who) == answers(pg_policy, who)
    finally:
        postgres.close()


def answers(policy: AccessPolicy, who: str) -> tuple[object, ...]:
    accounts = ("ACC-1", "ACC-2", "ACC-3")
    return (
        policy.roles(who),
        policy.visible_accounts(who),
        [policy.can_view_account(who, a) for a in accounts],
        [policy.can_trade(who, a) for a in accounts],
        [policy.has(who, permission) for permission in PlatformPermission],
    )


names = st.sampled_from(["a", "b"])
objs = st.sampled_from(["o1", "o2", "o3"])
rels = st.sampled_from(["r", "s"])
user_ids = st.sampled_from(["u", "v"])
subjects = st.one_of(st.builds(SubjectId, user_ids), st.builds(SubjectSet, names, objs, rels))
tuple_sets = st.lists(st.builds(RelationTuple, names, objs, rels, subjects), max_size=20)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(tuples=tuple_sets, depth=st.integers(min_value=1, max_value=5))
def test_keto_and_postgres_agree_on_random_tuple_sets(
    keto: FakeKeto, database_url: str, tuples: list[RelationTuple], depth: int
) -> None:
    postgres = PostgresRelationTuples.from_url(database_url, max_depth=depth)
    authoriser = authoriser_for(keto, max_depth=depth)
    try:
        postgres.create_tables()
        with postgres.pool.connection() as conn:
            conn.execute(f"TRUNCATE {TABLE}")
        keto.rows.clear()
        postgres.write(tuples)
        authoriser.write(tuples)
        assert authoriser.tuples() == postgres.tuples()
        for user in ("u", "v"):
            for ns in ("a", "b"):
                for rel in ("r", "s"):
                    assert authoriser.objects(ns, rel, user) == postgres.objects(ns, rel, user)
                    for o in ("o1", "o2", "o3"):
                        assert authoriser.check(ns, o, rel, user) == postgres.check(
                            ns, o, rel, user
                        )
    finally:
        postgres.close()
        authoriser.close()


# -------------------------------------------------------------------------- failures
def test_keto_down_is_a_distinct_error_for_every_call(keto: FakeKeto) -> None:
    authoriser = authoriser_for(keto, connect_timeout_s=0.5, read_timeout_s=0.5)
    authoriser.write(parse("accounts:A#trader@alice"))
    keto.stop()
    calls = {
        "check": lambda: authoriser.check("accounts", "A", "trade", "alice"),
        "objects": lambda: authoriser.objects("accounts", "view", "alice"),
        "write": lambda: authoriser.write(parse("accounts:A#viewer@bob")),
        "delete": lambda: authoriser.delete(parse("accounts:A#trader@alice")),
        "tuples": lambda: authoriser.tuples(),
    }
    for name, call in calls.items():
        started = time.monotonic()
        with pytest.raises(KetoUnavailable, match="did not answer"):
            call()
        assert time.monotonic() - started < 5, name


def test_keto_failing_or_hanging_is_unavailable_and_a_refusal_is_not(keto: FakeKeto) -> None:
    authoriser = authoriser_for(keto, connect_timeout_s=0.5, read_timeout_s=0.3)
    keto.outage = 503
    with pytest.raises(KetoUnavailable, match="503"):
        authoriser.check("accounts", "A", "view", "alice")
    keto.outage = 429
    with pytest.raises(KetoUnavailable, match="429"):
        authoriser.tuples()
    keto.outage = None
    keto.delay_s = 5.0
    started = time.monotonic()
    with pytest.raises(KetoUnavailable):
        authoriser.check("accounts", "A", "view", "alice")
    assert time.monotonic() - started < 3  # the read timeout (0.3 s), retried once at most
    keto.delay_s = 0
    with pytest.raises(AuthoriserError, match="Unknown namespace") as refused:
        authoriser.tuples(namespace="unconfigured")
    assert not isinstance(refused.value, AuthoriserUnavailable)
    # a tuple someone else wrote into the same Keto, with a name our validation refuses
    foreign = RelationTuple.of("accounts", "A", "view", "alice")
    unchecked = object.__new__(SubjectId)  # bypasses SubjectId's validation
    object.__setattr__(unchecked, "id", "mallory:evil")
    object.__setattr__(foreign, "subject", unchecked)
    keto.rows.append(foreign)
    with pytest.raises(AuthoriserError, match="cannot use: subject id 'mallory:evil'"):
        authoriser.tuples(namespace="accounts")


def test_keto_config_from_the_environment_and_its_refusals() -> None:
    config = KetoConfig.from_environment(
        {"ORY_KETO_READ_URL": "http://keto:4466", "ORY_KETO_WRITE_URL": "http://keto:4467"}
    )
    assert (config.read_url, config.write_url, config.max_depth) == (
        "http://keto:4466",
        "http://keto:4467",
        5,
    )
    with pytest.raises(ValueError, match="ORY_KETO_WRITE_URL"):
        KetoConfig.from_environment({"ORY_KETO_READ_URL": "http://keto:4466"})
    with pytest.raises(ValueError, match="http"):
        KetoConfig("keto:4466", "http://keto:4467")
    with pytest.raises(ValueError, match="max_depth"):
        KetoConfig("http://k", "http://k", max_depth=0)


# ------------------------------------------------------------- the fake's own wire format
def http(method: str, url: str, body: object = None) -> tuple[int, object]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_fake_answers_as_keto_documents(keto: FakeKeto) -> None:
    created = http(
        "PUT",
        f"{keto.write_url}/admin/relation-tuples",
        {"namespace": "accounts", "object": "A", "relation": "trader", "subject_id": "alice"},
    )
    assert created == (
        201,
        {"namespace": "accounts", "object": "A", "relation": "trader", "subject_id": "alice"},
    )
    check = f"{keto.read_url}/relation-tuples/check"
    query = "?namespace=accounts&object=A&relation=trader"
    assert http("GET", f"{check}/openapi{query}&subject_id=bob") == (200, {"allowed": False})
    assert http("GET", f"{check}{query}&subject_id=bob") == (403, {"allowed": False})
    assert http("GET", f"{check}{query}&subject_id=alice") == (200, {"allowed": True})
    status, error = http("GET", f"{check}/openapi?namespace=accounts&subject_id=alice")
    assert status == 400 and error["error"]["message"].startswith("incomplete tuple")  # type: ignore[index]
    status, error = http("GET", f"{check}/openapi{query}&subject_id=a&subject_set.namespace=x")
    assert status == 400 and "exactly one of" in error["error"]["message"]  # type: ignore[index]
    assert http("GET", f"{check}/openapi?namespace=nope&object=A&relation=r&subject_id=a") == (
        200,
        {"allowed": False},
    )
    status, error = http("GET", f"{keto.read_url}/relation-tuples?namespace=nope")
    assert status == 404 and error == {  # type: ignore[comparison-overlap]
        "error": {
            "code": 404,
            "status": "Not Found",
            "message": "The requested resource could not be found",
            "reason": 'Unknown namespace with name "nope".',
        }
    }
    assert http("DELETE", f"{keto.write_url}/admin/relation-tuples?object=A")[0] == 400
    assert http("DELETE", f"{keto.write_url}/admin/relation-tuples?namespace=accounts") == (
        204,
        None,
    )
    assert http("GET", f"{keto.read_url}/relation-tuples") == (
        200,
        {"relation_tuples": [], "next_page_token": ""},
    )
    assert (
        http("PATCH", f"{keto.write_url}/admin/relation-tuples", [{"action": "upsert"}])[0] == 400
    )
    assert http("PUT", f"{keto.read_url}/admin/relation-tuples", {})[0] == 404  # write API only
