"""Recovery between our FIX 4.4 initiator and QuickFIX as the broker: nothing the broker sends
is lost or delivered twice, and nothing we send is lost.

* the connection drops after an order is acknowledged, the broker sends the fills while we are
  away (QuickFIX stores them), and on reconnect the resend delivers each fill exactly once;
* a fill garbled on the wire is ignored, and the gap it leaves is healed by a resend;
* a PossDup copy of a fill we already processed is dropped by the session;
* our NewOrderSingle lost on the way makes the broker ask us for a resend: we resend it
  (PossDupFlag=Y, OrigSendingTime) and gap-fill over the admin messages, and the broker
  acts on the order once.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from bounded_contexts.execution.adapters.venues.fix44 import (
    ExecType,
    ExecutionReport,
    FixBroker,
    NewOrderSingle,
)
from bounded_contexts.execution.adapters.venues.fix44.session import SessionState
from tests.execution.integration.fix44_kit import FixWorld, is_type, wait_until


@pytest.fixture
def world(tmp_path: Path) -> Iterator[FixWorld]:
    made = FixWorld(tmp_path)
    yield made
    made.close()


def resting_order(cl_ord_id: str, quantity: int = 10) -> NewOrderSingle:
    return NewOrderSingle(
        cl_ord_id, "AAPL", "BUY", "LIMIT", Decimal(quantity), time.time_ns(), Decimal("100")
    )


def drain(ours: FixBroker, until: int, timeout: float = 10) -> list[ExecutionReport]:
    """Reports until ``until`` of them are fills, then whatever else is already queued."""
    got: list[ExecutionReport] = []
    deadline = time.monotonic() + timeout
    while sum(r.is_fill for r in got) < until:
        try:
            got.append(ours.reports.get(timeout=max(0.01, deadline - time.monotonic())))  # type: ignore[arg-type]
        except queue.Empty:
            pytest.fail(f"only these reports came: {got}")
    return got


def acknowledge(ours: FixBroker, order: NewOrderSingle) -> None:
    """Send ``order`` and wait for its PendingNew and New."""
    ours.send_new_order(order)
    acks = [ours.reports.get(timeout=10) for _ in range(2)]
    assert [r.exec_type for r in acks] == [ExecType.PENDING_NEW, ExecType.NEW]  # type: ignore[union-attr]


def assert_exactly_once(fills: list[ExecutionReport], quantity: int) -> None:
    exec_ids = [f.exec_id for f in fills]
    assert len(exec_ids) == len(set(exec_ids)), exec_ids
    assert sum(f.last_qty for f in fills) == quantity  # type: ignore[misc]
    assert fills[-1].cum_qty == quantity and fills[-1].leaves_qty == 0


def test_fills_sent_while_we_are_disconnected_arrive_once_after_the_reconnect(
    world: FixWorld,
) -> None:
    ours = world.initiator()
    acknowledge(ours, resting_order("o1"))
    world.broker.fill("o1", Decimal(2), Decimal("100"))  # one fill before the drop
    before = drain(ours, until=1)
    assert [r.exec_type for r in before] == [ExecType.TRADE]
    world.proxy.cut()
    assert wait_until(lambda: world.broker.record.logouts == 1)
    assert ours.session.wait_for(lambda: ours.session.state is not SessionState.LOGGED_ON, 5)
    for quantity in (3, 4, 1):  # the rest while we are away: QuickFIX keeps them
        world.broker.fill("o1", Decimal(quantity), Decimal("100"))
    world.proxy.restore()
    assert ours.session.wait_for(lambda: ours.session.count("logged_on") == 2, 10)
    after = drain(ours, until=3)
    assert all(r.is_fill for r in after) and all(r.poss_dup for r in after)
    assert ours.session.count("resend_requested") == 1
    assert ours.session.wait_for(lambda: ours.session.count("gap_filled") == 1, 5)
    assert_exactly_once([r for r in before + after if r.is_fill], quantity=10)
    assert ours.reports.empty() and ours.duplicate_reports == 0
    assert world.broker.validation_complaints() == []


def test_a_fill_garbled_on_the_wire_is_recovered_by_a_resend(world: FixWorld) -> None:
    ours = world.initiator()
    acknowledge(ours, resting_order("o1"))
    world.proxy.corrupt_next = is_type("8", exec_type="F")
    world.broker.fill("o1", Decimal(6), Decimal("100"))  # arrives garbled: dropped
    world.broker.fill("o1", Decimal(4), Decimal("100"))  # shows the gap
    fills = [r for r in drain(ours, until=2) if r.is_fill]
    assert ours.session.count("garbled") == 1 and ours.session.count("resend_requested") == 1
    assert [f.last_qty for f in fills] == [6, 4]
    assert_exactly_once(fills, quantity=10)
    assert ours.session.state is SessionState.LOGGED_ON
    assert world.broker.validation_complaints() == []


def test_a_possdup_copy_of_a_fill_already_processed_is_dropped(world: FixWorld) -> None:
    ours = world.initiator()
    acknowledge(ours, resting_order("o1"))
    world.proxy.duplicate_next = is_type("8", exec_type="F")
    world.broker.fill("o1", Decimal(10), Decimal("100"))
    fills = [r for r in drain(ours, until=1) if r.is_fill]
    assert ours.session.wait_for(lambda: ours.session.count("duplicate_dropped") == 1, 5)
    world.broker.restate("o1")  # a later message: anything queued before it has been read
    assert ours.reports.get(timeout=5).exec_type is ExecType.RESTATED  # type: ignore[union-attr]
    assert_exactly_once(fills, quantity=10)
    assert ours.reports.empty()
    assert world.broker.validation_complaints() == []


def test_our_order_lost_on_the_way_is_resent_when_the_broker_asks(world: FixWorld) -> None:
    ours = world.initiator()
    world.proxy.drop_next_upstream = is_type("D")
    seq = ours.send_new_order(resting_order("lost"))
    assert wait_until(lambda: len(world.proxy.tampered) == 1)
    # our next heartbeat shows the broker the gap; it asks; we resend the order and gap-fill
    assert ours.session.wait_for(lambda: ours.session.count("resend_answered") == 1, 5)
    assert wait_until(lambda: world.broker.count("D") == 1)
    assert world.broker.record.received["D"] == ["lost"]
    log = world.broker.message_log()
    resent = [line for line in log.splitlines() if f"\x0134={seq}\x0143=Y\x01" in line]
    assert resent and "\x0135=D\x01" in resent[0] and "\x01122=" in resent[0]
    assert wait_until(  # the heartbeat that showed the gap is gap-filled, not resent
        lambda: any(
            "\x0135=4\x01" in line and "\x01123=Y\x01" in line
            for line in world.broker.message_log().splitlines()
        )
    )
    reports = [ours.reports.get(timeout=5) for _ in range(2)]
    assert [r.exec_type for r in reports] == [ExecType.PENDING_NEW, ExecType.NEW]
    assert world.broker.validation_complaints() == []
