"""The FIX 4.4 session layer of our initiator against QuickFIX as the broker: logon and
logout, heartbeats both ways, a TestRequest when the broker goes silent (and a reconnect when
it stays silent), sequence numbers carried over an initiator restart with no reset, and a
garbled frame from the broker reported without ending the session."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from bounded_contexts.execution.adapters.venues.fix44 import NewOrderSingle
from bounded_contexts.execution.adapters.venues.fix44.session import SessionState
from tests.execution.integration.fix44_kit import FixWorld, is_type, wait_until


@pytest.fixture
def world(tmp_path: Path) -> Iterator[FixWorld]:
    made = FixWorld(tmp_path)
    yield made
    made.close()


def test_our_initiator_logs_on_and_out_and_the_broker_accepts_both(world: FixWorld) -> None:
    ours = world.initiator()
    assert wait_until(lambda: world.broker.record.logons == 1)
    assert world.broker.record.logon_seqs == [1]
    ours.stop()
    assert ours.session.state is SessionState.STOPPED
    assert wait_until(lambda: world.broker.record.logouts == 1)
    assert ours.session.count("logged_out") == 1
    assert world.broker.validation_complaints() == []


def heartbeats_from(world: FixWorld, sender: str) -> int:
    lines = world.broker.message_log().splitlines()
    return sum("\x0135=0\x01" in line and f"\x0149={sender}\x01" in line for line in lines)


def test_an_idle_session_exchanges_heartbeats_and_stays_logged_on(world: FixWorld) -> None:
    ours = world.initiator()
    assert wait_until(lambda: heartbeats_from(world, "QUANTVISTA") >= 2, timeout=10)
    assert wait_until(lambda: heartbeats_from(world, "BROKER") >= 2, timeout=10)
    assert ours.session.state is SessionState.LOGGED_ON
    assert ours.session.count("disconnected") == 0
    assert world.broker.validation_complaints() == []


def test_a_silent_broker_gets_a_test_request_and_its_answer_is_recognised(world: FixWorld) -> None:
    ours = world.initiator()
    world.proxy.hold()  # nothing from the broker reaches us; it still hears us
    assert ours.session.wait_for(lambda: ours.session.count("test_request_sent") == 1, 5)
    world.proxy.release()
    assert ours.session.wait_for(lambda: ours.session.count("test_request_answered") == 1, 5)
    assert ours.session.state is SessionState.LOGGED_ON
    assert ours.session.count("disconnected") == 0
    assert world.broker.validation_complaints() == []


def test_a_broker_that_stays_silent_is_dropped_and_logged_on_to_again(world: FixWorld) -> None:
    ours = world.initiator()
    world.proxy.hold()
    assert ours.session.wait_for(lambda: ours.session.count("peer_silent") == 1, 8)
    world.proxy.release()
    assert ours.session.wait_for(lambda: ours.session.count("logged_on") == 2, 10)
    assert world.proxy.connections == 2
    assert world.broker.validation_complaints() == []


def test_sequence_numbers_carry_over_an_initiator_restart_without_a_reset(world: FixWorld) -> None:
    first = world.initiator()
    for number in range(3):
        first.send_new_order(
            NewOrderSingle(f"o{number}", "X", "BUY", "MARKET", Decimal(2), time.time_ns())
        )
    assert wait_until(lambda: first.reports.qsize() == 12)  # 3 x (PendingNew, New, 2 fills)
    first.stop()
    out_before, in_before = first.store.next_out, first.store.next_in
    assert wait_until(lambda: world.broker.record.logouts == 1)
    second = world.initiator()  # a new process over the same store file
    assert world.broker.record.logon_seqs == [1, out_before]
    assert wait_until(lambda: second.store.next_in == in_before + 1)  # its Logon: the next
    assert second.session.count("resend_requested") == 0
    assert "141=Y" not in world.broker.message_log()  # no ResetSeqNumFlag either way
    assert world.broker.validation_complaints() == []


def test_a_garbled_frame_from_the_broker_is_reported_and_the_session_reads_on(
    world: FixWorld,
) -> None:
    ours = world.initiator()
    world.proxy.corrupt_next = is_type("0")  # the broker's next heartbeat arrives garbled
    assert ours.session.wait_for(lambda: ours.session.count("garbled") == 1, 5)
    (garbled,) = [e for e in ours.session.events if e.kind == "garbled"]
    assert "CheckSum(10)" in garbled.detail
    # the next heartbeat shows the gap; the broker gap-fills over the lost heartbeat
    assert ours.session.wait_for(lambda: ours.session.count("gap_filled") == 1, 5)
    assert ours.session.state is SessionState.LOGGED_ON
    assert ours.session.count("disconnected") == 0
    assert world.broker.validation_complaints() == []
