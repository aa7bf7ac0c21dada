"""The FIX 4.4 tests' counterparts: QuickFIX as the broker, and a proxy between us and it.

:class:`QuickFixBroker` runs a QuickFIX ``SocketAcceptor`` (the C++ engine, independent of our
initiator) with ``UseDataDictionary=Y`` on QuickFIX's own FIX44.xml, so every message we send
is validated by someone else's reading of the standard. Its ``fromApp`` is a small scripted
broker: a NewOrderSingle is acknowledged (PendingNew, then New); a MARKET order then fills in
two parts at once; a LIMIT order rests until the test calls :meth:`QuickFixBroker.fill`; symbol
``REJECTME`` is rejected (ExecType Rejected); a LIMIT order without Price(44) gets a
BusinessMessageReject; cancel and cancel/replace answer PendingCancel/Canceled and
PendingReplace/Replaced, or OrderCancelReject for an order it does not know — or for the next
cancel or replace the test told it to refuse (:meth:`QuickFixBroker.refuse_next`).

:class:`FixProxy` forwards bytes both ways and can, on the broker->us side, hold frames (a
silent broker), corrupt or duplicate (as a PossDup copy) the next frame a predicate picks, and
on the us->broker side drop one; ``cut()`` drops the connections and refuses new ones until
``restore()``. It frames with a regular expression of its own, not with our codec.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import re
import select
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import quickfix as fix

from bounded_contexts.execution.adapters.venues.fix44 import FixBroker, FixSessionConfig

BROKER_ID = "BROKER"
CLIENT_ID = "QUANTVISTA"
DATA_DICTIONARY = Path(sys.prefix) / "share" / "quickfix" / "FIX44.xml"

VALIDATION_WORDS = (
    "reject",
    "invalid",
    "incorrect",
    "required tag missing",
    "value is incorrect",
    "tag not defined",
    "out of order",
    "conditionally required",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@dataclass
class _Order:
    cl_ord_id: str
    order_id: str
    symbol: str
    side: str
    quantity: Decimal
    price: Decimal | None
    cum_qty: Decimal = Decimal(0)
    notional: Decimal = Decimal(0)
    open: bool = True

    @property
    def leaves(self) -> Decimal:
        return self.quantity - self.cum_qty if self.open else Decimal(0)

    @property
    def avg_px(self) -> Decimal:
        return self.notional / self.cum_qty if self.cum_qty else Decimal(0)


@dataclass
class BrokerRecord:
    """What the broker saw: application messages by type (ClOrdID lists) and logons."""

    received: dict[str, list[str]] = field(default_factory=dict)
    logons: int = 0
    logouts: int = 0
    logon_seqs: list[int] = field(default_factory=list)
    admin_received: list[str] = field(default_factory=list)


class _Application(fix.Application):  # type: ignore[misc]
    def __init__(self, broker: QuickFixBroker) -> None:
        super().__init__()
        self.broker = broker

    def onCreate(self, session_id: fix.SessionID) -> None:  # QuickFIX names these
        self.broker.session_id = session_id

    def onLogon(self, session_id: fix.SessionID) -> None:
        self.broker.record.logons += 1

    def onLogout(self, session_id: fix.SessionID) -> None:
        self.broker.record.logouts += 1

    def toAdmin(self, message: fix.Message, session_id: fix.SessionID) -> None:
        pass

    def fromAdmin(self, message: fix.Message, session_id: fix.SessionID) -> None:
        msg_type = message.getHeader().getField(35)
        self.broker.record.admin_received.append(message.toString().replace("\x01", "|"))
        if msg_type == "A":
            self.broker.record.logon_seqs.append(int(message.getHeader().getField(34)))

    def toApp(self, message: fix.Message, session_id: fix.SessionID) -> None:
        pass

    def fromApp(self, message: fix.Message, session_id: fix.SessionID) -> None:
        self.broker.on_application(message)


class QuickFixBroker:
    def __init__(self, directory: Path, port: int, heartbeat_s: int = 1) -> None:
        self.directory = directory
        self.port = port
        self.record = BrokerRecord()
        self.session_id: fix.SessionID | None = None
        self.orders: dict[str, _Order] = {}
        self._exec_ids = itertools.count(1)
        self._order_ids = itertools.count(1)
        self._refusals: dict[str, tuple[str, str]] = {}  # MsgType -> (CxlRejReason, Text)
        self._lock = threading.Lock()
        directory.mkdir(parents=True, exist_ok=True)
        cfg = directory / "acceptor.cfg"
        cfg.write_text(
            "\n".join(
                [
                    "[DEFAULT]",
                    "ConnectionType=acceptor",
                    f"SocketAcceptPort={port}",
                    "SocketReuseAddress=Y",
                    f"FileStorePath={directory / 'store'}",
                    f"FileLogPath={directory / 'log'}",
                    "StartTime=00:00:00",
                    "EndTime=00:00:00",
                    "UseDataDictionary=Y",
                    f"DataDictionary={DATA_DICTIONARY}",
                    "ValidateUserDefinedFields=Y",
                    "ValidateFieldsOutOfOrder=Y",
                    "ValidateFieldsHaveValues=Y",
                    "ResetOnLogon=N",
                    "ResetOnLogout=N",
                    "ResetOnDisconnect=N",
                    "[SESSION]",
                    "BeginString=FIX.4.4",
                    f"SenderCompID={BROKER_ID}",
                    f"TargetCompID={CLIENT_ID}",
                    "",
                ]
            )
        )
        self._settings = fix.SessionSettings(str(cfg))
        self._application = _Application(self)
        self._acceptor: fix.SocketAcceptor | None = fix.SocketAcceptor(
            self._application,
            fix.FileStoreFactory(self._settings),
            self._settings,
            fix.FileLogFactory(self._settings),
        )

    def start(self) -> None:
        assert self._acceptor is not None, "a stopped QuickFixBroker is not restarted"
        self._acceptor.start()

    def stop(self) -> None:
        """Stop and destroy the acceptor: QuickFIX keeps sessions in a process-wide registry
        until their acceptor is destroyed, and a later acceptor for the same session ids would
        otherwise answer "Session not found"."""
        if self._acceptor is not None:
            self._acceptor.stop(True)
            self._acceptor = None
            gc.collect()

    # --- what it saw ----------------------------------------------------------------------

    def event_log(self) -> str:
        return "".join(p.read_text() for p in sorted((self.directory / "log").glob("*event*")))

    def message_log(self) -> str:
        return "".join(p.read_text() for p in sorted((self.directory / "log").glob("*messages*")))

    def validation_complaints(self) -> list[str]:
        """Event-log lines where QuickFIX refused something of ours, and every Reject(3) it
        sent us (an empty list: it accepted everything)."""
        complaints = [
            line
            for line in self.event_log().splitlines()
            if any(word in line.lower() for word in VALIDATION_WORDS)
        ]
        sent_rejects = [
            line
            for line in self.message_log().splitlines()
            if f"\x0135=3\x0149={BROKER_ID}" in line
        ]
        return complaints + sent_rejects

    def count(self, msg_type: str) -> int:
        return len(self.record.received.get(msg_type, []))

    # --- the scripted broker --------------------------------------------------------------

    def on_application(self, message: fix.Message) -> None:
        msg_type = message.getHeader().getField(35)
        cl_ord_id = message.getField(11) if message.isSetField(11) else ""
        with self._lock:
            self.record.received.setdefault(msg_type, []).append(cl_ord_id)
            if msg_type == "D":
                self._new_order(message)
            elif msg_type == "F":
                self._cancel(message)
            elif msg_type == "G":
                self._replace(message)

    def _new_order(self, message: fix.Message) -> None:
        ord_type = message.getField(40)
        if ord_type == "2" and not message.isSetField(44):
            reject = self._message("j")
            reject.setField(45, message.getHeader().getField(34))
            reject.setField(372, "D")
            reject.setField(379, message.getField(11))
            reject.setField(380, "5")
            reject.setField(58, "Conditionally required field missing: Price(44)")
            self._send(reject)
            return
        order = _Order(
            cl_ord_id=message.getField(11),
            order_id=f"B{next(self._order_ids)}",
            symbol=message.getField(55),
            side=message.getField(54),
            quantity=Decimal(message.getField(38)),
            price=Decimal(message.getField(44)) if message.isSetField(44) else None,
        )
        if order.symbol == "REJECTME":
            order.open = False
            self._report(order, "8", "8", text="unknown symbol", reject_reason="1")
            return
        self.orders[order.cl_ord_id] = order
        self._report(order, "A", "A")
        self._report(order, "0", "0")
        if ord_type == "1":  # a market order fills at once, in two parts
            half = (order.quantity / 2).to_integral_value()
            self._fill(order, half, Decimal("100.25"))
            self._fill(order, order.quantity - half, Decimal("100.50"))

    def _cancel(self, message: fix.Message) -> None:
        order = self.orders.get(message.getField(41))
        if order is None or not order.open:
            self._cancel_reject(message, "1", order)
            return
        if "F" in self._refusals:
            self._cancel_reject(message, "1", order, *self._refusals.pop("F"))
            return
        # OrigClOrdID(41) names the order cancelled (FIX 4.4: required in answer to a cancel)
        cancel, orig = message.getField(11), message.getField(41)
        self._report(order, "6", "6", cl_ord_id=cancel, orig=orig)
        order.open = False
        self._report(order, "4", "4", cl_ord_id=cancel, orig=orig)

    def _replace(self, message: fix.Message) -> None:
        order = self.orders.get(message.getField(41))
        if order is None or not order.open:
            self._cancel_reject(message, "2", order)
            return
        if "G" in self._refusals:
            self._cancel_reject(message, "2", order, *self._refusals.pop("G"))
            return
        self._report(order, "E", "E", cl_ord_id=message.getField(11))
        del self.orders[order.cl_ord_id]
        order.cl_ord_id = message.getField(11)
        order.quantity = Decimal(message.getField(38))
        order.price = Decimal(message.getField(44)) if message.isSetField(44) else None
        self.orders[order.cl_ord_id] = order
        status = "1" if order.cum_qty else "0"
        self._report(order, "5", status, orig=message.getField(41))

    def _cancel_reject(
        self,
        message: fix.Message,
        response_to: str,
        order: _Order | None,
        reason: str = "1",
        text: str = "unknown order",
    ) -> None:
        """OrderCancelReject(9): CxlRejResponseTo(434) 1 for a cancel, 2 for a replace;
        OrdStatus(39) the order's as it stands (Rejected for one it does not know)."""
        reject = self._message("9")
        reject.setField(37, "NONE" if order is None else order.order_id)
        reject.setField(11, message.getField(11))
        reject.setField(41, message.getField(41))
        reject.setField(39, "8" if order is None else self._status(order))
        reject.setField(434, response_to)
        reject.setField(102, reason)
        reject.setField(58, text)
        self._send(reject)

    @staticmethod
    def _status(order: _Order) -> str:
        if not order.open:
            return "2" if order.cum_qty >= order.quantity else "4"
        return "1" if order.cum_qty else "0"

    # --- driven by the test ---------------------------------------------------------------

    def refuse_next(self, msg_type: str, text: str, reason: str = "2") -> None:
        """Answer the next OrderCancelRequest (``F``) or OrderCancelReplaceRequest (``G``)
        with an OrderCancelReject: CxlRejReason(102) ``reason`` (0 too late to cancel, 2
        broker option …) and Text(58) ``text``."""
        with self._lock:
            self._refusals[msg_type] = (reason, text)

    def fill(self, cl_ord_id: str, quantity: Decimal, price: Decimal) -> None:
        """Send a fill now (stored and sent later by QuickFIX if we are disconnected)."""
        with self._lock:
            self._fill(self.orders[cl_ord_id], quantity, price)

    def expire(self, cl_ord_id: str) -> None:
        with self._lock:
            order = self.orders[cl_ord_id]
            order.open = False
            self._report(order, "C", "C")

    def restate(self, cl_ord_id: str) -> None:
        with self._lock:
            order = self.orders[cl_ord_id]
            self._report(order, "D", "1" if order.cum_qty else "0")

    def _fill(self, order: _Order, quantity: Decimal, price: Decimal) -> None:
        order.cum_qty += quantity
        order.notional += quantity * price
        status = "2" if order.cum_qty >= order.quantity else "1"
        if status == "2":
            order.open = False
        self._report(order, "F", status, last=(quantity, price))

    def _report(
        self,
        order: _Order,
        exec_type: str,
        status: str,
        *,
        last: tuple[Decimal, Decimal] | None = None,
        cl_ord_id: str | None = None,
        orig: str | None = None,
        text: str | None = None,
        reject_reason: str | None = None,
    ) -> None:
        report = self._message("8")
        report.setField(37, order.order_id)
        report.setField(11, cl_ord_id or order.cl_ord_id)
        if orig:
            report.setField(41, orig)
        report.setField(17, f"E{next(self._exec_ids)}")
        report.setField(150, exec_type)
        report.setField(39, status)
        report.setField(55, order.symbol)
        report.setField(54, order.side)
        report.setField(38, str(order.quantity))
        if order.price is not None:
            report.setField(44, str(order.price))
        if last is not None:
            report.setField(32, str(last[0]))
            report.setField(31, str(last[1]))
            report.setField(12, "1.5")
            report.setField(13, "3")
        report.setField(151, str(order.leaves))
        report.setField(14, str(order.cum_qty))
        report.setField(6, str(order.avg_px.quantize(Decimal("0.0001"))))
        report.setField(60, "20261204-12:00:00.123")
        if text:
            report.setField(58, text)
        if reject_reason:
            report.setField(103, reject_reason)
        self._send(report)

    def _message(self, msg_type: str) -> fix.Message:
        message = fix.Message()
        message.getHeader().setField(fix.BeginString("FIX.4.4"))
        message.getHeader().setField(fix.MsgType(msg_type))
        return message

    def _send(self, message: fix.Message) -> None:
        fix.Session.sendToTarget(message, self.session_id)


