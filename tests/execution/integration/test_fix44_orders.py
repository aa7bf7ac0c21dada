"""Orders through our FIX 4.4 initiator to QuickFIX acting as the broker, whose FIX 4.4 data
dictionary validates every message we send: each order message is accepted, and every report
comes back parsed, once — New, PartialFill/Fill (Trade), Canceled, Replaced, Rejected, Expired,
Restated, PendingNew/PendingCancel/PendingReplace, OrderCancelReject, BusinessMessageReject."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from bounded_contexts.execution.adapters.venues.fix44 import (
    BusinessMessageReject,
    ExecType,
    ExecutionReport,
    FixBroker,
    FixNotLoggedOn,
    InvalidFixOrder,
    NewOrderSingle,
    OrderCancelReject,
    OrderCancelReplaceRequest,
    OrderCancelRequest,
    OrdStatus,
)
from bounded_contexts.execution.adapters.venues.fix44.messages import InboundApplicationMessage
from tests.execution.integration.fix44_kit import FixWorld, wait_until


@pytest.fixture
def world(tmp_path: Path) -> Iterator[FixWorld]:
    made = FixWorld(tmp_path)
    yield made
    made.close()


def take(ours: FixBroker, count: int) -> list[InboundApplicationMessage]:
    got = []
    for _ in range(count):
        try:
            got.append(ours.reports.get(timeout=10))
        except queue.Empty:
            pytest.fail(f"{len(got)} of {count} reports came: {got}")
    return got


def no_more(ours: FixBroker) -> bool:
    return ours.reports.empty()


def accepted_everything(world: FixWorld, ours: FixBroker) -> None:
    assert world.broker.validation_complaints() == []
    assert ours.session_rejects == [] and ours.undecodable == []


def order(cl_ord_id: str, order_type: str = "LIMIT", **terms: object) -> NewOrderSingle:
    limit = {"limit_price": Decimal("101.5")} if order_type == "LIMIT" else {}
    return NewOrderSingle(
        cl_ord_id,
        str(terms.pop("symbol", "AAPL")),
        "BUY",
        order_type,  # type: ignore[arg-type]
        Decimal(10),
        time.time_ns(),
        **limit,  # type: ignore[arg-type]
        **terms,  # type: ignore[arg-type]
    )


def test_a_market_order_is_acknowledged_then_filled_in_two_parts(world: FixWorld) -> None:
    ours = world.initiator()
    ours.send_new_order(order("o1", "MARKET"))
    pending, new, partial, full = take(ours, 4)
    assert isinstance(full, ExecutionReport)
    assert [r.exec_type for r in (pending, new, partial, full)] == [  # type: ignore[union-attr]
        ExecType.PENDING_NEW,
        ExecType.NEW,
        ExecType.TRADE,
        ExecType.TRADE,
    ]
    assert partial.ord_status is OrdStatus.PARTIALLY_FILLED  # type: ignore[union-attr]
    assert (full.ord_status, full.cum_qty, full.leaves_qty) == (OrdStatus.FILLED, 10, 0)
    assert (full.last_qty, full.last_px, full.commission) == (5, Decimal("100.50"), Decimal("1.5"))
    assert full.avg_px == Decimal("100.375") and full.cl_ord_id == "o1"
    assert full.transact_time == 1_796_385_600_123_000_000
    accepted_everything(world, ours)


def test_a_resting_order_is_replaced_then_cancelled(world: FixWorld) -> None:
    ours = world.initiator()
    ours.send_new_order(order("o1", time_in_force="GTC"))
    take(ours, 2)
    world.broker.fill("o1", Decimal(3), Decimal("101.5"))
    (fill,) = take(ours, 1)
    assert fill.is_fill and fill.leaves_qty == 7  # type: ignore[union-attr]
    ours.send_replace(
        OrderCancelReplaceRequest(
            "o1-r", "o1", "AAPL", "BUY", "LIMIT", Decimal(12), time.time_ns(), Decimal("102")
        )
    )
    pending_replace, replaced = take(ours, 2)
    assert pending_replace.exec_type is ExecType.PENDING_REPLACE  # type: ignore[union-attr]
    assert replaced.exec_type is ExecType.REPLACED  # type: ignore[union-attr]
    assert (replaced.cl_ord_id, replaced.orig_cl_ord_id) == ("o1-r", "o1")  # type: ignore[union-attr]
    assert (replaced.order_qty, replaced.price, replaced.leaves_qty) == (12, 102, 9)  # type: ignore[union-attr]
    ours.send_cancel(OrderCancelRequest("o1-c", "o1-r", "AAPL", "BUY", Decimal(12), time.time_ns()))
    pending_cancel, cancelled = take(ours, 2)
    assert pending_cancel.exec_type is ExecType.PENDING_CANCEL  # type: ignore[union-attr]
    assert cancelled.exec_type is ExecType.CANCELED and cancelled.leaves_qty == 0  # type: ignore[union-attr]
    assert cancelled.cum_qty == 3  # type: ignore[union-attr]
    accepted_everything(world, ours)


def test_cancelling_or_replacing_an_order_the_broker_does_not_know_is_rejected(
    world: FixWorld,
) -> None:
    ours = world.initiator()
    ours.send_cancel(OrderCancelRequest("c1", "nope", "AAPL", "SELL", Decimal(1), time.time_ns()))
    ours.send_replace(
        OrderCancelReplaceRequest(
            "r1", "nope", "AAPL", "SELL", "MARKET", Decimal(2), time.time_ns()
        )
    )
    cancel_reject, replace_reject = take(ours, 2)
    assert isinstance(cancel_reject, OrderCancelReject)
    assert (cancel_reject.response_to, cancel_reject.orig_cl_ord_id) == ("CANCEL", "nope")
    assert isinstance(replace_reject, OrderCancelReject)
    assert (replace_reject.response_to, replace_reject.reason) == ("REPLACE", 1)
    accepted_everything(world, ours)


def test_rejected_expired_and_restated_reports_arrive_as_such(world: FixWorld) -> None:
    ours = world.initiator()
    ours.send_new_order(order("bad", symbol="REJECTME"))
    (rejected,) = take(ours, 1)
    assert rejected.exec_type is ExecType.REJECTED  # type: ignore[union-attr]
    assert (rejected.text, rejected.ord_rej_reason) == ("unknown symbol", 1)  # type: ignore[union-attr]
    ours.send_new_order(order("o2"))
    take(ours, 2)
    world.broker.restate("o2")
    world.broker.expire("o2")
    restated, expired = take(ours, 2)
    assert restated.exec_type is ExecType.RESTATED  # type: ignore[union-attr]
    assert expired.exec_type is ExecType.EXPIRED and expired.ord_status is OrdStatus.EXPIRED  # type: ignore[union-attr]
    accepted_everything(world, ours)


def test_a_message_the_broker_cannot_act_on_gets_a_business_message_reject(
    world: FixWorld,
) -> None:
    """A limit order without a price passes the data dictionary (Price is conditionally
    required) but not the broker: it answers BusinessMessageReject. Our typed API refuses to
    build such an order, so the test sends its fields raw."""
    ours = world.initiator()
    seq = ours.session.send_application(
        "D",
        [(11, "np"), (55, "AAPL"), (54, "1"), (60, "20261204-12:00:00.000"), (38, "1"), (40, "2")],
    )
    (reject,) = take(ours, 1)
    assert isinstance(reject, BusinessMessageReject)
    assert (reject.ref_seq_num, reject.ref_msg_type, reject.reason) == (seq, "D", 5)
    assert reject.business_reject_ref_id == "np" and "Price(44)" in (reject.text or "")
    accepted_everything(world, ours)


def test_a_bad_order_is_refused_before_it_takes_a_sequence_number(world: FixWorld) -> None:
    ours = world.initiator()
    next_out = ours.store.next_out
    with pytest.raises(InvalidFixOrder, match="limit price"):
        ours.send_new_order(order("x", "MARKET", limit_price=Decimal(1)))
    with pytest.raises(ValueError, match="SOH"):
        ours.session.send_application("D", [(11, "a\x01b")])
    assert ours.store.next_out == next_out
    assert world.broker.count("D") == 0


def test_an_order_offered_while_logged_out_is_refused_and_not_kept(world: FixWorld) -> None:
    ours = world.initiator()
    ours.session.stop()
    next_out = ours.store.next_out
    with pytest.raises(FixNotLoggedOn, match="not sent"):
        ours.send_new_order(order("late"))
    assert ours.store.next_out == next_out
    assert ours.store.outbound_between(1, next_out) == []
    assert wait_until(lambda: world.broker.record.logouts == 1)


def test_a_message_quickfix_finds_invalid_is_caught_by_the_checks_the_other_tests_rely_on(
    world: FixWorld,
) -> None:
    """The guard behind every 'accepted everything' above can fail: a NewOrderSingle without
    Side(54), sent raw, is refused by QuickFIX's data dictionary with a Reject(3), which we
    record, and its complaint shows in what the other tests check is empty."""
    ours = world.initiator()
    seq = ours.session.send_application(
        "D", [(11, "noside"), (55, "AAPL"), (60, "20261204-12:00:00.000"), (38, "1"), (40, "1")]
    )
    assert wait_until(lambda: len(ours.session_rejects) == 1)
    (reject,) = ours.session_rejects
    assert (reject.ref_seq_num, reject.ref_tag, reject.reason) == (seq, 54, 1)
    assert world.broker.validation_complaints() != []
    assert world.broker.count("D") == 0
