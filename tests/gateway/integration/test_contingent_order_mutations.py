"""``placeBracketOrder``, ``placeOcoOrders`` and ``placeOtoOrder`` end to end on the real
execution context: bad input is refused naming the member's input path and records nothing;
a bracket answers with its entry sent and its exits HELD, the read model shows the links, a
cancelled entry cancels its held exits, and the RTS 24 order records give a held order no
code (it never reached the venue); a group a control refuses is recorded rejected whole."""

from __future__ import annotations

import re
import time
from typing import Any

import psycopg
import pytest

from bounded_contexts.support.application.mifid.order_records import order_records
from tests.gateway.integration.test_control_mutations import SET_LIMITS, Desk, desk, scope

__all__ = ["desk"]  # the module's platform and gateway, shared with the controls' tests

ORDER_FIELDS = "orderId status quantity parentOrderId ocoGroup tsActivated"
BRACKET = f"""
mutation ($entry: PlaceOrderInput!, $takeProfit: PlaceOrderInput!, $stopLoss: PlaceOrderInput!) {{
  placeBracketOrder(entry: $entry, takeProfit: $takeProfit, stopLoss: $stopLoss) {{
    orderIds position orders {{ {ORDER_FIELDS} }}
  }}
}}
"""
OCO = f"""
mutation ($orders: [PlaceOrderInput!]!) {{
  placeOcoOrders(orders: $orders) {{ orderIds position orders {{ {ORDER_FIELDS} }} }}
}}
"""
OTO = f"""
mutation ($parent: PlaceOrderInput!, $children: [PlaceOrderInput!]!) {{
  placeOtoOrder(parent: $parent, children: $children) {{
    orderIds position orders {{ {ORDER_FIELDS} }}
  }}
}}
"""


def order(side: str, order_type: str, quantity: str = "2", **prices: str) -> dict[str, Any]:
    return {
        "accountId": "acc-1",
        "instrumentId": "SAP",
        "side": side,
        "quantity": quantity,
        "orderType": order_type,
        **prices,
    }


def legs(**changes: dict[str, Any]) -> dict[str, Any]:
    """A long bracket far below the market (nothing fills): entry 1, take-profit 1.2, stop 0.8."""
    base = {
        "entry": order("BUY", "LIMIT", limitPrice="1"),
        "takeProfit": order("SELL", "LIMIT", limitPrice="1.2"),
        "stopLoss": order("SELL", "STOP", stopPrice="0.8"),
    }
    return {name: {**terms, **changes.get(name, {})} for name, terms in base.items()}


def refused(desk: Desk, document: str, variables: dict[str, Any]) -> dict[str, Any]:
    """The single error of a refused placement, having checked that nothing was recorded."""
    head = desk.platform.stores["execution"].head()
    answer = desk.call("trader-1", document, variables)
    assert answer["data"] is None, answer
    assert desk.platform.stores["execution"].head() == head, "a refusal recorded something"
    [error] = answer["errors"]
    return error  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("document", "variables", "field", "message"),
    [
        (BRACKET, legs(takeProfit={"side": "BUY"}), "takeProfit.side", "must be a SELL"),
        (BRACKET, legs(stopLoss={"quantity": "3"}), "stopLoss.quantity", "entry's quantity 2"),
        (
            BRACKET,
            legs(stopLoss={"stopPrice": "1.1"}),
            "stopLoss.stopPrice",
            "must lie below the entry's price 1",
        ),
        (BRACKET, legs(takeProfit={"limitPrice": None}), "takeProfit.limitPrice", "needs a"),
        (BRACKET, legs(entry={"quantity": "0"}), "entry.quantity", "greater than 0"),
        (
            OCO,
            {"orders": [order("BUY", "MARKET"), order("BUY", "MARKET", instrumentId="NOPE")]},
            "orders[1].instrumentId",
            "the group's instrument 'SAP'",
        ),
        (
            OTO,
            {
                "parent": order("BUY", "MARKET"),
                "children": [order("BUY", "MARKET", instrumentId="NOPE")],
            },
            "children[0].instrumentId",
            "unknown instrument",
        ),
        (OCO, {"orders": [order("BUY", "MARKET")]}, "orders", "2 to 10 orders, got 1"),
        (
            OTO,
            {"parent": order("BUY", "MARKET"), "children": [order("SELL", "STOP")]},
            "children[0].stopPrice",
            "children\\[0\\]: ",
        ),
    ],
)
def test_a_malformed_contingent_order_is_refused_naming_the_member_and_records_nothing(
    desk: Desk, document: str, variables: dict[str, Any], field: str, message: str
) -> None:
    error = refused(desk, document, variables)
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"]["field"] == field
    assert re.search(message, error["message"]), error["message"]


