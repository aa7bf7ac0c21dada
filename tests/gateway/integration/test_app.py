"""The HTTP app: lifespan-owned pool, health check, GraphiQL, the principal header, and the
error codes of requests that fail before or outside our resolvers."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from gateway import create_app
from gateway.database import DatabaseUrlError


def test_healthz_is_ok_after_a_database_round_trip(client) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_healthz_reports_an_unusable_database_as_unavailable(client) -> None:
    client.portal.call(client.app_state["pool"].close)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["detail"].startswith("read-model database:")


def test_the_pool_lives_in_lifespan_state_and_is_closed_on_shutdown(
    read_model_url, commands, access
) -> None:
    with TestClient(
        create_app(read_model_url, commands, security=access.security())
    ) as test_client:
        pool = test_client.app_state["pool"]
        assert not pool.is_closing()
    assert pool.is_closing()


def test_a_libpq_connect_timeout_in_the_url_does_not_reach_the_server(
    read_model_url, commands, access
) -> None:
    # The embedded server's URL already has a query (``?host=<socket dir>``); a TCP one has none.
    url = read_model_url + ("&" if "?" in read_model_url else "?") + "connect_timeout=5"
    with TestClient(create_app(url, commands, security=access.security())) as test_client:
        assert test_client.get("/healthz").json() == {"status": "ok"}


def test_an_unreachable_database_fails_the_startup_loudly(commands, tmp_path, access) -> None:
    app = create_app(
        f"postgresql://postgres:@/nowhere?host={tmp_path}", commands, security=access.security()
    )
    with pytest.raises(OSError), TestClient(app):
        pass


def test_a_url_that_is_not_postgres_is_refused_when_the_app_is_built(commands, access) -> None:
    with pytest.raises(DatabaseUrlError, match="'mysql'"):
        create_app("mysql://db/rm", commands, security=access.security())


def test_graphiql_is_served_to_a_browser(client) -> None:
    response = client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


def test_the_old_principal_header_proves_nothing(client) -> None:
    """Asserting a name in a header is not authentication (unless --insecure-dev-auth)."""
    response = client.post(
        "/graphql",
        json={"query": "{ instruments { instrumentId } }"},
        headers={"X-QuantVista-Principal": "tester", "Authorization": ""},
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_query_that_does_not_parse_is_graphql_parse_failed(graphql, codes) -> None:
    body = graphql("{ instruments { instrumentId }")
    assert codes(body) == ["GRAPHQL_PARSE_FAILED"]
    assert body["errors"][0]["message"].startswith("Syntax Error")


def test_a_field_the_schema_lacks_is_graphql_validation_failed(graphql, codes) -> None:
    body = graphql("{ instruments { ticker } }")
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "Cannot query field 'ticker' on type 'Instrument'" in body["errors"][0]["message"]


def test_a_missing_required_argument_is_graphql_validation_failed(graphql, codes) -> None:
    body = graphql("{ portfolio { cash } }")
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "accountId" in body["errors"][0]["message"]


def test_an_internal_failure_is_masked_for_the_client_and_logged_in_full(
    graphql, codes, insert, make_order_row, caplog
) -> None:
    insert("rm_orders", [make_order_row(1, status="HALF_DONE")])
    with caplog.at_level(logging.ERROR, logger="gateway.errors"):
        body = graphql('{ orders(accountId: "acc-1") { edges { node { id } } } }')
    assert codes(body) == ["INTERNAL_SERVER_ERROR"]
    error_id = body["errors"][0]["extensions"]["errorId"]
    assert body["errors"][0]["message"] == (
        f"internal server error; the gateway log has the details (error id {error_id})"
    )
    assert "HALF_DONE" not in str(body)
    assert "HALF_DONE" in caplog.text
    # The id the client got finds the full error in the log.
    [record] = [r for r in caplog.records if error_id in r.getMessage()]
    assert record.exc_info is not None and "HALF_DONE" in str(record.exc_info[1])


def test_a_port_failure_that_is_not_a_refusal_is_an_internal_error(
    graphql, codes, commands
) -> None:
    def broken(*args, **kwargs):
        raise ConnectionError("event store at 10.0.0.7 unreachable")

    commands.place_order = broken
    body = graphql(
        'mutation { placeOrder(input: {accountId: "a", instrumentId: "AAPL", side: BUY, '
        'quantity: "1"}) { orderId } }'
    )
    assert codes(body) == ["INTERNAL_SERVER_ERROR"]
    assert "10.0.0.7" not in str(body)