# --- the proxy ------------------------------------------------------------------------------

_FRAME = re.compile(rb"8=FIX[^\x01]*\x019=(\d+)\x01")


def split_frames(buffer: bytearray) -> list[bytes]:
    """Cut complete frames off the front of ``buffer`` (BodyLength tells where each ends)."""
    frames = []
    while True:
        match = _FRAME.match(buffer)
        if match is None:
            return frames
        end = match.end() + int(match.group(1)) + 7
        if len(buffer) < end:
            return frames
        frames.append(bytes(buffer[:end]))
        del buffer[:end]


def with_poss_dup(frame: bytes) -> bytes:
    """The same message flagged PossDupFlag(43)=Y, BodyLength and CheckSum recomputed."""
    fields = frame.split(b"\x01")[:-2]  # drop the checksum and the empty tail
    body = fields[2:]
    position = next(i for i, f in enumerate(body) if f.startswith(b"34=")) + 1
    body.insert(position, b"43=Y")
    body_bytes = b"\x01".join(body) + b"\x01"
    head = fields[0] + b"\x01" + b"9=%d\x01" % len(body_bytes)
    out = head + body_bytes
    return out + b"10=%03d\x01" % (sum(out) % 256)


def corrupted(frame: bytes) -> bytes:
    """The same frame with one body byte changed, so its CheckSum(10) no longer adds up."""
    position = frame.index(b"\x0135=") + 4
    changed = bytearray(frame)
    changed[position + 1] = ord("Z") if changed[position + 1] != ord("Z") else ord("Y")
    return bytes(changed)