def test_a_bracket_holds_its_exits_and_a_cancelled_entry_cancels_them(desk: Desk) -> None:
    start = time.time_ns()
    answer = desk.call("trader-1", BRACKET, legs())
    assert "errors" not in answer, answer
    placed = answer["data"]["placeBracketOrder"]
    entry, profit, stop = placed["orders"]
    assert placed["orderIds"] == [entry["orderId"], profit["orderId"], stop["orderId"]]
    assert (entry["status"], profit["status"], stop["status"]) == ("ACCEPTED", "HELD", "HELD")
    assert profit["parentOrderId"] == stop["parentOrderId"] == entry["orderId"]
    assert profit["ocoGroup"] == stop["ocoGroup"] is not None
    assert (entry["parentOrderId"], entry["ocoGroup"], profit["tsActivated"]) == (None,) * 3

    cancel = desk.call(
        "trader-1",
        "mutation ($id: ID!) { cancelOrder(orderId: $id) { position order { status } } }",
        {"id": entry["orderId"]},
    )
    assert cancel["data"]["cancelOrder"]["order"]["status"] == "CANCELLED", cancel
    position = cancel["data"]["cancelOrder"]["position"]
    desk.platform.run_until_caught_up()  # the orders read model
    read = desk.call(
        "trader-1",
        f"query ($id: ID!, $at: StorePosition) {{ order(id: $id, minPosition: $at) {{ "
        f"{ORDER_FIELDS} rejectReason events {{ type isoEventCode }} }} }}",
        {"id": stop["orderId"], "at": position},
    )["data"]["order"]
    assert (read["status"], read["parentOrderId"], read["ocoGroup"]) == (
        "CANCELLED",
        entry["orderId"],
        stop["ocoGroup"],
    )
    assert read["rejectReason"].startswith("never sent: parent ")
    assert [(e["type"], e["isoEventCode"]) for e in read["events"]] == [
        ("OrderSubmitted", None),  # held: not at the venue
        ("OrderCancelled", None),  # never sent
    ]

    with psycopg.connect(desk.platform.database_url) as conn:
        desk.platform.run_until_caught_up()  # the event index the records are found by
        rows = order_records(conn, None, start, time.time_ns() + 1)
    codes = {
        name: [(r.event_type, r.event_code) for r in rows if r.order_id == o["orderId"]]
        for name, o in (("entry", entry), ("stop", stop))
    }
    assert codes == {
        "entry": [("OrderSubmitted", "NEWO"), ("OrderAccepted", None), ("OrderCancelled", "CAME")],
        "stop": [("OrderSubmitted", None), ("OrderCancelled", None)],
    }


def test_an_oco_group_a_control_refuses_is_recorded_rejected_whole(desk: Desk) -> None:
    limits = {"scope": scope("INSTRUMENT", "SAP"), "maxOrderQuantity": "5", "reason": "thin"}
    assert "errors" not in desk.call("risk-1", SET_LIMITS, {"input": limits})
    try:
        answer = desk.call(
            "trader-1",
            OCO,
            {
                "orders": [
                    order("BUY", "LIMIT", limitPrice="1"),
                    order("BUY", "LIMIT", quantity="6", limitPrice="0.9"),
                ]
            },
        )
    finally:
        limits = {"scope": scope("INSTRUMENT", "SAP"), "reason": "restored"}
        assert "errors" not in desk.call("risk-1", SET_LIMITS, {"input": limits})
    members = answer["data"]["placeOcoOrders"]["orders"]
    assert [m["status"] for m in members] == ["REJECTED", "REJECTED"]
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["REJECTED", "REJECTED"]
    assert answer["errors"][1]["extensions"]["control"] == "max_order_quantity"
    assert answer["errors"][0]["message"].startswith("order rejected: OCO group refused: order ")
