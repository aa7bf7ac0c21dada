"""``placeOrder`` / ``cancelOrder`` parse their input, call the OrderCommands port (a fake
here: the port is the boundary) as the request's principal, answer with what the write side
recorded — a rejection too, also reported as a REJECTED error naming the control — and turn
every refusal, the gateway's or the execution context's, into an error with its code."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from bounded_contexts.execution.domain.errors import (
    ExecutionError,
    InvalidOrder,
    PriceOffTick,
    QuantityOffLot,
)
from bounded_contexts.execution.domain.events import ControlBreach
from gateway.ports import Principal
from tests.access_helpers import TESTER

PLACE = """
mutation ($input: PlaceOrderInput!) {
  placeOrder(input: $input) { orderId position order { orderId status quantity } }
}
"""

CANCEL = """
mutation ($id: ID!) {
  cancelOrder(orderId: $id) { orderId position order { orderId status rejectReason } }
}
"""

PLACED = "00000000-0000-4000-8000-0000000000aa"
OPEN_ORDER = UUID("11111111-1111-4111-8111-111111111111")
FILLED_ORDER = UUID("22222222-2222-4222-8222-222222222222")


def order_input(**overrides: Any) -> dict[str, Any]:
    fields = {"accountId": "acc-1", "instrumentId": "AAPL", "side": "BUY", "quantity": "1.50"}
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


def test_a_market_order_reaches_the_port_with_decimal_quantity_and_the_default_principal(
    graphql, commands
) -> None:
    body = graphql(PLACE, {"input": order_input()})
    assert body == {
        "data": {
            "placeOrder": {
                "orderId": PLACED,
                "position": "102",
                "order": {"orderId": PLACED, "status": "ACCEPTED", "quantity": "1.5"},
            }
        }
    }
    assert commands.placed == [
        (
            Principal(subject=TESTER),
            {
                "account_id": "acc-1",
                "instrument_id": "AAPL",
                "side": "BUY",
                "quantity": Decimal("1.50"),
                "order_type": "MARKET",
                "limit_price": None,
                "time_in_force": "GTC",
                "expire_at": None,
                "stop_price": None,
                "trail_amount": None,
                "trail_percent": None,
                "post_only": False,
                "reduce_only": False,
            },
        )
    ]
    assert isinstance(commands.placed[0][1]["quantity"], Decimal)


def test_a_limit_order_carries_its_exact_price_and_the_verified_principal(
    graphql, commands, access
) -> None:
    access.grant("trader-7", "trader", ["acc-1"])
    body = graphql(
        PLACE,
        {
            "input": order_input(
                side="SELL", orderType="LIMIT", quantity="0.000001", limitPrice="1234.5678"
            )
        },
        headers=access.headers("trader-7"),
    )
    assert body["data"]["placeOrder"]["orderId"] == PLACED
    principal, call = commands.placed[0]
    assert principal == Principal(subject="trader-7")
    assert (call["side"], call["order_type"], call["quantity"], call["limit_price"]) == (
        "SELL",
        "LIMIT",
        Decimal("0.000001"),
        Decimal("1234.5678"),
    )


def test_number_literals_in_the_query_text_reach_the_port_with_their_exact_digits(
    graphql, commands
) -> None:
    graphql(
        'mutation { placeOrder(input: {accountId: "acc-1", instrumentId: "MSFT", side: BUY, '
        "quantity: 0.1000000001, orderType: LIMIT, limitPrice: 3}) { orderId } }"
    )
    call = commands.placed[0][1]
    assert (call["quantity"], call["limit_price"]) == (
        Decimal("0.1000000001"),
        Decimal("3"),
    )


def test_a_rejected_order_is_answered_as_recorded_and_reported_as_rejected(
    graphql, commands
) -> None:
    commands.breaches = (
        ControlBreach("max_order_notional", Decimal(100000), Decimal("10000000000.00"), "firm"),
        ControlBreach("cash", Decimal("1000000"), Decimal("10000000000.00"), "account:acc-1"),
    )
    body = graphql(PLACE, {"input": order_input(quantity="100000000")})
    assert body["data"]["placeOrder"] == {
        "orderId": PLACED,
        "position": "102",
        "order": {"orderId": PLACED, "status": "REJECTED", "quantity": "100000000"},
    }
    [error] = body["errors"]
    assert error["path"] == ["placeOrder"]
    assert error["message"] == "order rejected: max_order_notional breached; cash breached"
    assert error["extensions"] == {
        "code": "REJECTED",
        "reason": "max_order_notional breached; cash breached",
        "control": "max_order_notional",
        "limit": "100000",
        "value": "10000000000.00",
        "scope": "firm",
        "breaches": [
            {
                "control": "max_order_notional",
                "limit": "100000",
                "value": "10000000000.00",
                "scope": "firm",
            },
            {
                "control": "cash",
                "limit": "1000000",
                "value": "10000000000.00",
                "scope": "account:acc-1",
            },
        ],
        "orderId": PLACED,
        "position": "102",
    }


def test_an_aliased_rejection_names_the_alias_in_its_path(graphql, commands) -> None:
    commands.breaches = (ControlBreach("short_selling", Decimal(0), Decimal(-1)),)
    body = graphql(
        'mutation { mine: placeOrder(input: {accountId: "acc-1", instrumentId: "AAPL", '
        'side: SELL, quantity: "1"}) { order { status breaches { control limit value } } } }'
    )
    assert body["data"]["mine"]["order"] == {
        "status": "REJECTED",
        "breaches": [{"control": "short_selling", "limit": "0", "value": "-1"}],
    }
    assert body["errors"][0]["path"] == ["mine"]


def test_the_order_children_of_a_placed_order_are_read_once_the_projection_has_them(
    graphql, insert, make_order_row, read_model_url
) -> None:
    """The payload's order comes from the write side; its events and fills from the read
    model, after waiting for the projection to reach the mutation's position."""
    import threading

    import psycopg

    insert("rm_orders", [make_order_row(1, order_id=UUID(PLACED), status="NEW")])
    insert(
        "rm_order_events",
        [{"order_id": UUID(PLACED), "version": 1, "event_type": "OrderSubmitted",
          "ts_event": 1, "payload": {}}],
    )  # fmt: skip

    def projection_catches_up() -> None:
        with psycopg.connect(read_model_url, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO projection_tracking VALUES ('projection.orders', 'execution', 102)"
            )
            conn.execute(
                "SELECT pg_notify('quantvista_projection_progress', "
                "'projection.orders execution 102')"
            )

    timer = threading.Timer(0.3, projection_catches_up)
    timer.start()
    body = graphql(
        "mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) "
        "{ order { status events { type } } } }",
        {"input": order_input()},
    )
    timer.join()
    assert body == {
        "data": {"placeOrder": {"order": {"status": "ACCEPTED", "events": [
            {"type": "OrderSubmitted"}]}}}
    }  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"quantity": "0"}, "input.quantity", "quantity must be greater than 0, got 0"),
        ({"quantity": "-1.5"}, "input.quantity", "quantity must be greater than 0, got -1.5"),
        ({"orderType": "LIMIT"}, "input.limitPrice", "a LIMIT order needs a limitPrice"),
        (
            {"orderType": "LIMIT", "limitPrice": "0"},
            "input.limitPrice",
            "limitPrice must be greater than 0, got 0",
        ),
        ({"limitPrice": "10"}, "input.limitPrice", "a MARKET order takes no limitPrice, got 10"),
        (
            {"orderType": "STOP_LIMIT", "stopPrice": "10"},
            "input.limitPrice",
            "a STOP_LIMIT order needs a limitPrice",
        ),
        (
            {"orderType": "STOP", "stopPrice": "10", "limitPrice": "11"},
            "input.limitPrice",
            "a STOP order takes no limitPrice, got 11",
        ),
        ({"accountId": " "}, "input.accountId", "input.accountId must not be blank"),
        ({"instrumentId": ""}, "input.instrumentId", "input.instrumentId must not be blank"),
    ],
)
def test_invalid_orders_are_refused_before_the_port_is_called(
    graphql, codes, commands, overrides: dict[str, str], field: str, message: str
) -> None:
    body = graphql(PLACE, {"input": order_input(**overrides)})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == message
    assert body["errors"][0]["extensions"]["field"] == field
    assert body["data"] is None
    assert commands.placed == []


