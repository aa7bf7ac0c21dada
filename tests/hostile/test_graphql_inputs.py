"""Hostile GraphQL inputs: Hypothesis over ``placeOrder`` / ``cancelOrder`` inputs and query
arguments (huge, empty, unicode and control characters, wrong types, negative, NaN/Infinity,
exponent forms, junk variables). Every case ends in a GraphQL error with a code — and for a
value that does not fit, the field — never ``INTERNAL_SERVER_ERROR`` or an HTTP 500, and an
order the port receives always has a positive quantity of bounded digits.

The app runs once per module (Hypothesis forbids function-scoped fixtures inside ``@given``)
on the session's embedded PostgreSQL with empty read-model tables, built like the gateway
tests' ``module_read_model_url``; the order port is a small fake that records what it gets.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bounded_contexts.execution.domain.errors import UnknownInstrument
from events.effects import PROJECTION_TRACKING_DDL
from gateway import GatewayConfig, create_app
from gateway.ports import OrderOutcome, Principal
from gateway.scalars import MAX_FRACTION_DIGITS, MAX_INTEGER_DIGITS
from quantvista.embedded import Infrastructure
from tests.access_helpers import TESTER, access_for_tester
from tests.gateway.conftest import recorded

SCHEMA_SQL = Path(__file__).resolve().parents[2] / "projections" / "schema.sql"
HOSTILE = settings(
    max_examples=60,
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CODES = {
    "BAD_USER_INPUT",
    "GRAPHQL_VALIDATION_FAILED",
    "GRAPHQL_PARSE_FAILED",
    "NOT_FOUND",
    "FORBIDDEN",  # an account the tester may not trade: refused whether it exists or not
}


class RecordingOrderCommands:
    """The order port: knows AAPL, records every order, finds no order to cancel."""

    def __init__(self) -> None:
        self.placed: list[dict[str, Any]] = []

    def place_order(self, principal: Principal, **fields: Any) -> OrderOutcome:
        if fields["instrument_id"] != "AAPL":
            raise UnknownInstrument(fields["instrument_id"])
        self.placed.append(fields)
        return OrderOutcome(
            recorded(
                UUID(int=1), principal, status="ACCEPTED", reason=None, submitted_position=1,
                **fields,
            ),
            2,
        )  # fmt: skip

    def cancel_order(self, principal: Principal, *, order_id: UUID) -> None:
        from bounded_contexts.execution.domain.errors import OrderNotFound

        raise OrderNotFound(order_id)


@pytest.fixture(scope="module")
def port() -> RecordingOrderCommands:
    return RecordingOrderCommands()


@pytest.fixture(scope="module")
def client(
    infrastructure: Infrastructure,
    port: RecordingOrderCommands,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[TestClient]:
    name = "hostile_" + uuid.uuid4().hex[:12]
    with psycopg.connect(infrastructure.database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    head, _, query = infrastructure.database_url.partition("?")
    url = f"{head.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SCHEMA_SQL.read_text())
        conn.execute(PROJECTION_TRACKING_DDL)
    access = access_for_tester(tmp_path_factory.mktemp("identity"))
    app = create_app(
        url,
        port,
        security=access.security(),
        config=GatewayConfig(pool_min_size=1, pool_max_size=2),
    )
    with TestClient(app, headers=access.headers(TESTER)) as test_client:
        yield test_client


# --- generators ------------------------------------------------------------------------------

UNICODE_DIGITS = "0123456789\u0660\u0661\u0669\u06f1\u0966\uff10\uff11\u00b2\u2070\U0001d7ce"
number_texts = st.builds(
    lambda sign, integer, point, fraction, exponent: sign + integer + point + fraction + exponent,
    st.sampled_from(["", "-", "+"]),
    st.text(UNICODE_DIGITS, max_size=30),
    st.sampled_from(["", ".", "..", ","]),
    st.text(UNICODE_DIGITS, max_size=15),
    st.sampled_from(["", "e-30", "E5", "e+400", "e"]),
)
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.text(st.characters(max_codepoint=0x1F), max_size=10),  # control characters
    number_texts,
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e-30", "0.0000001", "", " ", "9" * 10_000]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
identifiers = st.one_of(st.sampled_from(["AAPL", "acc-1"]), st.text(max_size=200), junk)
order_inputs = st.fixed_dictionaries(
    {},
    optional={
        "accountId": identifiers,
        "instrumentId": identifiers,
        "side": st.one_of(st.sampled_from(["BUY", "SELL", "HOLD", "buy"]), junk),
        "orderType": st.one_of(st.sampled_from(["MARKET", "LIMIT"]), junk),
        "quantity": st.one_of(number_texts, junk),
        "limitPrice": st.one_of(number_texts, junk),
    },
)

PLACE = "mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { orderId } }"
CANCEL = "mutation ($id: ID!) { cancelOrder(orderId: $id) { orderId } }"
ORDERS = """
query ($account: String!, $first: Int!, $after: String, $instrument: String) {
  orders(accountId: $account, first: $first, after: $after, instrumentId: $instrument) {
    edges { cursor } pageInfo { hasNextPage }
  }
}
"""


def post(client: TestClient, query: str, variables: Any) -> dict[str, Any]:
    # NaN and Infinity as the bare tokens Python's json module (the server's too) reads.
    payload = json.dumps({"query": query, "variables": variables}, allow_nan=True)
    response = client.post(
        "/graphql", content=payload, headers={"content-type": "application/json"}
    )
    assert response.status_code in (200, 400), response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    if response.status_code == 400:
        # Variables that are not a JSON object: refused before any GraphQL processing, with
        # the same coded body as every other refusal (GraphQL over HTTP).
        assert not isinstance(variables, dict) and variables is not None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_REQUEST"]
        return body
    for error in body.get("errors") or []:
        code = error.get("extensions", {}).get("code")
        assert code in CODES, error
        if code == "BAD_USER_INPUT":
            assert error["extensions"].get("field"), error
        assert len(error["message"]) < 1_000
    return body


def bounded(value: Decimal) -> bool:
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    integer_digits = max(len(digits) + exponent, 0)
    return integer_digits <= MAX_INTEGER_DIGITS and -exponent <= MAX_FRACTION_DIGITS


# --- properties ------------------------------------------------------------------------------


@HOSTILE
@given(order_input=order_inputs)
def test_any_place_order_input_is_coded_or_a_sane_order(
    client: TestClient, port: RecordingOrderCommands, order_input: dict[str, Any]
) -> None:
    port.placed.clear()
    body = post(client, PLACE, {"input": order_input})
    if not body.get("errors"):
        [order] = port.placed
        assert order["quantity"] > 0 and bounded(order["quantity"])
        assert order["limit_price"] is None or (
            order["limit_price"] > 0 and bounded(order["limit_price"])
        )
    else:
        assert port.placed == []


@HOSTILE
@given(variables=st.one_of(junk, st.dictionaries(st.text(max_size=8), junk, max_size=3)))
def test_junk_variables_are_coded_errors(client: TestClient, variables: Any) -> None:
    body = post(client, PLACE, variables)
    assert body.get("errors")


@HOSTILE
@given(literal=st.one_of(number_texts, st.sampled_from(["1e-30", "9" * 5_000, "-0", "1.5e3"])))
def test_any_quantity_literal_in_the_query_text_is_coded_or_sane(
    client: TestClient, port: RecordingOrderCommands, literal: str
) -> None:
    port.placed.clear()
    query = (
        'mutation { placeOrder(input: {accountId: "acc-1", instrumentId: "AAPL", side: BUY, '
        f"quantity: {literal}}}) {{ orderId }} }}"
    )
    body = post(client, query, {})
    if not body.get("errors"):
        assert port.placed[0]["quantity"] > 0 and bounded(port.placed[0]["quantity"])


@HOSTILE
@given(order_id=st.one_of(st.text(max_size=100), junk))
def test_any_cancel_order_id_is_a_coded_error(client: TestClient, order_id: Any) -> None:
    assert post(client, CANCEL, {"id": order_id}).get("errors")


@HOSTILE
@given(
    account=identifiers,
    first=st.one_of(st.integers(min_value=-(2**40), max_value=2**40), junk),
    after=st.one_of(st.none(), st.text(max_size=80), junk),
    instrument=st.one_of(st.none(), identifiers),
)
def test_any_orders_arguments_are_coded_or_a_page(
    client: TestClient, account: Any, first: Any, after: Any, instrument: Any
) -> None:
    variables = {"account": account, "first": first, "after": after, "instrument": instrument}
    body = post(client, ORDERS, variables)
    if not body.get("errors"):
        assert body["data"]["orders"]["edges"] == []


@HOSTILE
@given(account=identifiers, order_id=st.one_of(st.text(max_size=80), junk))
def test_any_account_or_order_id_in_queries_is_coded_or_empty(
    client: TestClient, account: Any, order_id: Any
) -> None:
    query = (
        "query ($a: String!, $id: ID!) { portfolio(accountId: $a) { cash } order(id: $id) { id } }"
    )
    body = post(client, query, {"a": account, "id": order_id})
    if not body.get("errors"):
        assert body["data"] == {"portfolio": None, "order": None}


@pytest.mark.parametrize(
    "cursor",
    [
        "bzE6OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk6MDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAx",
        "x" * 10_000,
        "",
    ],
)
def test_a_forged_or_oversized_cursor_is_bad_user_input(client: TestClient, cursor: str) -> None:
    body = post(client, ORDERS, {"account": "acc-1", "first": 5, "after": cursor})
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "after"