FramePredicate = Callable[[bytes], bool]


class FixProxy:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self.port = int(self._listener.getsockname()[1])
        self._open = threading.Event()
        self._open.set()
        self._holding = threading.Event()
        self._held: list[bytes] = []
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._closed = False
        self.corrupt_next: FramePredicate | None = None
        self.duplicate_next: FramePredicate | None = None
        self.drop_next_upstream: FramePredicate | None = None
        self.tampered: list[bytes] = []  # the frames corrupted, duplicated or dropped
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def hold(self) -> None:
        """Keep every broker->us frame back (the broker looks silent) until ``release``."""
        self._holding.set()

    def release(self) -> None:
        self._holding.clear()

    def cut(self) -> None:
        self._open.clear()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()
            self._sockets.clear()

    def restore(self) -> None:
        self._open.set()

    def close(self) -> None:
        self._closed = True
        self.cut()
        with contextlib.suppress(OSError):
            self._listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._open.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._sockets.update((client, upstream))
                self._held.clear()
            self.connections += 1
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        down, up = bytearray(), bytearray()
        try:
            while self._open.is_set():
                ready, _, _ = select.select([client, upstream], [], [], 0.02)
                for source in ready:
                    data = source.recv(65536)
                    if not data:
                        return
                    (down if source is upstream else up).extend(data)
                for frame in split_frames(up):
                    if self.drop_next_upstream and self.drop_next_upstream(frame):
                        self.drop_next_upstream = None
                        self.tampered.append(frame)
                        continue
                    upstream.sendall(frame)
                self._held.extend(split_frames(down))
                if not self._holding.is_set():
                    held, self._held[:] = list(self._held), []
                    for frame in held:
                        client.sendall(self._downstream(frame))
        except OSError:
            return
        finally:
            for sock in (client, upstream):
                with contextlib.suppress(OSError):
                    sock.close()
            with self._lock:
                self._sockets.difference_update((client, upstream))

    def _downstream(self, frame: bytes) -> bytes:
        if self.corrupt_next and self.corrupt_next(frame):
            self.corrupt_next = None
            self.tampered.append(frame)
            return corrupted(frame)
        if self.duplicate_next and self.duplicate_next(frame):
            self.duplicate_next = None
            self.tampered.append(frame)
            return frame + with_poss_dup(frame)
        return frame


