"""An order record reports each order type, time in force and flag in its RTS 24 terms: the
validity period code, the order type classification, the stop price where it stands, and the
passive-only and reduce-only indicators."""

from __future__ import annotations

from typing import Any

import pytest

from bounded_contexts.support.domain.mifid.order_records import OrderEvent, order_record

ORDER = {
    "order_id": "00000000-0000-4000-8000-000000000001",
    "account_id": "DEMO-001",
    "instrument_id": "AAA",
    "side": "SELL",
    "order_type": "MARKET",
    "quantity": "10",
    "limit_price": None,
    "time_in_force": "GTC",
    "expire_at": None,
}


def record(order: dict[str, Any], event_type: str = "OrderSubmitted", **payload: Any) -> Any:
    event = OrderEvent(1, event_type, 1, 0, 0, "venue:simulated", payload, order, "person:a")
    return order_record(event, None, None, {})


@pytest.mark.parametrize(
    ("time_in_force", "code"),
    [("DAY", "DAVY"), ("GTC", "GTCV"), ("GTD", "GTSV"), ("IOC", "IOCV"), ("FOK", "FOKV")],
)
def test_each_time_in_force_is_reported_as_its_validity_period_code(
    time_in_force: str, code: str
) -> None:
    assert record({**ORDER, "time_in_force": time_in_force}).validity == code


@pytest.mark.parametrize(
    ("order_type", "classification"),
    [
        ("MARKET", None),
        ("LIMIT", "LMTO"),
        ("STOP", "STOP"),
        ("STOP_LIMIT", "STOP"),
        ("MARKET_IF_TOUCHED", "STOP"),
        ("LIMIT_IF_TOUCHED", "STOP"),
        ("TRAILING_STOP", "STOP"),
    ],
)
def test_each_order_type_keeps_its_name_and_gets_its_classification(
    order_type: str, classification: str | None
) -> None:
    row = record({**ORDER, "order_type": order_type})
    assert (row.order_type, row.order_type_classification) == (order_type, classification)


def test_the_stop_price_is_the_orders_until_a_trailing_stop_moves_or_triggers() -> None:
    stop = {**ORDER, "order_type": "STOP", "stop_price": "99.5"}
    assert record(stop).stop_price == "99.5"
    trailing = {**ORDER, "order_type": "TRAILING_STOP", "trail_amount": "2"}
    assert record(trailing).stop_price is None
    moved = record(trailing, "OrderTrailingStopMoved", best_price="103", trigger_price="101")
    assert (moved.event_code, moved.stop_price) == (None, "101")
    triggered = record(trailing, "OrderTriggered", trigger_price="101", ts_triggered=5)
    assert (triggered.event_code, triggered.stop_price) == ("TRIG", "101")


def test_post_only_and_reduce_only_are_reported_as_indicators_false_for_older_orders() -> None:
    flagged = record({**ORDER, "post_only": True, "reduce_only": True})
    assert (flagged.passive_only, flagged.reduce_only) == ("true", "true")
    assert (record(ORDER).passive_only, record(ORDER).reduce_only) == ("false", "false")
