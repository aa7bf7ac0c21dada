"""Benchmark: FIX 4.4 round trip, NewOrderSingle -> ExecutionReport(New), to a local acceptor.

A QuickFIX ``SocketAcceptor`` (the C++ engine, FileStore, FIX44.xml validation on) answers
every NewOrderSingle with an ExecutionReport New. Timed per order with ``perf_counter_ns``
from the call that sends the order to the moment the parsed report is in the caller's hands,
one order at a time, ``ORDERS`` orders after a warm-up; printed as p50 / p99 / max in
microseconds:

* **our initiator** (``FixBroker``): codec, session, SQLite sequence store (each outbound
  application message is written and fsynced before it goes on the wire; each inbound one
  moves ``next_in``, also fsynced), reader thread, report queue; and the same with
  ``store_fsync=False`` (committed, not fsynced: survives a process crash, not a power loss);
* reference, measured in the same run against the same acceptor: **QuickFIX's own
  initiator** (``SocketInitiator`` with a FileStore, whose default ``FileStoreSync=N`` does not
  fsync), the order sent with ``Session.sendToTarget`` and the report taken in ``fromApp``.

Timings move with machine load; nothing is asserted.

Run: ``.venv/bin/python bench/bench_fix.py [ORDERS]``
"""

from __future__ import annotations

import gc
import itertools
import queue
import socket
import statistics
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

import quickfix as fix

from bounded_contexts.execution.adapters.venues.fix44 import (
    FixBroker,
    FixSessionConfig,
    NewOrderSingle,
)

ORDERS = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000
WARM_UP = 200
DICTIONARY = Path(sys.prefix) / "share" / "quickfix" / "FIX44.xml"


class Acknowledger(fix.Application):  # type: ignore[misc]
    """The acceptor: every NewOrderSingle gets an ExecutionReport New, nothing else."""

    def __init__(self) -> None:
        super().__init__()
        self.ids = itertools.count(1)

    def onCreate(self, session_id: fix.SessionID) -> None:  # QuickFIX names these
        pass

    def onLogon(self, session_id: fix.SessionID) -> None:
        pass

    def onLogout(self, session_id: fix.SessionID) -> None:
        pass

    def toAdmin(self, message: fix.Message, session_id: fix.SessionID) -> None:
        pass

    def fromAdmin(self, message: fix.Message, session_id: fix.SessionID) -> None:
        pass

    def toApp(self, message: fix.Message, session_id: fix.SessionID) -> None:
        pass

    def fromApp(self, message: fix.Message, session_id: fix.SessionID) -> None:
        number = next(self.ids)
        report = fix.Message()
        report.getHeader().setField(fix.MsgType("8"))
        for tag, value in (
            (37, f"B{number}"),
            (11, message.getField(11)),
            (17, f"E{number}"),
            (150, "0"),
            (39, "0"),
            (55, message.getField(55)),
            (54, message.getField(54)),
            (38, message.getField(38)),
            (151, message.getField(38)),
            (14, "0"),
            (6, "0"),
        ):
            report.setField(tag, value)
        fix.Session.sendToTarget(report, session_id)


class ReferenceInitiator(fix.Application):  # type: ignore[misc]
    """QuickFIX's initiator: hands each ExecutionReport's ClOrdID to a queue."""

    def __init__(self) -> None:
        super().__init__()
        self.logged_on = threading.Event()
        self.reports: queue.Queue[str] = queue.Queue()
        self.session_id: fix.SessionID | None = None

    def onCreate(self, session_id: fix.SessionID) -> None:
        self.session_id = session_id

    def onLogon(self, session_id: fix.SessionID) -> None:
        self.logged_on.set()

    def onLogout(self, session_id: fix.SessionID) -> None:
        pass

    def toAdmin(self, message: fix.Message, session_id: fix.SessionID) -> None:
        pass

    def fromAdmin(self, message: fix.Message, session_id: fix.SessionID) -> None:
        pass

    def toApp(self, message: fix.Message, session_id: fix.SessionID) -> None:
        pass

    def fromApp(self, message: fix.Message, session_id: fix.SessionID) -> None:
        self.reports.put(message.getField(11))


def settings_file(directory: Path, lines: list[str]) -> fix.SessionSettings:
    path = directory / "settings.cfg"
    path.write_text("\n".join(lines) + "\n")
    return fix.SessionSettings(str(path))


def common(directory: Path) -> list[str]:
    return [
        f"FileStorePath={directory / 'store'}",
        "StartTime=00:00:00",
        "EndTime=00:00:00",
        "HeartBtInt=30",
        "UseDataDictionary=Y",
        f"DataDictionary={DICTIONARY}",
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentiles(samples_ns: list[int]) -> tuple[float, float, float]:
    ordered = sorted(samples_ns)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) / 1000, p99 / 1000, ordered[-1] / 1000


