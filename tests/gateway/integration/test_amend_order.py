"""``amendOrder`` end to end on the real execution context: the trader's working order takes
new terms the venue acknowledges; an amendment breaking a limit is refused — recorded, the
order unchanged, a REJECTED error naming the control — and the RTS 24 order records show the
change (CHME) with the terms in force at each event."""

from __future__ import annotations

import time

import psycopg

from bounded_contexts.support.application.mifid.order_records import order_records
from tests.gateway.integration.test_control_mutations import SET_LIMITS, Desk, desk, scope

__all__ = ["desk"]  # the module's platform and gateway, shared with the controls' tests

AMEND = """
mutation ($input: AmendOrderInput!) {
  amendOrder(input: $input) { orderId amended position order { status quantity limitPrice } }
}
"""


def test_an_amendment_is_acknowledged_a_refused_one_recorded_and_both_in_the_order_records(
    desk: Desk,
) -> None:
    start = time.time_ns()
    placed = desk.place(instrument="SAP")["data"]["placeOrder"]["order"]
    order_id = placed["orderId"]

    answer = desk.call(
        "trader-1", AMEND, {"input": {"orderId": order_id, "quantity": "3", "limitPrice": "1.1"}}
    )
    assert "errors" not in answer, answer
    amended = answer["data"]["amendOrder"]
    assert amended["amended"] is True
    assert amended["order"] == {"status": "ACCEPTED", "quantity": "3", "limitPrice": "1.1000"}

    limits = {"scope": scope("INSTRUMENT", "SAP"), "maxOrderQuantity": "5", "reason": "thin"}
    assert "errors" not in desk.call("risk-1", SET_LIMITS, {"input": limits})
    refused = desk.call("trader-1", AMEND, {"input": {"orderId": order_id, "quantity": "10"}})
    [error] = refused["errors"]
    extensions = error["extensions"]
    assert (extensions["code"], extensions["control"], extensions["scope"]) == (
        "REJECTED",
        "max_order_quantity",
        "instrument:SAP",
    )
    assert error["message"].startswith("amendment refused: ")
    assert refused["data"]["amendOrder"]["amended"] is False
    assert refused["data"]["amendOrder"]["order"]["quantity"] == "3"  # works on unchanged

    bad = desk.call("trader-1", AMEND, {"input": {"orderId": order_id, "stopPrice": "2"}})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert bad["errors"][0]["extensions"]["field"] == "input.stopPrice"
    nobody = desk.call("risk-1", AMEND, {"input": {"orderId": order_id, "quantity": "4"}})
    assert nobody["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # may see, may not trade

    with psycopg.connect(desk.platform.database_url) as conn:
        desk.platform.run_until_caught_up()  # the event index the records are found by
        rows = [
            r
            for r in order_records(conn, None, start, time.time_ns() + 1)
            if r.order_id == order_id
        ]
    assert [(r.event_type, r.event_code) for r in rows] == [
        ("OrderSubmitted", "NEWO"),
        ("OrderAccepted", None),
        ("OrderAmended", "CHME"),
        ("OrderAmendRejected", None),
    ]
    history = desk.call(
        "trader-1",
        "query ($id: ID!) { order(id: $id) { events { type isoEventCode } } }",
        {"id": order_id},
    )
    assert [(e["type"], e["isoEventCode"]) for e in history["data"]["order"]["events"]] == [
        ("OrderSubmitted", "NEWO"),
        ("OrderAccepted", None),
        ("OrderAmended", "CHME"),
        ("OrderAmendRejected", None),
    ]
    assert [(r.initial_quantity, r.limit_price) for r in rows] == [
        ("1", "1"),
        ("1", "1"),
        ("3", "1.1"),
        ("3", "1.1"),
    ]
