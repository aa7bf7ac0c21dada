"""FIX 4.4 messages, configuration and sequence store, without a network: our vocabulary maps
to the right tags, bad orders and bad configurations are refused with a named error before any
byte is sent, and sequence numbers and the resend log survive reopening the store."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bounded_contexts.execution.adapters.venues.fix44.codec import FixDecodeError, FixMessage
from bounded_contexts.execution.adapters.venues.fix44.config import (
    FixSessionConfig,
    InvalidFixConfig,
)
from bounded_contexts.execution.adapters.venues.fix44.messages import (
    ExecType,
    ExecutionReport,
    InvalidFixOrder,
    NewOrderSingle,
    OrderCancelReplaceRequest,
    OrderCancelRequest,
    format_utc_timestamp,
    parse_utc_timestamp,
)
from bounded_contexts.execution.adapters.venues.fix44.sequence_store import SequenceStore

T = 1_796_385_600_123_456_789  # 2026-12-04 12:00:00.123456789 UTC


def test_a_limit_gtd_buy_maps_to_the_fix_tags() -> None:
    order = NewOrderSingle(
        "a1b2", "AAPL", "BUY", "LIMIT", Decimal("10"), T, Decimal("100.50"), "GTD", T, "ACC-1"
    )
    assert dict(order.to_fields()) == {
        11: "a1b2",
        1: "ACC-1",
        55: "AAPL",
        54: "1",
        60: "20261204-12:00:00.123",
        38: "10",
        40: "2",
        44: "100.50",
        59: "6",
        126: "20261204-12:00:00.123",
    }


def test_a_market_sell_has_no_price_and_day_by_default() -> None:
    fields = dict(NewOrderSingle("x", "MSFT", "SELL", "MARKET", Decimal("2.5"), T).to_fields())
    assert (fields[54], fields[40], fields[59], fields[38]) == ("2", "1", "0", "2.5")
    assert 44 not in fields


def test_cancel_and_replace_name_the_order_they_act_on() -> None:
    cancel = OrderCancelRequest("c2", "c1", "AAPL", "BUY", Decimal(10), T)
    replace = OrderCancelReplaceRequest(
        "r3", "c1", "AAPL", "BUY", "LIMIT", Decimal(8), T, Decimal(99)
    )
    assert (dict(cancel.to_fields())[41], dict(cancel.to_fields())[11]) == ("c1", "c2")
    assert dict(replace.to_fields())[44] == "99"


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"quantity": Decimal(0)}, "quantity"),
        ({"quantity": Decimal("NaN")}, "quantity"),
        ({"order_type": "LIMIT"}, "limit price"),
        ({"limit_price": Decimal(1)}, "MARKET order has no limit price"),
        ({"side": "SHORT"}, "side"),
        ({"cl_ord_id": ""}, "ClOrdID"),
        ({"cl_ord_id": "x" * 65}, "ClOrdID"),
        ({"symbol": "A\x01B"}, "Symbol"),
        ({"time_in_force": "GTD"}, "expire_at"),
        ({"time_in_force": "GTX"}, "time in force"),
    ],
)
def test_a_bad_new_order_is_refused_with_what_is_wrong(kwargs: dict, reason: str) -> None:  # type: ignore[type-arg]
    terms = {
        "cl_ord_id": "o1",
        "symbol": "AAPL",
        "side": "BUY",
        "order_type": "MARKET",
        "quantity": Decimal(1),
        "transact_time": T,
    } | kwargs
    with pytest.raises(InvalidFixOrder, match=reason):
        NewOrderSingle(**terms)


def test_a_cancel_reusing_the_orders_own_clordid_is_refused() -> None:
    with pytest.raises(InvalidFixOrder, match="ClOrdID of its own"):
        OrderCancelRequest("c1", "c1", "AAPL", "BUY", Decimal(10), T)


def test_timestamps_are_utc_with_milliseconds_and_read_back_to_nanoseconds() -> None:
    assert format_utc_timestamp(T) == "20261204-12:00:00.123"
    assert parse_utc_timestamp("20261204-12:00:00.123") == T - 456_789
    assert parse_utc_timestamp("20261204-12:00:00.123456789") == T
    assert parse_utc_timestamp("20261204-12:00:00") == T - 123_456_789
    with pytest.raises(FixDecodeError, match="UTCTimestamp"):
        parse_utc_timestamp("2026-12-04T12:00:00")


def _report(**overrides: str) -> FixMessage:
    fields = {35: "8", 34: "5", 37: "B1", 11: "o1", 17: "E1", 150: "F", 39: "1", 55: "AAPL"}
    fields |= {54: "1", 151: "5", 14: "5", 6: "100.25", 32: "5", 31: "100.25", 12: "1.5"}
    fields |= {60: "20261204-12:00:00.123"}
    fields |= {int(k[1:]): v for k, v in overrides.items()}
    return FixMessage([(t, v) for t, v in fields.items() if v])


def test_an_execution_report_carries_what_an_order_filled_event_needs() -> None:
    report = ExecutionReport.from_message(_report())
    assert report.is_fill and report.exec_type is ExecType.TRADE
    assert (report.last_qty, report.last_px, report.commission) == (
        Decimal(5),
        Decimal("100.25"),
        Decimal("1.5"),
    )
    assert (report.cum_qty, report.leaves_qty, report.avg_px) == (
        Decimal(5),
        Decimal(5),
        Decimal("100.25"),
    )
    assert report.transact_time == T - 456_789 and report.exec_id == "E1"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"t17": ""}, "17"),
        ({"t150": "Z"}, "ExecType|ExecutionReport"),
        ({"t14": "ten"}, "not a number"),
    ],
)
def test_an_execution_report_missing_or_mistyping_a_field_is_a_decode_error(
    overrides: dict[str, str], reason: str
) -> None:
    with pytest.raises(FixDecodeError, match=reason):
        ExecutionReport.from_message(_report(**overrides))


def test_a_config_that_cannot_work_is_refused_naming_the_field(tmp_path: Path) -> None:
    base = {
        "host": "h",
        "port": 1,
        "sender_comp_id": "US",
        "target_comp_id": "THEM",
        "store_path": tmp_path / "s",
    }
    FixSessionConfig(**base)  # type: ignore[arg-type]
    for bad, reason in [
        ({"port": 0}, "port"),
        ({"sender_comp_id": "A=B"}, "sender_comp_id"),
        ({"heartbeat_interval_s": 0}, "heartbeat_interval_s"),
        ({"reconnect_interval_s": 60.0}, "reconnect_interval_s"),
    ]:
        with pytest.raises(InvalidFixConfig, match=reason):
            FixSessionConfig(**(base | bad))  # type: ignore[arg-type]


def test_sequence_numbers_and_the_resend_log_survive_reopening_the_store(tmp_path: Path) -> None:
    store = SequenceStore(tmp_path / "seq.sqlite")
    assert (store.next_out, store.next_in) == (1, 1)
    store.advance_out(1)
    store.record_outbound(2, "D", b"11=o1\x01", "20261204-12:00:00.123")
    store.advance_out(3)
    store.set_next_in(5)
    store.close()
    again = SequenceStore(tmp_path / "seq.sqlite")
    assert (again.next_out, again.next_in) == (4, 5)
    assert [(m.seq, m.msg_type, m.body) for m in again.outbound_between(1, 10)] == [
        (2, "D", b"11=o1\x01")
    ]
    again.reset()
    assert (again.next_out, again.next_in, again.outbound_between(1, 10)) == (1, 1, [])