PLACE_TERMS = """
mutation ($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    order {
      orderType limitPrice stopPrice trailAmount trailPercent timeInForce expireAt
      postOnly reduceOnly
    }
  }
}
"""


def test_every_order_term_reaches_the_port_exactly_and_the_answer_shows_it(
    graphql, commands
) -> None:
    body = graphql(
        PLACE_TERMS,
        {
            "input": order_input(
                orderType="STOP_LIMIT",
                limitPrice="101.50",
                stopPrice="101",
                timeInForce="GTD",
                expireAt="1704209400000000000",
                reduceOnly=True,
            )
        },
    )
    call = commands.placed[0][1]
    assert {k: call[k] for k in ("order_type", "time_in_force", "expire_at", "reduce_only")} == {
        "order_type": "STOP_LIMIT",
        "time_in_force": "GTD",
        "expire_at": 1_704_209_400_000_000_000,
        "reduce_only": True,
    }
    assert (call["limit_price"], call["stop_price"], call["post_only"]) == (
        Decimal("101.50"),
        Decimal("101"),
        False,
    )
    assert body["data"]["placeOrder"]["order"] == {
        "orderType": "STOP_LIMIT",
        "limitPrice": "101.5000",
        "stopPrice": "101.0000",
        "trailAmount": None,
        "trailPercent": None,
        "timeInForce": "GTD",
        "expireAt": "1704209400000000000",
        "postOnly": False,
        "reduceOnly": True,
    }


