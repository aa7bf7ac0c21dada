"""``orders`` pages through an account's orders exactly once each, oldest first, filters by
status and instrument, and ``order`` returns one order with its full history and fills."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

PAGE_QUERY = """
query ($account: String!, $status: [OrderStatus!], $instrument: String, $first: Int!,
       $after: String) {
  orders(accountId: $account, status: $status, instrumentId: $instrument, first: $first,
         after: $after) {
    edges { cursor node { id status instrumentId tsSubmitted } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

ORDER_QUERY = """
query ($id: ID!) {
  order(id: $id) {
    id accountId instrumentId side orderType quantity limitPrice status filledQuantity
    averageFillPrice rejectReason origin decisionId tsSubmitted tsSubmittedIso tsUpdated
    tsUpdatedIso version
    events { orderId version type tsEvent tsEventIso payload }
    fills { orderId fillSeq accountId instrumentId side quantity price fee tsEvent tsEventIso }
  }
}
"""

BASE_TS = 1_704_205_800_000_000_000
STATUSES = ["NEW", "ACCEPTED", "PARTIALLY_FILLED", "FILLED", "CANCELLED", "REJECTED"]


@pytest.fixture
def many_orders(insert, make_order_row) -> list[dict[str, Any]]:
    """23 orders of acc-1 in shuffled insertion order, with ties on ts_submitted, plus noise
    from another account; returns acc-1's rows in (ts_submitted, order_id) order."""
    rows = []
    for number in range(1, 24):
        rows.append(
            make_order_row(
                number,
                # Reversed ids against time, and pairs sharing a timestamp: id breaks ties.
                order_id=UUID(int=(97 * number) % 101),
                ts_submitted=BASE_TS + (number // 2) * 1_000,
                status=STATUSES[number % len(STATUSES)],
                instrument_id="AAPL" if number % 3 else "MSFT",
            )
        )
    insert("rm_orders", rows[::2] + rows[1::2])
    insert("rm_orders", [make_order_row(200 + n, account_id="acc-2") for n in range(3)])
    return sorted(rows, key=lambda row: (row["ts_submitted"], row["order_id"]))


def walk(graphql, first: int, **filters: Any) -> tuple[list[dict[str, Any]], int]:
    """Every node of the account, page by page; also the number of pages."""
    nodes, after, pages = [], None, 0
    while True:
        body = graphql(PAGE_QUERY, {"account": "acc-1", "first": first, "after": after, **filters})
        assert "errors" not in body, body
        connection = body["data"]["orders"]
        pages += 1
        nodes += [edge["node"] for edge in connection["edges"]]
        if connection["edges"]:
            assert connection["pageInfo"]["endCursor"] == connection["edges"][-1]["cursor"]
        if not connection["pageInfo"]["hasNextPage"]:
            return nodes, pages
        after = connection["pageInfo"]["endCursor"]


@pytest.mark.parametrize("first", [1, 4, 22, 23, 500])
def test_paging_walks_every_order_exactly_once_in_submission_order(
    graphql, many_orders, first: int
) -> None:
    nodes, pages = walk(graphql, first)
    assert [node["id"] for node in nodes] == [str(row["order_id"]) for row in many_orders]
    assert pages == -(-len(many_orders) // first)
    assert [int(node["tsSubmitted"]) for node in nodes] == [
        row["ts_submitted"] for row in many_orders
    ]


def test_the_last_page_has_no_next_page_and_an_empty_account_has_no_cursor(graphql) -> None:
    body = graphql(PAGE_QUERY, {"account": "acc-1", "first": 10})
    assert body["data"]["orders"] == {
        "edges": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }


def test_the_status_filter_keeps_only_the_listed_statuses(graphql, many_orders) -> None:
    wanted = ["FILLED", "CANCELLED"]
    nodes, _ = walk(graphql, 3, status=wanted)
    expected = [str(row["order_id"]) for row in many_orders if row["status"] in wanted]
    assert [node["id"] for node in nodes] == expected
    assert {node["status"] for node in nodes} == set(wanted)


def test_the_instrument_filter_combines_with_the_status_filter(graphql, many_orders) -> None:
    nodes, _ = walk(graphql, 2, status=["NEW", "ACCEPTED", "FILLED"], instrument="MSFT")
    expected = [
        str(row["order_id"])
        for row in many_orders
        if row["instrument_id"] == "MSFT" and row["status"] in ("NEW", "ACCEPTED", "FILLED")
    ]
    assert expected
    assert [node["id"] for node in nodes] == expected


def test_orders_default_to_pages_of_fifty(graphql, insert, make_order_row) -> None:
    insert("rm_orders", [make_order_row(n) for n in range(1, 53)])
    body = graphql('{ orders(accountId: "acc-1") { edges { cursor } pageInfo { hasNextPage } } }')
    assert len(body["data"]["orders"]["edges"]) == 50
    assert body["data"]["orders"]["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize("first", [0, -1, 501])
def test_a_page_size_outside_one_to_five_hundred_is_bad_user_input(
    graphql, codes, first: int
) -> None:
    body = graphql(PAGE_QUERY, {"account": "acc-1", "first": first})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == f"first must be between 1 and 500, got {first}"
    assert body["errors"][0]["extensions"]["field"] == "first"


def test_an_invalid_cursor_is_bad_user_input_naming_after(graphql, codes) -> None:
    body = graphql(PAGE_QUERY, {"account": "acc-1", "first": 5, "after": "bm90IGEgY3Vyc29y"})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"].startswith("invalid cursor 'bm90IGEgY3Vyc29y'")
    assert body["errors"][0]["extensions"]["field"] == "after"


def test_an_empty_status_list_is_bad_user_input_not_an_empty_page(graphql, codes) -> None:
    body = graphql(PAGE_QUERY, {"account": "acc-1", "first": 5, "status": []})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "status must name at least one status" in body["errors"][0]["message"]


def test_an_unknown_status_is_bad_user_input(graphql, codes) -> None:
    body = graphql(PAGE_QUERY, {"account": "acc-1", "first": 5, "status": ["OPEN"]})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "'OPEN' does not exist in 'OrderStatus' enum" in body["errors"][0]["message"]


def test_a_non_integer_page_size_is_bad_user_input(graphql, codes) -> None:
    body = graphql(PAGE_QUERY, {"account": "acc-1", "first": "ten"})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "$first" in body["errors"][0]["message"]


@pytest.fixture
def one_order(insert, make_order_row) -> str:
    order = make_order_row(
        7,
        order_type="LIMIT",
        limit_price=Decimal("150.50"),
        status="PARTIALLY_FILLED",
        filled_quantity=Decimal("6"),
        average_fill_price=Decimal("150.125"),
        origin="MANUAL",
        decision_id=None,
        ts_submitted=1_704_205_800_123_456_789,
        ts_updated=1_704_205_801_000_000_001,
    )
    order_id = order["order_id"]
    insert("rm_orders", [order, make_order_row(8)])
    insert(
        "rm_order_events",
        [
            {
                "order_id": order_id,
                "version": version,
                "event_type": event_type,
                "ts_event": 1_704_205_800_123_456_789 + version,
                "payload": payload,
            }
            for version, event_type, payload in [
                (3, "OrderFilled", {"quantity": "2", "price": "150.00"}),
                (1, "OrderSubmitted", {"quantity": "10", "limit_price": "150.50"}),
                (2, "OrderAccepted", {}),
                (4, "OrderFilled", {"quantity": "4", "price": "150.1875"}),
            ]
        ],
    )
    insert(
        "rm_fills",
        [
            {
                "order_id": order_id,
                "fill_seq": seq,
                "account_id": "acc-1",
                "instrument_id": "AAPL",
                "side": "BUY",
                "quantity": Decimal(quantity),
                "price": Decimal(price),
                "fee": Decimal("0.01"),
                "ts_event": 1_704_205_800_123_456_789 + 2 + seq,
            }
            for seq, quantity, price in [(2, "4", "150.1875"), (1, "2", "150.00")]
        ],
    )
    return str(order_id)


def test_an_order_returns_every_column_of_its_row(graphql, one_order) -> None:
    order = graphql(ORDER_QUERY, {"id": one_order})["data"]["order"]
    fields = {key: value for key, value in order.items() if key not in ("events", "fills")}
    assert fields == {
        "id": one_order,
        "accountId": "acc-1",
        "instrumentId": "AAPL",
        "side": "BUY",
        "orderType": "LIMIT",
        "quantity": "10",
        "limitPrice": "150.50",
        "status": "PARTIALLY_FILLED",
        "filledQuantity": "6",
        "averageFillPrice": "150.125",
        "rejectReason": None,
        "origin": "MANUAL",
        "decisionId": None,
        "tsSubmitted": "1704205800123456789",
        "tsSubmittedIso": "2024-01-02T14:30:00.123456789Z",
        "tsUpdated": "1704205801000000001",
        "tsUpdatedIso": "2024-01-02T14:30:01.000000001Z",
        "version": 3,
    }


def test_an_order_carries_its_full_event_history_in_version_order(graphql, one_order) -> None:
    events = graphql(ORDER_QUERY, {"id": one_order})["data"]["order"]["events"]
    assert [(event["version"], event["type"]) for event in events] == [
        (1, "OrderSubmitted"),
        (2, "OrderAccepted"),
        (3, "OrderFilled"),
        (4, "OrderFilled"),
    ]
    assert events[0] == {
        "orderId": one_order,
        "version": 1,
        "type": "OrderSubmitted",
        "tsEvent": "1704205800123456790",
        "tsEventIso": "2024-01-02T14:30:00.123456790Z",
        "payload": {"quantity": "10", "limit_price": "150.50"},
    }


def test_an_order_carries_its_fills_in_sequence(graphql, one_order) -> None:
    fills = graphql(ORDER_QUERY, {"id": one_order})["data"]["order"]["fills"]
    assert fills == [
        {
            "orderId": one_order,
            "fillSeq": 1,
            "accountId": "acc-1",
            "instrumentId": "AAPL",
            "side": "BUY",
            "quantity": "2",
            "price": "150.00",
            "fee": "0.01",
            "tsEvent": "1704205800123456792",
            "tsEventIso": "2024-01-02T14:30:00.123456792Z",
        },
        {
            "orderId": one_order,
            "fillSeq": 2,
            "accountId": "acc-1",
            "instrumentId": "AAPL",
            "side": "BUY",
            "quantity": "4",
            "price": "150.1875",
            "fee": "0.01",
            "tsEvent": "1704205800123456793",
            "tsEventIso": "2024-01-02T14:30:00.123456793Z",
        },
    ]
    assert sum(Decimal(fill["quantity"]) for fill in fills) == Decimal("6")


def test_each_order_on_a_page_gets_its_own_children(graphql, one_order) -> None:
    body = graphql(
        '{ orders(accountId: "acc-1") { edges { node { id events { version } '
        "fills { fillSeq } } } } }"
    )
    nodes = {edge["node"]["id"]: edge["node"] for edge in body["data"]["orders"]["edges"]}
    assert len(nodes) == 2
    assert [event["version"] for event in nodes[one_order]["events"]] == [1, 2, 3, 4]
    assert [fill["fillSeq"] for fill in nodes[one_order]["fills"]] == [1, 2]
    other = next(node for order_id, node in nodes.items() if order_id != one_order)
    assert (other["events"], other["fills"]) == ([], [])


def test_an_unknown_order_is_null(graphql) -> None:
    body = graphql(ORDER_QUERY, {"id": "6f1c2a56-0000-4000-8000-000000000000"})
    assert body == {"data": {"order": None}}


def test_an_order_id_that_is_not_a_uuid_is_bad_user_input(graphql, codes) -> None:
    body = graphql(ORDER_QUERY, {"id": "order-7"})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "id must be a UUID, got 'order-7'"
