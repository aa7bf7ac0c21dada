"""GraphQL over HTTP as the GraphQL Foundation's specification describes it: media types and
status codes, GET for queries only, one coded error body for every refusal, operationName,
persisted queries and the allow-list, and the request limits (body, batch, depth, aliases,
cost, time) and load shedding — each with its own code."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway import GatewayConfig, create_app
from gateway.http import HttpLimits
from gateway.limits import Limits
from tests.access_helpers import TESTER

RESPONSE_JSON = "application/graphql-response+json"
PORTFOLIO = '{ portfolio(accountId: "acc-1") { cash } }'
PLACE = (
    'mutation { placeOrder(input: {accountId: "acc-1", instrumentId: "AAPL", side: BUY, '
    'quantity: "1"}) { orderId } }'
)


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def post(
    client: TestClient,
    payload: Any,
    accept: str | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    sent = {"content-type": "application/json", **({"accept": accept} if accept else {})}
    return client.post("/graphql", content=json.dumps(payload), headers={**sent, **(headers or {})})


def test_the_new_media_type_is_answered_when_asked_for_and_json_otherwise(client) -> None:
    new = post(client, {"query": PORTFOLIO}, accept=RESPONSE_JSON)
    assert new.status_code == 200
    assert new.headers["content-type"].startswith(RESPONSE_JSON)
    legacy = post(client, {"query": PORTFOLIO}, accept="application/json")
    assert legacy.headers["content-type"].startswith("application/json")
    anything = post(client, {"query": PORTFOLIO}, accept="*/*")
    assert anything.headers["content-type"].startswith("application/json")
    preferred = post(
        client, {"query": PORTFOLIO}, accept=f"application/json;q=0.5, {RESPONSE_JSON}"
    )
    assert preferred.headers["content-type"].startswith(RESPONSE_JSON)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ portfolio(accountId: ", "GRAPHQL_PARSE_FAILED"),
        ("{ nosuchfield }", "GRAPHQL_VALIDATION_FAILED"),
    ],
)
def test_a_request_that_cannot_run_is_400_with_the_new_media_type_and_200_with_json(
    client, query: str, code: str
) -> None:
    new = post(client, {"query": query}, accept=RESPONSE_JSON)
    assert (new.status_code, codes(new.json()), "data" in new.json()) == (400, [code], False)
    legacy = post(client, {"query": query}, accept="application/json")
    assert (legacy.status_code, codes(legacy.json())) == (200, [code])


def test_bad_variables_are_a_request_error_but_a_failing_field_is_not(client) -> None:
    bad = post(
        client,
        {"query": "query ($a: String!) { portfolio(accountId: $a) { cash } }", "variables": {}},
        accept=RESPONSE_JSON,
    )
    assert (bad.status_code, codes(bad.json())) == (400, ["BAD_USER_INPUT"])
    field = post(client, {"query": '{ portfolio(accountId: " ") { cash } }'}, accept=RESPONSE_JSON)
    assert field.status_code == 200
    assert field.json()["data"] == {"portfolio": None} and codes(field.json()) == ["BAD_USER_INPUT"]


def test_get_runs_queries_and_refuses_mutations_with_405(client, commands) -> None:
    query = client.get("/graphql", params={"query": PORTFOLIO}, headers={"accept": RESPONSE_JSON})
    assert (query.status_code, query.json()) == (200, {"data": {"portfolio": None}})
    mutation = client.get("/graphql", params={"query": PLACE})
    assert mutation.status_code == 405
    assert mutation.headers["allow"] == "POST"
    assert codes(mutation.json()) == ["METHOD_NOT_ALLOWED"]
    assert commands.placed == []


def test_a_subscription_over_http_is_refused_and_points_at_websocket(client) -> None:
    response = post(client, {"query": 'subscription { fills(accountId: "a") { cursor } }'})
    assert response.status_code == 405
    assert "WebSocket" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("content_type", "body", "status", "code"),
    [
        ("text/plain", PORTFOLIO, 415, "UNSUPPORTED_MEDIA_TYPE"),
        ("application/json", "{not json", 400, "BAD_REQUEST"),
        ("application/json", "42", 400, "BAD_REQUEST"),
        ("application/json", json.dumps({"query": 7}), 400, "BAD_REQUEST"),
        ("application/json", json.dumps({"query": PORTFOLIO, "variables": []}), 400, "BAD_REQUEST"),
        ("application/json", json.dumps({"variables": {}}), 400, "BAD_REQUEST"),
        ("application/json", "[]", 400, "BAD_REQUEST"),
    ],
)
def test_malformed_requests_get_the_coded_error_body_never_a_framework_detail(
    client, content_type: str, body: str, status: int, code: str
) -> None:
    response = client.post("/graphql", content=body, headers={"content-type": content_type})
    assert response.status_code == status
    assert list(response.json()) == ["errors"]
    assert codes(response.json()) == [code]


def test_an_unacceptable_accept_header_is_406(client) -> None:
    response = post(client, {"query": PORTFOLIO}, accept="text/csv")
    assert (response.status_code, codes(response.json())) == (406, ["NOT_ACCEPTABLE"])


def test_credentials_that_are_not_ours_are_a_coded_401_with_nothing_echoed(client) -> None:
    response = post(client, {"query": PORTFOLIO}, headers={"Authorization": "Bearer abc.def.ghi"})
    assert (response.status_code, codes(response.json())) == (401, ["UNAUTHENTICATED"])
    assert response.headers["www-authenticate"] == "Bearer"
    assert "abc" not in response.text


def test_several_operations_need_an_operation_name(client) -> None:
    document = "query A { instruments { instrumentId } } query B { accounts { accountId } }"
    refused = post(client, {"query": document})
    assert refused.status_code == 400
    assert "operationName" in refused.json()["errors"][0]["message"]
    chosen = post(client, {"query": document, "operationName": "B"})
    assert chosen.json() == {"data": {"accounts": []}}
    unknown = post(client, {"query": document, "operationName": "C"})
    assert (unknown.status_code, codes(unknown.json())) == (400, ["BAD_REQUEST"])


def test_a_batch_runs_in_order_and_is_bounded(client) -> None:
    batch = [{"query": PORTFOLIO}, {"query": "{ instruments { instrumentId } }"}]
    response = post(client, batch)
    assert response.json() == [{"data": {"portfolio": None}}, {"data": {"instruments": []}}]
    too_many = post(client, [{"query": PORTFOLIO}] * 11)
    assert (too_many.status_code, codes(too_many.json())) == (400, ["BATCH_TOO_LARGE"])


def test_automatic_persisted_queries_register_by_hash_then_run_by_hash(client) -> None:
    digest = hashlib.sha256(PORTFOLIO.encode()).hexdigest()
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    unknown = post(client, {"extensions": persisted})
    assert codes(unknown.json()) == ["PERSISTED_QUERY_NOT_FOUND"]
    registered = post(client, {"query": PORTFOLIO, "extensions": persisted})
    assert registered.json() == {"data": {"portfolio": None}}
    by_hash = post(client, {"extensions": persisted})
    assert by_hash.json() == {"data": {"portfolio": None}}
    wrong = post(
        client,
        {
            "query": PORTFOLIO,
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}},
        },
    )
    assert (wrong.status_code, codes(wrong.json())) == (400, ["BAD_REQUEST"])


@pytest.fixture
def gateway(read_model_url, commands, access):  # type: ignore[no-untyped-def]
    """A gateway with a chosen configuration, signed in as ``tester``: ``gateway(config)``."""
    clients: list[TestClient] = []

    def make(config: GatewayConfig) -> TestClient:
        client = TestClient(
            create_app(read_model_url, commands, security=access.security(), config=config),
            headers=access.headers(TESTER),
        )
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def test_with_an_allow_list_only_its_documents_run(gateway) -> None:
    digest = hashlib.sha256(PORTFOLIO.encode()).hexdigest()
    client = gateway(GatewayConfig(allowlist={digest: PORTFOLIO}))
    assert post(client, {"query": PORTFOLIO}).json() == {"data": {"portfolio": None}}
    by_hash = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    assert post(client, {"extensions": by_hash}).json() == {"data": {"portfolio": None}}
    other = post(client, {"query": "{ instruments { instrumentId } }"})
    assert (other.status_code, codes(other.json())) == (400, ["PERSISTED_QUERY_NOT_ALLOWED"])


def test_an_allow_list_entry_must_hash_to_its_key(access) -> None:
    with pytest.raises(ValueError, match="does not hash"):
        create_app(
            "postgresql://x@/y",
            None,  # type: ignore[arg-type]
            security=access.security(),
            config=GatewayConfig(allowlist={"0" * 64: "{ a }"}),
        )


def test_a_body_over_the_limit_is_413(gateway) -> None:
    client = gateway(GatewayConfig(http=HttpLimits(max_body_bytes=1024)))
    response = post(client, {"query": PORTFOLIO + " " * 2000})
    assert (response.status_code, codes(response.json())) == (413, ["REQUEST_TOO_LARGE"])


def test_a_document_with_too_many_tokens_is_refused_unparsed(client) -> None:
    response = post(client, {"query": "{ " + "instruments { instrumentId } " * 2000 + "}"})
    assert codes(response.json()) == ["GRAPHQL_PARSE_FAILED"]
    assert "tokens" in response.json()["errors"][0]["message"]


def test_depth_aliases_and_cost_each_have_their_code_with_limit_and_value(client) -> None:
    aliased = (
        "{ "
        + " ".join(
            f'a{n}: orders(accountId: "acc-1", first: 500) '
            "{ edges { node { events { type } } } }"
            for n in range(100)
        )
        + " }"
    )
    body = post(client, {"query": aliased}, accept=RESPONSE_JSON)
    assert body.status_code == 400
    assert set(codes(body.json())) == {"TOO_MANY_ALIASES", "QUERY_TOO_COMPLEX"}
    aliases = next(
        e for e in body.json()["errors"] if e["extensions"]["code"] == "TOO_MANY_ALIASES"
    )
    assert (aliases["extensions"]["limit"], aliases["extensions"]["value"]) == (30, 100)
    one = (
        '{ orders(accountId: "acc-1", first: 500) { edges { node { orderId '
        "events { type payload } fills { price } } } } }"
    )
    assert "errors" not in post(client, {"query": one}).json()  # the biggest sane page runs
    variables_count = post(
        client,
        {
            "query": 'query ($n: Int) { a: orders(accountId: "x", first: $n) { edges { node '
            '{ events { type } fills { price } } } } b: orders(accountId: "y", first: $n) '
            "{ edges { node { events { type } fills { price } } } } }",
            "variables": {"n": 500},
        },
    )
    assert codes(variables_count.json()) == ["QUERY_TOO_COMPLEX"]


def test_a_deep_query_is_refused_by_depth(gateway) -> None:
    client = gateway(GatewayConfig(limits=Limits(max_depth=3)))
    deep = '{ orders(accountId: "acc-1") { edges { node { events { type } } } } }'
    body = post(client, {"query": deep}).json()
    assert codes(body) == ["QUERY_TOO_DEEP"]
    assert (body["errors"][0]["extensions"]["limit"], body["errors"][0]["extensions"]["value"]) == (
        3,
        5,
    )
    assert "errors" not in post(client, {"query": "{ __schema { types { fields { type { "
                                        "ofType { ofType { name } } } } } } }"}).json()  # fmt: skip


def test_beyond_the_concurrency_limit_requests_are_shed_with_503_and_retry_after(
    gateway, commands
) -> None:
    import threading

    release = threading.Event()
    entered = threading.Event()
    slow = commands.place_order

    def blocking(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        release.wait(10)
        return slow(*args, **kwargs)

    commands.place_order = blocking  # type: ignore[method-assign]
    client = gateway(GatewayConfig(max_in_flight=1, retry_after_s=2))
    results: list[Any] = []
    first = threading.Thread(target=lambda: results.append(post(client, {"query": PLACE})))
    first.start()
    assert entered.wait(10)
    shed = post(client, {"query": PORTFOLIO})
    release.set()
    first.join(10)
    assert (shed.status_code, shed.headers["retry-after"], codes(shed.json())) == (
        503,
        "2",
        ["OVERLOADED"],
    )
    assert results[0].status_code == 200 and "errors" not in results[0].json()
    assert post(client, {"query": PORTFOLIO}).status_code == 200  # capacity is back


def test_a_query_over_its_time_budget_is_504_and_a_mutation_is_never_cut_off(
    gateway, commands
) -> None:
    import time

    slow = commands.place_order

    def sleepy(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.6)
        return slow(*args, **kwargs)

    commands.place_order = sleepy  # type: ignore[method-assign]
    client = gateway(GatewayConfig(http=HttpLimits(query_timeout_s=0.2)))
    placed = post(client, {"query": PLACE})
    assert placed.status_code == 200 and "errors" not in placed.json()
    slow_query = post(
        client,
        {"query": '{ a: portfolio(accountId: "x", minPosition: "5") { cash } }'},
    )
    assert (slow_query.status_code, codes(slow_query.json())) == (504, ["TIMEOUT"])


def test_cors_is_off_by_default_and_follows_the_allow_list(gateway) -> None:
    default = gateway(GatewayConfig())
    preflight = {
        "origin": "https://desk.example.com",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
    }
    assert (
        "access-control-allow-origin" not in default.options("/graphql", headers=preflight).headers
    )
    allowed = gateway(GatewayConfig(cors_origins=("https://desk.example.com",)))
    response = allowed.options("/graphql", headers=preflight)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://desk.example.com"
    other = allowed.options("/graphql", headers={**preflight, "origin": "https://evil.example"})
    assert other.status_code == 400
    simple = post(allowed, {"query": PORTFOLIO}, headers={"origin": "https://desk.example.com"})
    assert simple.headers["access-control-allow-origin"] == "https://desk.example.com"


def test_a_cors_origin_that_is_not_an_origin_is_refused_at_startup() -> None:
    from gateway.config import GatewayConfigError

    with pytest.raises(GatewayConfigError, match="CORS origin"):
        GatewayConfig(cors_origins=("desk.example.com",))


def test_a_principal_over_its_rate_gets_429_with_retry_after_and_others_go_on(
    gateway, access
) -> None:
    from gateway.ratelimit import Rate, RateLimits

    client = gateway(
        GatewayConfig(rate_limits=RateLimits(queries=Rate(0.5, 3), mutations=Rate(0.5, 1)))
    )
    access.grant("alice", "trader", ["acc-1"]).grant("bob", "risk")
    alice = access.headers("alice")
    for _ in range(3):
        assert post(client, {"query": PORTFOLIO}, headers=alice).status_code == 200
    refused = post(client, {"query": PORTFOLIO}, headers=alice, accept=RESPONSE_JSON)
    assert (refused.status_code, codes(refused.json())) == (429, ["RATE_LIMITED"])
    assert refused.headers["retry-after"] == "2"
    assert post(client, {"query": PORTFOLIO}, headers=access.headers("bob")).status_code == 200
    assert "errors" not in post(client, {"query": PLACE}, headers=alice).json()  # its own bucket
    assert post(client, {"query": PLACE}, headers=alice).status_code == 429


def test_with_introspection_off_the_schema_cannot_be_explored_but_queries_run(gateway) -> None:
    client = gateway(GatewayConfig(introspection=False, graphiql=False))
    refused = post(client, {"query": "{ __schema { types { name } } }"}, accept=RESPONSE_JSON)
    assert refused.status_code == 400
    assert set(codes(refused.json())) == {"GRAPHQL_VALIDATION_FAILED"}
    assert "introspection" in refused.json()["errors"][0]["message"]
    assert post(client, {"query": PORTFOLIO}).json() == {"data": {"portfolio": None}}
    page = client.get("/graphql", headers={"accept": "text/html"})
    assert "GraphiQL" not in page.text
