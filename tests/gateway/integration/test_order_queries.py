"""``orders`` pages through an account's orders exactly once each — newest first by default,
by the store position of each order's submission — in both directions, with filters, a total
count and full page info; ``order`` and ``node`` return one order with its full history and
fills."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

PAGE_QUERY = """
query ($account: String!, $status: [OrderStatus!], $instrument: String, $first: Int,
       $after: String, $last: Int, $before: String, $sort: SortOrder = NEWEST_FIRST,
       $side: OrderSide, $origin: OrderOrigin, $algo: String, $from: UtcTimestamp,
       $to: UtcTimestamp) {
  orders(accountId: $account, status: $status, instrumentId: $instrument, first: $first,
         after: $after, last: $last, before: $before, sort: $sort, side: $side,
         origin: $origin, algoId: $algo, from: $from, to: $to) {
    edges { cursor node { orderId status instrumentId tsSubmitted position } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount
  }
}
"""

ORDER_QUERY = """
query ($id: ID!) {
  order(id: $id) {
    id orderId accountId instrumentId side orderType quantity limitPrice timeInForce expireAt
    status filledQuantity averageFillPrice rejectReason breaches { control limit value } origin
    decisionId algoId actor tsSubmitted tsSubmittedIso tsUpdated tsUpdatedIso version position
    updatedPosition
    events { orderId version type tsEvent tsEventIso position payload }
    fills { id orderId fillSeq accountId instrumentId side quantity price fee tsEvent tsEventIso
            position }
  }
}
"""

BASE_TS = 1_704_205_800_000_000_000
STATUSES = ["NEW", "ACCEPTED", "PARTIALLY_FILLED", "FILLED", "CANCELLED", "REJECTED"]


@pytest.fixture
def many_orders(insert, make_order_row) -> list[dict[str, Any]]:
    """23 orders of acc-1 whose submission times disagree with the order they were recorded
    in (a manual order's wall clock against strategy orders' bar clock), with ties, plus noise
    from another account; returns acc-1's rows in store order (``seq``)."""
    rows = []
    for number in range(1, 24):
        rows.append(
            make_order_row(
                number,
                order_id=UUID(int=(97 * number) % 101),
                ts_submitted=BASE_TS + ((23 - number) // 2) * 1_000,  # against store order
                status=STATUSES[number % len(STATUSES)],
                instrument_id="AAPL" if number % 3 else "MSFT",
                side="BUY" if number % 2 else "SELL",
                origin="MANUAL" if number % 5 == 0 else "STRATEGY",
                algo_id=None if number % 5 == 0 else f"algo-{number % 2}",
                seq=10 * number,
            )
        )
    insert("rm_orders", rows[::2] + rows[1::2])  # insertion order is not store order
    insert(
        "rm_orders",
        [make_order_row(200 + n, account_id="acc-2", seq=1000 + n) for n in range(3)],
    )
    return rows


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [str(row["order_id"]) for row in rows]


def walk(graphql, size: int, *, backward: bool = False, **filters: Any) -> tuple[list[str], int]:
    """Every order id of acc-1 in list order, page by page (forward with first/after, or
    backward with last/before); also the number of pages."""
    nodes: list[str] = []
    cursor, pages = None, 0
    while True:
        page_args = (
            {"last": size, "before": cursor} if backward else {"first": size, "after": cursor}
        )
        body = graphql(PAGE_QUERY, {"account": "acc-1", **page_args, **filters})
        assert "errors" not in body, body
        connection = body["data"]["orders"]
        pages += 1
        got = [edge["node"]["orderId"] for edge in connection["edges"]]
        nodes = got + nodes if backward else nodes + got
        info = connection["pageInfo"]
        if connection["edges"]:
            assert info["startCursor"] == connection["edges"][0]["cursor"]
            assert info["endCursor"] == connection["edges"][-1]["cursor"]
        if not (info["hasPreviousPage"] if backward else info["hasNextPage"]):
            return nodes, pages
        cursor = info["startCursor"] if backward else info["endCursor"]


@pytest.mark.parametrize("size", [1, 4, 22, 23, 500])
def test_paging_walks_every_order_exactly_once_newest_recorded_first(
    graphql, many_orders, size: int
) -> None:
    nodes, pages = walk(graphql, size)
    assert nodes == ids(many_orders)[::-1]
    assert pages == -(-len(many_orders) // size)


@pytest.mark.parametrize("size", [1, 5, 23])
def test_paging_back_from_the_end_and_oldest_first_give_the_same_walks(
    graphql, many_orders, size: int
) -> None:
    assert walk(graphql, size, backward=True)[0] == ids(many_orders)[::-1]
    assert walk(graphql, size, sort="OLDEST_FIRST")[0] == ids(many_orders)
    assert walk(graphql, size, backward=True, sort="OLDEST_FIRST")[0] == ids(many_orders)


def test_page_info_and_total_count_describe_the_whole_list(graphql, many_orders) -> None:
    first = graphql(PAGE_QUERY, {"account": "acc-1", "first": 5})["data"]["orders"]
    assert first["totalCount"] == 23
    assert (first["pageInfo"]["hasPreviousPage"], first["pageInfo"]["hasNextPage"]) == (
        False,
        True,
    )
    after = first["pageInfo"]["endCursor"]
    second = graphql(PAGE_QUERY, {"account": "acc-1", "first": 5, "after": after})
    info = second["data"]["orders"]["pageInfo"]
    assert (info["hasPreviousPage"], info["hasNextPage"]) == (True, True)
    before = graphql(PAGE_QUERY, {"account": "acc-1", "last": 3, "before": after})
    assert [e["node"]["orderId"] for e in before["data"]["orders"]["edges"]] == (
        ids(many_orders)[::-1][1:4]
    )
    window = graphql(
        PAGE_QUERY,
        {"account": "acc-1", "first": 50, "after": first["edges"][0]["cursor"], "before": after},
    )["data"]["orders"]
    assert [e["node"]["orderId"] for e in window["edges"]] == ids(many_orders)[::-1][1:4]


def test_orders_recorded_while_a_client_pages_are_neither_skipped_nor_repeated(
    graphql, insert, make_order_row
) -> None:
    """Paging oldest first while new orders arrive — some with submission times *earlier*
    than everything already seen (a manual order's wall clock, a replayed bar clock) — sees
    every order exactly once, the new ones at the end."""
    insert("rm_orders", [make_order_row(n, seq=n, ts_submitted=BASE_TS + n) for n in range(1, 21)])
    seen: list[str] = []
    after, added = None, 0
    while True:
        body = graphql(
            PAGE_QUERY, {"account": "acc-1", "first": 3, "after": after, "sort": "OLDEST_FIRST"}
        )
        connection = body["data"]["orders"]
        seen += [edge["node"]["orderId"] for edge in connection["edges"]]
        if added < 10:  # two more orders land between pages, dated before all the others
            insert(
                "rm_orders",
                [
                    make_order_row(100 + added + k, seq=100 + added + k, ts_submitted=BASE_TS - 9)
                    for k in range(2)
                ],
            )
            added += 2
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    expected = [str(UUID(int=n)) for n in [*range(1, 21), *range(100, 110)]]
    assert seen == expected


def test_the_status_filter_keeps_only_the_listed_statuses(graphql, many_orders) -> None:
    wanted = ["FILLED", "CANCELLED"]
    nodes, _ = walk(graphql, 3, status=wanted)
    assert nodes == [str(r["order_id"]) for r in many_orders[::-1] if r["status"] in wanted]
    body = graphql(PAGE_QUERY, {"account": "acc-1", "first": 1, "status": wanted})
    assert body["data"]["orders"]["totalCount"] == len(nodes)


def test_filters_combine_side_instrument_origin_algorithm_and_time(graphql, many_orders) -> None:
    nodes, _ = walk(graphql, 2, status=["NEW", "ACCEPTED", "FILLED"], instrument="MSFT")
    assert nodes == [
        str(r["order_id"])
        for r in many_orders[::-1]
        if r["instrument_id"] == "MSFT" and r["status"] in ("NEW", "ACCEPTED", "FILLED")
    ]
    assert nodes
    assert walk(graphql, 4, side="SELL", origin="STRATEGY")[0] == [
        str(r["order_id"]) for r in many_orders[::-1] if r["side"] == "SELL" and r["algo_id"]
    ]
    assert walk(graphql, 4, algo="algo-1")[0] == [
        str(r["order_id"]) for r in many_orders[::-1] if r["algo_id"] == "algo-1"
    ]
    assert walk(graphql, 4, origin="MANUAL")[0] == [
        str(r["order_id"]) for r in many_orders[::-1] if r["origin"] == "MANUAL"
    ]
    # [from, to): submission times from BASE_TS + 3 µs, before BASE_TS + 6 µs
    window = walk(
        graphql, 4, **{"from": "2024-01-02T14:30:00.000003Z", "to": "2024-01-02T14:30:00.000006Z"}
    )[0]
    assert window == [
        str(r["order_id"])
        for r in many_orders[::-1]
        if BASE_TS + 3_000 <= r["ts_submitted"] < BASE_TS + 6_000
    ]
    assert window


def test_a_time_range_that_ends_before_it_starts_is_bad_user_input(graphql, codes) -> None:
    body = graphql(
        PAGE_QUERY,
        {"account": "acc-1", "from": "2024-01-02T00:00:00Z", "to": "2024-01-01T00:00:00Z"},
    )
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "to"


def test_the_last_page_has_no_next_page_and_an_empty_account_has_no_cursor(graphql) -> None:
    body = graphql(PAGE_QUERY, {"account": "acc-1", "first": 10})
    assert body["data"]["orders"] == {
        "edges": [],
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
        "totalCount": 0,
    }


def test_orders_default_to_pages_of_fifty(graphql, insert, make_order_row) -> None:
    insert("rm_orders", [make_order_row(n) for n in range(1, 53)])
    body = graphql('{ orders(accountId: "acc-1") { edges { cursor } pageInfo { hasNextPage } } }')
    assert len(body["data"]["orders"]["edges"]) == 50
    assert body["data"]["orders"]["pageInfo"]["hasNextPage"] is True


def test_first_and_last_together_are_bad_user_input(graphql, codes) -> None:
    body = graphql(PAGE_QUERY, {"account": "acc-1", "first": 2, "last": 2})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "last"


@pytest.mark.parametrize("first", [0, -1, 501])
def test_a_page_size_outside_one_to_five_hundred_is_bad_user_input(
    graphql, codes, first: int
) -> None:
    body = graphql(PAGE_QUERY, {"account": "acc-1", "first": first})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == f"first must be between 1 and 500, got {first}"
    assert body["errors"][0]["extensions"]["field"] == "first"


@pytest.mark.parametrize("field", ["after", "before"])
@pytest.mark.parametrize(
    "cursor",
    [
        "bm90IGEgY3Vyc29y",
        base64.urlsafe_b64encode(b"c2:99999999999999999999").decode(),  # past a bigint
        base64.urlsafe_b64encode(b"o1:1:" + b"0" * 36).decode(),  # the old format
        "x" * 5000,
    ],
)
def test_an_invalid_cursor_is_bad_user_input_naming_it(
    graphql, codes, field: str, cursor: str
) -> None:
    body = graphql(PAGE_QUERY, {"account": "acc-1", field: cursor})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"].startswith("invalid cursor")
    assert body["errors"][0]["extensions"]["field"] == field


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
        actor="person:alice",
        seq=41,
        updated_seq=47,
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
                "seq": 40 + 2 * version,
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
                "seq": 44 + 2 * seq,
            }
            for seq, quantity, price in [(2, "4", "150.1875"), (1, "2", "150.00")]
        ],
    )
    return str(order_id)