def test_a_trailing_stop_by_percentage_reaches_the_port_with_its_trail(graphql, commands) -> None:
    graphql(
        PLACE,
        {"input": order_input(side="SELL", orderType="TRAILING_STOP", trailPercent="0.5")},
    )
    call = commands.placed[0][1]
    assert (call["order_type"], call["trail_percent"], call["trail_amount"]) == (
        "TRAILING_STOP",
        Decimal("0.5"),
        None,
    )


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"quantity": "ten"}, "got 'ten'"),
        ({"quantity": "1e3"}, "got '1e3'"),
        ({"quantity": True}, "got True"),
        ({"side": "HOLD"}, "Value 'HOLD' does not exist in 'OrderSide' enum"),
        ({"orderType": "ICEBERG"}, "Value 'ICEBERG' does not exist in 'OrderType' enum"),
        ({"timeInForce": "GTX"}, "Value 'GTX' does not exist in 'TimeInForce' enum"),
        ({"postOnly": "yes"}, "Boolean cannot represent a non boolean value"),
        ({"limitPrice": "NaN", "orderType": "LIMIT"}, "got 'NaN'"),
    ],
)
def test_values_that_do_not_fit_their_type_are_bad_user_input(
    graphql, codes, commands, overrides: dict[str, Any], fragment: str
) -> None:
    body = graphql(PLACE, {"input": order_input(**overrides)})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert fragment in body["errors"][0]["message"]
    assert commands.placed == []


def test_an_unknown_side_written_in_the_query_text_gets_the_same_code(graphql, codes) -> None:
    body = graphql(
        'mutation { placeOrder(input: {accountId: "a", instrumentId: "AAPL", side: HOLD, '
        'quantity: "1"}) { orderId } }'
    )
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "Value 'HOLD' does not exist in 'OrderSide' enum" in body["errors"][0]["message"]


def test_a_missing_quantity_is_bad_user_input(graphql, codes) -> None:
    body = graphql(PLACE, {"input": order_input(quantity=None)})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "quantity" in body["errors"][0]["message"]


def test_an_unknown_instrument_refused_by_the_port_is_bad_user_input(graphql, codes) -> None:
    body = graphql(PLACE, {"input": order_input(instrumentId="ZZZZ")})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "unknown instrument 'ZZZZ'"
    assert body["errors"][0]["extensions"]["field"] == "input.instrumentId"


def test_an_order_the_domain_finds_malformed_is_bad_user_input(graphql, codes, commands) -> None:
    commands.refusal = InvalidOrder("quantity 1.50 is not a multiple of the lot size 1")
    body = graphql(PLACE, {"input": order_input()})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "quantity 1.50 is not a multiple of the lot size 1"


def test_any_other_refusal_of_the_execution_context_is_rejected(graphql, codes, commands) -> None:
    commands.refusal = ExecutionError("kill switch engaged: no new orders")
    body = graphql(PLACE, {"input": order_input()})
    assert codes(body) == ["REJECTED"]
    assert body["errors"][0]["message"] == "kill switch engaged: no new orders"


def test_cancel_calls_the_port_with_the_order_uuid_and_principal(graphql, commands, access) -> None:
    access.grant("risk-desk", "trader", ["acc-1"])
    commands.order_status[OPEN_ORDER] = "ACCEPTED"
    body = graphql(CANCEL, {"id": str(OPEN_ORDER).upper()}, headers=access.headers("risk-desk"))
    assert body == {
        "data": {
            "cancelOrder": {
                "orderId": str(OPEN_ORDER),
                "position": "101",
                "order": {
                    "orderId": str(OPEN_ORDER),
                    "status": "CANCELLED",
                    "rejectReason": "cancelled by risk-desk",
                },
            }
        }
    }
    assert commands.cancelled == [(Principal(subject="risk-desk"), OPEN_ORDER)]


def test_cancelling_an_unknown_order_is_not_found(graphql, codes, commands) -> None:
    body = graphql(CANCEL, {"id": str(OPEN_ORDER)})
    assert codes(body) == ["NOT_FOUND"]
    assert body["errors"][0]["message"] == f"order {OPEN_ORDER} does not exist"
    assert body["errors"][0]["extensions"]["field"] == "orderId"


