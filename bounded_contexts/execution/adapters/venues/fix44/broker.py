"""``FixBroker``: what the execution context uses to trade through a FIX 4.4 broker.

Send with :meth:`FixBroker.send_new_order`, :meth:`~FixBroker.send_cancel` and
:meth:`~FixBroker.send_replace` (each raises :class:`FixNotLoggedOn` when no session is up,
and :class:`InvalidFixOrder` when the message is built wrong); read what the broker answers
from :attr:`FixBroker.reports` (a queue) or an ``on_report`` callback: parsed
:class:`ExecutionReport`, :class:`OrderCancelReject` and :class:`BusinessMessageReject`
values, each exactly once.

Exactly once has two layers. The session drops a message whose sequence number it has already
processed (a resend's PossDup copy). Above it, an ExecutionReport whose ExecID(17) this broker
has already delivered is dropped too — a broker that re-sends a report under a new sequence
number (PossResend(97)=Y) cannot double a fill. The set of ExecIDs lives in memory for the
process; across restarts the sequence store makes the session resume after the last report it
processed, and the consumer that records a fill keeps its ExecID, so a report that was being
delivered at the instant of a crash is recognised there.

To wire it into the execution service: an order's ClOrdID(11) is its order id (``uuid.hex``);
``ExecType.NEW`` -> ``OrderAccepted`` (``transact_time`` is ``ts_acknowledged``);
``report.is_fill`` -> ``OrderFilled`` (``last_qty``, ``last_px``, ``commission`` as the fee,
``cum_qty``, ``leaves_qty``, ``avg_px``, ``exec_id`` as the venue transaction id,
``transact_time`` as ``ts_executed``); ``CANCELED``/``EXPIRED`` -> ``OrderCancelled``
(``leaves_qty`` was the remaining quantity); ``REJECTED`` -> ``OrderRejected`` (``text``).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

from bounded_contexts.execution.adapters.venues.fix44.codec import FixDecodeError, FixMessage
from bounded_contexts.execution.adapters.venues.fix44.config import FixSessionConfig
from bounded_contexts.execution.adapters.venues.fix44.messages import (
    PARSERS,
    ExecType,
    ExecutionReport,
    InboundApplicationMessage,
    NewOrderSingle,
    OrderCancelReplaceRequest,
    OrderCancelRequest,
    SessionReject,
)
from bounded_contexts.execution.adapters.venues.fix44.sequence_store import SequenceStore
from bounded_contexts.execution.adapters.venues.fix44.session import FixSession, SessionEvent

UNSUPPORTED_MESSAGE_TYPE = "3"  # BusinessRejectReason(380)


class FixBroker:
    def __init__(
        self,
        config: FixSessionConfig,
        *,
        clock: Callable[[], int] = time.time_ns,
        on_report: Callable[[InboundApplicationMessage], None] | None = None,
        on_event: Callable[[SessionEvent], None] | None = None,
    ) -> None:
        self.config = config
        self.store = SequenceStore(config.store_path, fsync=config.store_fsync)
        self.session = FixSession(
            config, self.store, self._on_application, clock=clock, on_event=on_event
        )
        self.reports: queue.Queue[InboundApplicationMessage] = queue.Queue()
        self.session_rejects: list[SessionReject] = []
        self.undecodable: list[FixDecodeError] = []
        self.duplicate_reports = 0
        self._on_report = on_report
        self._exec_ids: set[str] = set()
        self._lock = threading.Lock()

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        self.session.start()

    def stop(self) -> None:
        self.session.stop()
        self.store.close()

    def wait_logged_on(self, timeout: float) -> bool:
        return self.session.wait_logged_on(timeout)

    # --- commands -------------------------------------------------------------------------

    def send_new_order(self, order: NewOrderSingle) -> int:
        """Send a NewOrderSingle; returns its MsgSeqNum(34)."""
        return self.session.send_application(order.MSG_TYPE, order.to_fields())

    def send_cancel(self, request: OrderCancelRequest) -> int:
        return self.session.send_application(request.MSG_TYPE, request.to_fields())

    def send_replace(self, request: OrderCancelReplaceRequest) -> int:
        return self.session.send_application(request.MSG_TYPE, request.to_fields())

    # --- inbound (on the session's reader thread) -----------------------------------------

    def _on_application(self, message: FixMessage) -> None:
        msg_type = message.msg_type
        if msg_type == "3":
            self.session_rejects.append(SessionReject.from_message(message))
            return
        parser = PARSERS.get(msg_type)
        if parser is None:
            self.session.send_application(
                "j",
                [
                    (45, message[34]),
                    (372, msg_type),
                    (380, UNSUPPORTED_MESSAGE_TYPE),
                    (58, f"message type {msg_type} is not handled by this initiator"),
                ],
            )
            return
        try:
            report = parser.from_message(message)
        except FixDecodeError as error:
            self.undecodable.append(error)
            return
        if isinstance(report, ExecutionReport) and report.exec_type is not ExecType.ORDER_STATUS:
            with self._lock:
                if report.exec_id in self._exec_ids:
                    self.duplicate_reports += 1
                    return
                self._exec_ids.add(report.exec_id)
        self.reports.put(report)
        if self._on_report is not None:
            self._on_report(report)