def test_an_order_returns_every_column_of_its_row(graphql, one_order) -> None:
    order = graphql(ORDER_QUERY, {"id": one_order})["data"]["order"]
    fields = {key: value for key, value in order.items() if key not in ("events", "fills")}
    assert fields == {
        "id": base64.urlsafe_b64encode(f"Order:{one_order}".encode()).decode().rstrip("="),
        "orderId": one_order,
        "accountId": "acc-1",
        "instrumentId": "AAPL",
        "side": "BUY",
        "orderType": "LIMIT",
        "quantity": "10",
        "limitPrice": "150.5000",
        "timeInForce": "GTC",
        "expireAt": None,
        "status": "PARTIALLY_FILLED",
        "filledQuantity": "6",
        "averageFillPrice": "150.125000",
        "rejectReason": None,
        "breaches": [],
        "origin": "MANUAL",
        "decisionId": None,
        "algoId": None,
        "actor": "person:alice",
        "tsSubmitted": "1704205800123456789",
        "tsSubmittedIso": "2024-01-02T14:30:00.123456789Z",
        "tsUpdated": "1704205801000000001",
        "tsUpdatedIso": "2024-01-02T14:30:01.000000001Z",
        "version": 3,
        "position": "41",
        "updatedPosition": "47",
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
        "position": "42",
        "payload": {"quantity": "10", "limit_price": "150.50"},
    }


