"""What no well-behaved engine sends, from a peer scripted byte by byte: garbage, frames without
a sequence number, reports missing required fields, a message type we do not handle, a
sequence number that went backwards. Each is reported with what was wrong; none crashes the
session; a report that follows is still delivered once."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from pathlib import Path

import pytest

from bounded_contexts.execution.adapters.venues.fix44 import (
    ExecutionReport,
    FixBroker,
    FixSessionConfig,
)
from bounded_contexts.execution.adapters.venues.fix44.session import SessionState
from tests.execution.integration.fix44_kit import (
    BROKER_ID,
    CLIENT_ID,
    ScriptedPeer,
    raw_frame,
    wait_until,
)

FILL = [
    (37, "B1"),
    (11, "o1"),
    (17, "E1"),
    (150, "F"),
    (39, "2"),
    (55, "AAPL"),
    (54, "1"),
    (151, "0"),
    (14, "10"),
    (6, "100"),
    (32, "10"),
    (31, "100"),
]


@pytest.fixture
def peer() -> Iterator[ScriptedPeer]:
    made = ScriptedPeer()
    yield made
    made.close()


@pytest.fixture
def ours(peer: ScriptedPeer, tmp_path: Path) -> Iterator[FixBroker]:
    broker = FixBroker(
        FixSessionConfig(
            host="127.0.0.1",
            port=peer.port,
            sender_comp_id=CLIENT_ID,
            target_comp_id=BROKER_ID,
            store_path=tmp_path / "sequence.sqlite",
            heartbeat_interval_s=30,
            reconnect_interval_s=0.1,
            max_reconnect_interval_s=0.2,
            logout_timeout_s=0.2,
        )
    )
    broker.start()
    assert broker.wait_logged_on(5)
    yield broker
    broker.stop()


def test_garbage_and_broken_messages_are_reported_and_the_next_fill_is_delivered(
    peer: ScriptedPeer, ours: FixBroker
) -> None:
    peer.send_raw(b"\x00\xffnot fix at all\x01")
    peer.send_raw(b"8=FIX.4.4\x019=12\x0135=0\x0149=BROKER\x0110=000\x01")  # length lies
    peer.send("8", [f for f in FILL if f[0] != 17])  # in sequence, but no ExecID(17)
    peer.send("8", FILL)
    report = ours.reports.get(timeout=5)
    assert isinstance(report, ExecutionReport) and report.exec_id == "E1"
    assert ours.session.count("garbled") >= 2
    (undecodable,) = ours.undecodable
    assert "17" in str(undecodable)
    assert ours.session.state is SessionState.LOGGED_ON
    assert wait_until(lambda: ours.store.next_in == peer.next_seq)  # persisted after delivery


def test_a_frame_without_a_sequence_number_is_ignored_not_counted(
    peer: ScriptedPeer, ours: FixBroker
) -> None:
    peer.send_raw(raw_frame([(35, "0"), (49, BROKER_ID), (56, CLIENT_ID)]))
    assert ours.session.wait_for(lambda: ours.session.count("garbled") == 1, 5)
    assert "MsgSeqNum" in next(e.detail for e in ours.session.events if e.kind == "garbled")
    assert ours.store.next_in == 2 and ours.session.state is SessionState.LOGGED_ON


def test_a_message_type_we_do_not_handle_gets_a_business_message_reject(
    peer: ScriptedPeer, ours: FixBroker
) -> None:
    peer.send("B", [(148, "market closed early")])  # News
    assert wait_until(lambda: len(peer.frames_of_type("j")) == 1)
    (reject,) = peer.frames_of_type("j")
    assert b"\x0145=2\x01" in reject and b"\x01372=B\x01" in reject and b"\x01380=3\x01" in reject
    with pytest.raises(queue.Empty):
        ours.reports.get(timeout=0.1)


def test_a_sequence_number_that_went_backwards_ends_the_session_with_a_logout(
    peer: ScriptedPeer, ours: FixBroker
) -> None:
    peer.send("0", [])
    peer.send("8", FILL, seq=2)  # 2 again, not flagged as a possible duplicate
    assert wait_until(lambda: len(peer.frames_of_type("5")) == 1)
    assert b"MsgSeqNum too low, expecting 3 but received 2" in peer.frames_of_type("5")[0]
    assert ours.session.wait_for(lambda: ours.session.count("disconnected") == 1, 5)
    assert ours.reports.empty()
    assert wait_until(lambda: peer.connections == 2)  # and it tries again


def test_sending_time_comes_from_the_injected_clock_in_utc_with_milliseconds(
    peer: ScriptedPeer, tmp_path: Path
) -> None:
    config = FixSessionConfig(
        host="127.0.0.1",
        port=peer.port,
        sender_comp_id=CLIENT_ID,
        target_comp_id=BROKER_ID,
        store_path=tmp_path / "clocked.sqlite",
        logout_timeout_s=0.2,
    )
    broker = FixBroker(config, clock=lambda: 1_796_385_600_123_456_789)
    broker.start()
    try:
        assert broker.wait_logged_on(5)
        (logon,) = peer.frames_of_type("A")
        assert b"\x0152=20261204-12:00:00.123\x01" in logon
        assert b"\x01108=30\x01" in logon and b"\x0134=1\x01" in logon
    finally:
        broker.stop()


def test_a_session_reject_from_the_broker_is_recorded_with_its_reason(
    peer: ScriptedPeer, ours: FixBroker
) -> None:
    peer.send("3", [(45, "1"), (371, "108"), (372, "A"), (373, "5"), (58, "Value is incorrect")])
    assert ours.session.wait_for(lambda: ours.session.count("session_reject") == 1, 5)
    assert wait_until(lambda: len(ours.session_rejects) == 1)
    (reject,) = ours.session_rejects
    assert (reject.ref_seq_num, reject.ref_tag, reject.ref_msg_type, reject.reason) == (
        1,
        108,
        "A",
        5,
    )
    assert reject.text == "Value is incorrect"
    assert ours.session.state is SessionState.LOGGED_ON