def is_type(msg_type: str, *, exec_type: str | None = None) -> FramePredicate:
    """A predicate: a frame of this MsgType (and ExecType(150), for an ExecutionReport)."""

    def check(frame: bytes) -> bool:
        if f"\x0135={msg_type}\x01".encode() not in frame:
            return False
        return exec_type is None or f"\x01150={exec_type}\x01".encode() in frame

    return check


# --- one test's world -----------------------------------------------------------------------


class FixWorld:
    """QuickFIX as the broker, the proxy in front of it, and our initiators built on demand
    (all over one sequence store file, as a restarted process would be); ``close`` stops all."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        port = free_port()
        self.broker = QuickFixBroker(directory / "quickfix", port)
        self.broker.start()
        self.proxy = FixProxy(port)
        self.config = FixSessionConfig(
            host="127.0.0.1",
            port=self.proxy.port,
            sender_comp_id=CLIENT_ID,
            target_comp_id=BROKER_ID,
            store_path=directory / "ours" / "sequence.sqlite",
            heartbeat_interval_s=1,
            reconnect_interval_s=0.1,
            max_reconnect_interval_s=0.4,
            logon_timeout_s=3.0,
        )
        self.initiators: list[FixBroker] = []

    def initiator(self) -> FixBroker:
        ours = FixBroker(self.config)
        self.initiators.append(ours)
        ours.start()
        assert ours.wait_logged_on(10), list(ours.session.events)
        return ours

    def close(self) -> None:
        for ours in self.initiators:
            with contextlib.suppress(Exception):
                ours.stop()
        self.proxy.close()
        self.broker.stop()


# --- a scripted peer for what no real engine sends --------------------------------------------


def raw_frame(fields: list[tuple[int, str]]) -> bytes:
    """A FIX 4.4 frame built here (not by our codec): BodyLength and CheckSum computed."""
    body = "".join(f"{tag}={value}\x01" for tag, value in fields).encode()
    head = b"8=FIX.4.4\x019=%d\x01" % len(body)
    return head + body + b"10=%03d\x01" % (sum(head + body) % 256)


class ScriptedPeer:
    """A bare TCP acceptor the test scripts byte by byte: it answers a Logon with a Logon
    (its own MsgSeqNum counting from 1 per connection unless told otherwise) and records every
    frame it receives; ``send``/``send_raw`` put whatever the test wants on the wire."""

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(4)
        self.port = int(self._listener.getsockname()[1])
        self.received: list[bytes] = []
        self.connections = 0
        self.next_seq = 1
        self._conn: socket.socket | None = None
        self._closed = False
        threading.Thread(target=self._serve, daemon=True).start()

    def frames_of_type(self, msg_type: str) -> list[bytes]:
        return [f for f in list(self.received) if f"\x0135={msg_type}\x01".encode() in f]

    def send(self, msg_type: str, body: list[tuple[int, str]], seq: int | None = None) -> None:
        number = self.next_seq if seq is None else seq
        if seq is None:
            self.next_seq += 1
        header = [(35, msg_type), (49, BROKER_ID), (56, CLIENT_ID), (34, str(number))]
        header.append((52, "20261204-12:00:00.000"))
        self.send_raw(raw_frame(header + body))

    def send_raw(self, data: bytes) -> None:
        assert self._conn is not None, "no initiator connected"
        self._conn.sendall(data)

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._listener.close()
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()

    def _serve(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            self._conn = conn
            buffer = bytearray()
            try:
                while True:
                    data = conn.recv(65536)
                    if not data:
                        break
                    buffer.extend(data)
                    for frame in split_frames(buffer):
                        self.received.append(frame)
                        if b"\x0135=A\x01" in frame:
                            self.send("A", [(98, "0"), (108, "30")])
            except OSError:
                pass
            finally:
                with contextlib.suppress(OSError):
                    conn.close()