def fill_id(order_id: str, seq: int) -> str:
    return base64.urlsafe_b64encode(f"Fill:{order_id}:{seq}".encode()).decode().rstrip("=")


def test_an_order_carries_its_fills_in_sequence(graphql, one_order) -> None:
    fills = graphql(ORDER_QUERY, {"id": one_order})["data"]["order"]["fills"]
    assert fills == [
        {
            "id": fill_id(one_order, 1),
            "orderId": one_order,
            "fillSeq": 1,
            "accountId": "acc-1",
            "instrumentId": "AAPL",
            "side": "BUY",
            "quantity": "2",
            "price": "150.0000",
            "fee": "0.0100",
            "tsEvent": "1704205800123456792",
            "tsEventIso": "2024-01-02T14:30:00.123456792Z",
            "position": "46",
        },
        {
            "id": fill_id(one_order, 2),
            "orderId": one_order,
            "fillSeq": 2,
            "accountId": "acc-1",
            "instrumentId": "AAPL",
            "side": "BUY",
            "quantity": "4",
            "price": "150.1875",
            "fee": "0.0100",
            "tsEvent": "1704205800123456793",
            "tsEventIso": "2024-01-02T14:30:00.123456793Z",
            "position": "48",
        },
    ]
    assert sum(Decimal(fill["quantity"]) for fill in fills) == Decimal("6")