def ours(port: int, directory: Path, *, fsync: bool, comp_id: str) -> list[int]:
    broker = FixBroker(
        FixSessionConfig(
            host="127.0.0.1",
            port=port,
            sender_comp_id=comp_id,
            target_comp_id="BROKER",
            store_path=directory / "sequence.sqlite",
            heartbeat_interval_s=30,
            store_fsync=fsync,
        )
    )
    broker.start()
    assert broker.wait_logged_on(10), "our initiator did not log on"
    samples = []
    clock = time.perf_counter_ns
    try:
        for number in range(WARM_UP + ORDERS):
            order = NewOrderSingle(
                f"Q{number}", "AAPL", "BUY", "LIMIT", Decimal(10), time.time_ns(), Decimal("101.5")
            )
            started = clock()
            broker.send_new_order(order)
            report = broker.reports.get(timeout=10)
            elapsed = clock() - started
            assert report.cl_ord_id == order.cl_ord_id  # type: ignore[union-attr]
            if number >= WARM_UP:
                samples.append(elapsed)
        assert broker.session_rejects == [], broker.session_rejects
    finally:
        broker.stop()
    return samples


def reference(port: int, directory: Path) -> list[int]:
    application = ReferenceInitiator()
    settings = settings_file(
        directory,
        [
            "[DEFAULT]",
            "ConnectionType=initiator",
            "SocketConnectHost=127.0.0.1",
            f"SocketConnectPort={port}",
            "ReconnectInterval=1",
            *common(directory),
            "[SESSION]",
            "BeginString=FIX.4.4",
            "SenderCompID=QFREF",
            "TargetCompID=BROKER",
        ],
    )
    initiator = fix.SocketInitiator(application, fix.FileStoreFactory(settings), settings)
    initiator.start()
    assert application.logged_on.wait(10), "QuickFIX's initiator did not log on"
    samples = []
    clock = time.perf_counter_ns
    try:
        for number in range(WARM_UP + ORDERS):
            order = fix.Message()
            order.getHeader().setField(fix.MsgType("D"))
            cl_ord_id = f"R{number}"
            for tag, value in (
                (11, cl_ord_id),
                (55, "AAPL"),
                (54, "1"),
                (60, "20261204-12:00:00.000"),
                (38, "10"),
                (40, "2"),
                (44, "101.5"),
                (59, "0"),
            ):
                order.setField(tag, value)
            started = clock()
            fix.Session.sendToTarget(order, application.session_id)
            got = application.reports.get(timeout=10)
            elapsed = clock() - started
            assert got == cl_ord_id
            if number >= WARM_UP:
                samples.append(elapsed)
    finally:
        initiator.stop(True)
        del initiator
        gc.collect()
    return samples


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-fix-") as tmp:
        root = Path(tmp)
        port = free_port()
        (root / "acceptor").mkdir()
        settings = settings_file(
            root / "acceptor",
            [
                "[DEFAULT]",
                "ConnectionType=acceptor",
                f"SocketAcceptPort={port}",
                "SocketReuseAddress=Y",
                *common(root / "acceptor"),
                "ValidateUserDefinedFields=Y",
                "[SESSION]",
                "BeginString=FIX.4.4",
                "SenderCompID=BROKER",
                "TargetCompID=OURS1",
                "[SESSION]",
                "BeginString=FIX.4.4",
                "SenderCompID=BROKER",
                "TargetCompID=OURS2",
                "[SESSION]",
                "BeginString=FIX.4.4",
                "SenderCompID=BROKER",
                "TargetCompID=QFREF",
            ],
        )
        application = Acknowledger()
        acceptor = fix.SocketAcceptor(application, fix.FileStoreFactory(settings), settings)
        acceptor.start()
        try:
            for name in ("a", "b", "reference"):
                (root / name).mkdir()
            rows = [
                ("ours, store fsynced", ours(port, root / "a", fsync=True, comp_id="OURS1")),
                ("ours, store_fsync=False", ours(port, root / "b", fsync=False, comp_id="OURS2")),
                ("reference: QuickFIX's own initiator", reference(port, root / "reference")),
            ]
        finally:
            acceptor.stop(True)
    print(f"{ORDERS:,} NewOrderSingle -> ExecutionReport(New) round trips, one at a time,")
    print("to a local QuickFIX acceptor validating against FIX44.xml; microseconds")
    print(f"{'':38} {'p50':>8} {'p99':>8} {'max':>9}")
    results = {}
    for label, samples in rows:
        p50, p99, worst = percentiles(samples)
        results[label] = (p50, p99)
        print(f"{label:38} {p50:8.1f} {p99:8.1f} {worst:9.1f}")
    (sync_p50, sync_p99), (fast_p50, fast_p99), (ref_p50, ref_p99) = results.values()
    print(f"ours fsynced / QuickFIX: p50 x{sync_p50 / ref_p50:.2f}, p99 x{sync_p99 / ref_p99:.2f}")
    print(f"ours unsynced / QuickFIX (both without fsync): p50 x{fast_p50 / ref_p50:.2f},", end="")
    print(f" p99 x{fast_p99 / ref_p99:.2f}")


if __name__ == "__main__":
    main()