def test_cancelling_a_filled_order_is_an_illegal_state(graphql, codes, commands) -> None:
    commands.order_status[FILLED_ORDER] = "FILLED"
    body = graphql(CANCEL, {"id": str(FILLED_ORDER)})
    assert codes(body) == ["ILLEGAL_STATE"]
    assert body["errors"][0]["message"] == f"order {FILLED_ORDER} is FILLED: cannot cancel"
    assert commands.cancelled == []


def test_cancelling_with_an_id_that_is_not_a_uuid_is_bad_user_input(
    graphql, codes, commands
) -> None:
    body = graphql(CANCEL, {"id": "42"})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "orderId must be a UUID, got '42'"
    assert commands.cancelled == []


def test_a_placed_order_keeps_its_answer_when_reading_its_history_fails(
    graphql, codes, read_model_url
) -> None:
    import psycopg

    with psycopg.connect(read_model_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO projection_tracking VALUES ('projection.orders', 'execution', 9999)"
        )
    with psycopg.connect(read_model_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE rm_order_events RENAME TO rm_order_events_gone")
    try:
        body = graphql(
            "mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) "
            "{ orderId order { status events { type } } } }",
            {"input": order_input()},
        )
    finally:
        with psycopg.connect(read_model_url, autocommit=True) as conn:
            conn.execute("ALTER TABLE rm_order_events_gone RENAME TO rm_order_events")
    assert body["data"] == {"placeOrder": {"orderId": PLACED, "order": None}}
    assert codes(body) == ["INTERNAL_SERVER_ERROR"]
    assert body["errors"][0]["path"] == ["placeOrder", "order", "events"]


@pytest.mark.parametrize(
    "quantity",
    [
        1e-30,  # issue 6: a JSON float, filled and charged the minimum fee
        "1e-30",
        "\u0661\u0660",  # issue 6: Arabic-Indic "10", read as 10
        "\uff11\uff10",  # full-width "10"
        "9" * 100_000,  # issue 6: stored in the event log
        10**30,
        "0.00000000001",
    ],
)
def test_nonsense_quantities_in_variables_are_bad_user_input_naming_the_field(
    graphql, codes, commands, quantity: object
) -> None:
    body = graphql(PLACE, {"input": order_input(quantity=quantity)})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "input.quantity"
    assert len(body["errors"][0]["message"]) < 700
    assert commands.placed == []


@pytest.mark.parametrize("literal", ["1e-30", "1E5", '"1e-30"', '"\u0661\u0660"', "9" * 5_000])
def test_nonsense_quantity_literals_are_bad_user_input_naming_the_field(
    graphql, codes, commands, literal: str
) -> None:
    body = graphql(
        'mutation { placeOrder(input: {accountId: "a", instrumentId: "AAPL", side: BUY, '
        f"quantity: {literal}}}) {{ orderId }} }}"
    )
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "input.quantity"
    assert commands.placed == []


@pytest.mark.parametrize(
    ("error", "field"),
    [
        (QuantityOffLot(Decimal("0.0000001"), Decimal(1), "AAPL"), "input.quantity"),
        (PriceOffTick(Decimal("150.001"), Decimal("0.01"), "AAPL"), "input.limitPrice"),
        (
            PriceOffTick(Decimal("150.001"), Decimal("0.01"), "AAPL", field="stop_price"),
            "input.stopPrice",
        ),
        (InvalidOrder("not both", field="trail_amount"), "input.trailAmount"),
        (InvalidOrder("between 0 and 100", field="trail_percent"), "input.trailPercent"),
        (InvalidOrder("a GTD order needs an expiry time", field="expire_at"), "input.expireAt"),
        (InvalidOrder("IOC on a STOP", field="time_in_force"), "input.timeInForce"),
        (InvalidOrder("post-only MARKET", field="post_only"), "input.postOnly"),
    ],
)
def test_an_order_off_the_lot_or_tick_is_bad_user_input_naming_the_field(
    graphql, codes, commands, error: InvalidOrder, field: str
) -> None:
    commands.refusal = error
    body = graphql(PLACE, {"input": order_input(quantity="0.0000001")})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == field
    assert body["errors"][0]["message"] == str(error)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"accountId": "a" * 129}, "input.accountId"),
        ({"accountId": "acc\x00-1"}, "input.accountId"),
        ({"instrumentId": "AAPL\x1b[31m"}, "input.instrumentId"),
        ({"instrumentId": "AAPL\u202e"}, "input.instrumentId"),
    ],
)
def test_overlong_identifiers_or_ones_with_control_characters_are_refused(
    graphql, codes, commands, overrides: dict[str, str], field: str
) -> None:
    body = graphql(PLACE, {"input": order_input(**overrides)})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == field
    assert commands.placed == []