def test_an_order_and_a_fill_are_found_again_by_their_global_ids(graphql, one_order) -> None:
    order = graphql(ORDER_QUERY, {"id": one_order})["data"]["order"]
    by_global = graphql(ORDER_QUERY, {"id": order["id"]})["data"]["order"]
    assert by_global == order
    node = graphql(
        "query ($id: ID!) { node(id: $id) { id ... on Order { orderId status } "
        "... on Fill { orderId fillSeq price } } }",
        {"id": order["fills"][1]["id"]},
    )["data"]["node"]
    assert node == {"id": order["fills"][1]["id"], "orderId": one_order, "fillSeq": 2,
                    "price": "150.1875"}  # fmt: skip
    as_node = graphql(
        "query ($id: ID!) { node(id: $id) { id ... on Order { orderId status } } }",
        {"id": order["id"]},
    )["data"]["node"]
    assert as_node == {"id": order["id"], "orderId": one_order, "status": "PARTIALLY_FILLED"}


@pytest.mark.parametrize(
    "bad_id",
    ["nonsense", base64.urlsafe_b64encode(b"Account:acc-1").decode(), "x" * 1000],
)
def test_a_global_id_this_api_did_not_write_is_bad_user_input(graphql, codes, bad_id) -> None:
    body = graphql("query ($id: ID!) { node(id: $id) { id } }", {"id": bad_id})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "id"


def test_fills_page_newest_first_with_filters(graphql, one_order) -> None:
    body = graphql(
        '{ fills(accountId: "acc-1") { edges { node { fillSeq position } } totalCount '
        "pageInfo { hasNextPage } } }"
    )["data"]["fills"]
    assert [e["node"]["fillSeq"] for e in body["edges"]] == [2, 1]
    assert (body["totalCount"], body["pageInfo"]["hasNextPage"]) == (2, False)
    only = graphql(
        'query ($id: ID) { fills(accountId: "acc-1", orderId: $id, sort: OLDEST_FIRST, '
        "first: 1) { edges { node { fillSeq } } pageInfo { hasNextPage } } }",
        {"id": one_order},
    )["data"]["fills"]
    assert only == {"edges": [{"node": {"fillSeq": 1}}], "pageInfo": {"hasNextPage": True}}
    none = graphql('{ fills(accountId: "acc-1", side: SELL) { totalCount } }')
    assert none["data"]["fills"]["totalCount"] == 0


def test_each_order_on_a_page_gets_its_own_children(graphql, one_order) -> None:
    body = graphql(
        '{ orders(accountId: "acc-1") { edges { node { orderId events { version } '
        "fills { fillSeq } } } } }"
    )
    nodes = {edge["node"]["orderId"]: edge["node"] for edge in body["data"]["orders"]["edges"]}
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
