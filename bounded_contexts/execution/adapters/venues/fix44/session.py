"""The FIX 4.4 initiator session: a state machine over one TCP connection at a time.

Why threads and not asyncio: the session is one blocking socket read loop on its own thread
(which also keeps the heartbeat timers, waking at least every ``_TICK_S``), and the
application sends from whichever thread it runs on under one lock. That keeps the platform's
synchronous services and tests free of an event loop, and the lock makes "take a sequence
number, store the message, write it" one step, so two senders never interleave numbers.

What it does:

* connects, sends Logon(A) with HeartBtInt(108) and the stored next MsgSeqNum — never a reset —
  and reconnects after a disconnect, waiting ``reconnect_interval_s`` doubled per failure;
* sends Heartbeat(0) when it has sent nothing for a heartbeat interval, a TestRequest(1) when
  the broker has been silent for 1.2 intervals, and drops the connection when it stays silent
  for another interval after that;
* checks every inbound MsgSeqNum(34): the expected one is processed and the expected number
  persisted after it; a higher one starts a ResendRequest(2) for everything from the expected
  number on (messages above the gap are dropped: the resend brings them again, in order); a
  lower one flagged PossDupFlag(43)=Y is a duplicate and dropped — this is what keeps a fill
  from being delivered twice — and a lower one without the flag is a broken session (Logout);
* answers the broker's ResendRequest with the stored application messages (PossDupFlag=Y,
  OrigSendingTime(122)) and a SequenceReset-GapFill(4, 123=Y) over admin messages;
* reports a garbled frame (:class:`FixDecodeError`) as an event and reads on: the frame costs
  no sequence number, so the next good frame shows the gap and the resend heals it;
* answers Logout(5), and on ``stop()`` sends one and waits for the answer.

Everything worth a look is reported as a :class:`SessionEvent` (to ``on_event`` and kept in
``events``), so tests and operators can wait on conditions instead of sleeping.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from bounded_contexts.execution.adapters.venues.fix44.codec import (
    FixDecodeError,
    FixMessage,
    FrameReader,
    encode_fields,
)
from bounded_contexts.execution.adapters.venues.fix44.codec import (
    frame as wrap_frame,
)
from bounded_contexts.execution.adapters.venues.fix44.config import FixSessionConfig
from bounded_contexts.execution.adapters.venues.fix44.messages import format_utc_timestamp
from bounded_contexts.execution.adapters.venues.fix44.sequence_store import SequenceStore

_TICK_S = 0.05
_TEST_REQUEST_FACTOR = 1.2
ADMIN_TYPES = frozenset({"0", "1", "2", "3", "4", "5", "A"})


class FixNotLoggedOn(RuntimeError):
    """An application message was offered while no session is logged on: it was not sent,
    took no sequence number and is not kept for resend."""


class SessionState(StrEnum):
    DISCONNECTED = "DISCONNECTED"
    LOGGING_ON = "LOGGING_ON"
    LOGGED_ON = "LOGGED_ON"
    LOGGING_OUT = "LOGGING_OUT"
    STOPPED = "STOPPED"


@dataclass(frozen=True)
class SessionEvent:
    """``kind`` is one of: connected, connect_failed, logged_on, logged_out, disconnected,
    garbled, resend_requested, resend_answered, gap_filled, duplicate_dropped, test_request_sent,
    test_request_answered, peer_silent, session_reject, seq_too_low, handler_failed."""

    kind: str
    detail: str
    ts_ns: int


class _Disconnect(Exception):
    """Ends the current connection (the reason becomes the 'disconnected' event's detail)."""


class FixSession:
    def __init__(
        self,
        config: FixSessionConfig,
        store: SequenceStore,
        on_application: Callable[[FixMessage], None],
        *,
        clock: Callable[[], int] = time.time_ns,
        on_event: Callable[[SessionEvent], None] | None = None,
    ) -> None:
        """``on_application`` gets each in-sequence application message (and the session
        reject, 35=3) once, on the reader thread; ``clock`` gives UTC ns for SendingTime(52)."""
        self.config = config
        self.store = store
        self._on_application = on_application
        self._clock = clock
        self._on_event = on_event
        self.events: deque[SessionEvent] = deque(maxlen=10_000)
        self.state = SessionState.DISCONNECTED
        self._send_lock = threading.RLock()
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._test_ids = itertools.count(1)
        self._reset_timers()

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("a FixSession starts once; build a new one to start again")
        self._thread = threading.Thread(
            target=self._run, name=f"fix-{self.config.sender_comp_id}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Log out (waiting up to ``logout_timeout_s`` for the answer), close, end the thread."""
        if self.state is SessionState.LOGGED_ON:
            with contextlib.suppress(OSError, FixNotLoggedOn):
                self._set_state(SessionState.LOGGING_OUT)
                self._send_admin("5", [])
            self.wait_for(
                lambda: self.state is not SessionState.LOGGING_OUT, self.config.logout_timeout_s
            )
        self._stopping.set()
        self._close_socket()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._set_state(SessionState.STOPPED)

    def wait_for(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Block until ``condition()`` holds (checked on every state change/event) or time out."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(min(left, 0.1))
        return True

    def wait_logged_on(self, timeout: float) -> bool:
        return self.wait_for(lambda: self.state is SessionState.LOGGED_ON, timeout)

    def count(self, kind: str) -> int:
        return sum(1 for event in list(self.events) if event.kind == kind)

    # --- sending --------------------------------------------------------------------------

    def send_application(self, msg_type: str, body: list[tuple[int, str]]) -> int:
        """Number, persist and send one application message; returns its MsgSeqNum(34).

        Raises :class:`FixNotLoggedOn` (nothing numbered or kept) when no session is up. If the
        connection breaks while the message is being written, ``OSError`` is raised but the
        message keeps its number in the store: after the reconnect the broker sees the gap and
        asks for it, and it is resent (PossDupFlag=Y) — so do not send it again under a new
        ClOrdID."""
        body_bytes = encode_fields(body)  # refuses bad values before a number is taken
        with self._send_lock:
            if self.state is not SessionState.LOGGED_ON or self._sock is None:
                raise FixNotLoggedOn(f"session is {self.state}; message {msg_type} not sent")
            seq = self.store.next_out
            sending_time = format_utc_timestamp(self._clock())
            frame = self._frame(msg_type, seq, sending_time, body_bytes)
            self.store.record_outbound(seq, msg_type, body_bytes, sending_time)
            self._write(frame)
            return seq

    def _send_admin(self, msg_type: str, body: list[tuple[int, str]]) -> int:
        with self._send_lock:
            if self._sock is None:
                raise FixNotLoggedOn(f"no connection; admin message {msg_type} not sent")
            seq = self.store.next_out
            frame = self._frame(
                msg_type, seq, format_utc_timestamp(self._clock()), encode_fields(body)
            )
            self.store.advance_out(seq)
            self._write(frame)
            return seq

    def _frame(
        self,
        msg_type: str,
        seq: int,
        sending_time: str,
        body: bytes,
        resent_from: str | None = None,
    ) -> bytes:
        header = [
            (35, msg_type),
            (49, self.config.sender_comp_id),
            (56, self.config.target_comp_id),
            (34, str(seq)),
        ]
        if resent_from is not None:
            header.append((43, "Y"))
        header.append((52, sending_time))
        if resent_from is not None:
            header.append((122, resent_from))
        return wrap_frame(encode_fields(header) + body)

    def _write(self, frame: bytes) -> None:
        sock = self._sock
        if sock is None:
            raise OSError("not connected")
        try:
            sock.sendall(frame)
        except OSError:
            self._close_socket()
            raise
        self._last_sent = time.monotonic()

    # --- the connection loop --------------------------------------------------------------

    def _run(self) -> None:
        wait = self.config.reconnect_interval_s
        while not self._stopping.is_set():
            try:
                sock = socket.create_connection(
                    (self.config.host, self.config.port), timeout=self.config.logon_timeout_s
                )
            except OSError as error:
                self._event("connect_failed", str(error))
                self._stopping.wait(wait)
                wait = min(wait * 2, self.config.max_reconnect_interval_s)
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(_TICK_S)
            with self._send_lock:
                self._sock = sock
            self._event("connected", f"{self.config.host}:{self.config.port}")
            reason = "closed"
            try:
                self._session(sock)
            except _Disconnect as stop:
                reason = str(stop)
            except OSError as error:
                reason = f"socket: {error}"
            finally:
                self._close_socket()
                if self.state is not SessionState.STOPPED:
                    self._set_state(SessionState.DISCONNECTED)
                self._event("disconnected", reason)
            if self._logged_on_once_this_connection:
                wait = self.config.reconnect_interval_s
            if not self._stopping.is_set():
                self._stopping.wait(wait)
                wait = min(wait * 2, self.config.max_reconnect_interval_s)

    def _reset_timers(self) -> None:
        now = time.monotonic()
        self._last_sent = now
        self._last_received = now
        self._connected_at = now
        self._test_request: tuple[str, float] | None = None
        self._resend_until: int | None = None
        self._logged_on_once_this_connection = False

    def _session(self, sock: socket.socket) -> None:
        self._reset_timers()
        self._set_state(SessionState.LOGGING_ON)
        self._send_admin("A", [(98, "0"), (108, str(self.config.heartbeat_interval_s))])
        reader = FrameReader()
        while not self._stopping.is_set():
            try:
                data = sock.recv(65536)
            except TimeoutError:
                data = None
            if data == b"":
                raise _Disconnect("the broker closed the connection")
            if data:
                self._last_received = time.monotonic()
                for item in reader.feed(data):
                    if isinstance(item, FixDecodeError):
                        self._event("garbled", str(item))
                    else:
                        self._inbound(item)
                    if self.state is SessionState.DISCONNECTED:
                        raise _Disconnect("logged out")
            self._timers()

    def _timers(self) -> None:
        now = time.monotonic()
        interval = self.config.heartbeat_interval_s
        if self.state is SessionState.LOGGING_ON:
            if now - self._connected_at > self.config.logon_timeout_s:
                raise _Disconnect("no Logon answer in time")
            return
        if self.state is not SessionState.LOGGED_ON:
            return
        if now - self._last_sent >= interval:
            self._send_admin("0", [])
        silent = now - self._last_received
        if self._test_request is None and silent >= interval * _TEST_REQUEST_FACTOR:
            test_id = f"TEST-{next(self._test_ids)}"
            self._send_admin("1", [(112, test_id)])
            self._test_request = (test_id, now)
            self._event("test_request_sent", test_id)
        elif self._test_request is not None and silent >= interval * (_TEST_REQUEST_FACTOR + 1):
            self._event("peer_silent", f"{silent:.1f} s without a message")
            raise _Disconnect("the broker did not answer a TestRequest")

    # --- inbound --------------------------------------------------------------------------

    def _inbound(self, message: FixMessage) -> None:
        msg_type = message.msg_type
        seq_text = message.get(34, "")
        if not seq_text or not seq_text.isdigit():
            self._event("garbled", f"{msg_type!r} without a valid MsgSeqNum(34): {message!r}")
            return
        if (message.get(49), message.get(56)) != (
            self.config.target_comp_id,
            self.config.sender_comp_id,
        ):
            self._logout_and_drop(f"CompIDs do not match this session: {message!r}")
        seq = int(seq_text)
        expected = self.store.next_in
        if self.state is SessionState.LOGGING_ON and msg_type not in ("A", "5"):
            raise _Disconnect(f"first message was {msg_type!r}, not Logon(A)")
        if msg_type == "4" and message.get(123) != "Y":  # SequenceReset-Reset: seq ignored
            self._sequence_reset(message, expected)
            return
        if seq > expected:
            self._gap(message, seq, expected)
            return
        if seq < expected:
            if message.get(43) == "Y":
                self._event("duplicate_dropped", f"{msg_type} {seq} (expecting {expected})")
                return
            self._event("seq_too_low", f"{seq}, expecting {expected}")
            self._logout_and_drop(f"MsgSeqNum too low, expecting {expected} but received {seq}")
        if msg_type == "4":  # GapFill, in sequence
            self._gap_fill(message, expected)
            return
        self._process(message, msg_type)
        self.store.set_next_in(expected + 1)
        self._after_in_sequence()

    def _gap(self, message: FixMessage, seq: int, expected: int) -> None:
        """A message above the expected number: a Logon, Logout or ResendRequest still acts;
        then ask for everything from the expected number on."""
        if message.msg_type == "A":
            self._logged_on(message)
        elif message.msg_type == "5":
            self._process(message, "5")
            return
        elif message.msg_type == "2":  # answer theirs first, then ask for ours
            self._answer_resend(message)
        if self._resend_until is None:
            self._send_admin("2", [(7, str(expected)), (16, "0")])
            self._resend_until = seq
            self._event("resend_requested", f"from {expected} (received {seq})")
        else:
            self._resend_until = max(self._resend_until, seq)

    def _after_in_sequence(self) -> None:
        if self._resend_until is not None and self.store.next_in > self._resend_until:
            self._event("gap_filled", f"in sequence again at {self.store.next_in}")
            self._resend_until = None

    def _gap_fill(self, message: FixMessage, expected: int) -> None:
        new_seq = message.get(36, "")
        if not new_seq.isdigit() or int(new_seq) <= expected:
            self._event("garbled", f"SequenceReset-GapFill with NewSeqNo {new_seq!r}")
            self.store.set_next_in(expected + 1)
        else:
            self.store.set_next_in(int(new_seq))
        self._after_in_sequence()

    def _sequence_reset(self, message: FixMessage, expected: int) -> None:
        new_seq = message.get(36, "")
        if new_seq.isdigit() and int(new_seq) >= expected:
            self.store.set_next_in(int(new_seq))
            self._event("gap_filled", f"SequenceReset to {new_seq}")
            self._after_in_sequence()
        else:
            self._event("garbled", f"SequenceReset to {new_seq!r} below {expected}")

    def _process(self, message: FixMessage, msg_type: str) -> None:
        if msg_type == "A":
            self._logged_on(message)
        elif msg_type == "0":
            test_id = message.get(112)
            if self._test_request is not None and test_id == self._test_request[0]:
                self._event("test_request_answered", test_id)
                self._test_request = None
        elif msg_type == "1":
            self._send_admin("0", [(112, message.get(112, "") or "?")])
        elif msg_type == "2":
            self._answer_resend(message)
        elif msg_type == "5":
            text = message.get(58, "")
            if self.state is not SessionState.LOGGING_OUT:
                with contextlib.suppress(OSError, FixNotLoggedOn):
                    self._send_admin("5", [])
            self._event("logged_out", text or "")
            self._set_state(SessionState.DISCONNECTED)
        else:
            if msg_type == "3":
                self._event("session_reject", repr(message))
            try:
                self._on_application(message)
            except Exception as error:  # a handler bug must not kill the session
                self._event("handler_failed", f"{msg_type}: {error!r}")

    def _logged_on(self, message: FixMessage) -> None:
        if self.state is SessionState.LOGGING_ON:
            self._logged_on_once_this_connection = True
            self._set_state(SessionState.LOGGED_ON)
            self._event("logged_on", f"next out {self.store.next_out}, next in {message[34]}")

    def _answer_resend(self, message: FixMessage) -> None:
        """Resend kept application messages in [BeginSeqNo(7), EndSeqNo(16)], gap-filling
        over the admin messages between them; none of it takes a new sequence number."""
        begin_text, end_text = message.get(7, ""), message.get(16, "")
        if not begin_text.isdigit() or not end_text.isdigit():
            self._event("garbled", f"ResendRequest with range {begin_text!r}-{end_text!r}")
            return
        with self._send_lock:
            last = self.store.next_out - 1
            begin, end = int(begin_text), int(end_text)
            end = last if end == 0 or end > last else end
            gap_from = begin
            resent = 0
            for stored in self.store.outbound_between(begin, end):
                if stored.seq > gap_from:
                    self._send_gap_fill(gap_from, stored.seq)
                now = format_utc_timestamp(self._clock())
                self._write(
                    self._frame(stored.msg_type, stored.seq, now, stored.body, stored.sending_time)
                )
                resent += 1
                gap_from = stored.seq + 1
            if gap_from <= end:
                self._send_gap_fill(gap_from, end + 1)
        self._event("resend_answered", f"{begin}-{end}: {resent} application messages")

    def _send_gap_fill(self, seq: int, new_seq: int) -> None:
        now = format_utc_timestamp(self._clock())
        body = encode_fields([(123, "Y"), (36, str(new_seq))])
        self._write(self._frame("4", seq, now, body, now))

    def _logout_and_drop(self, reason: str) -> None:
        with contextlib.suppress(OSError, FixNotLoggedOn):
            self._send_admin("5", [(58, reason[:200])])
        raise _Disconnect(reason)

    # --- plumbing -------------------------------------------------------------------------

    def _close_socket(self) -> None:
        with self._send_lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()

    def _set_state(self, state: SessionState) -> None:
        with self._changed:
            self.state = state
            self._changed.notify_all()

    def _event(self, kind: str, detail: str) -> None:
        event = SessionEvent(kind, detail, self._clock())
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()
        if self._on_event is not None:
            with contextlib.suppress(Exception):
                self._on_event(event)
