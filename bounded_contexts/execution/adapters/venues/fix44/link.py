"""``FixVenueLink``: the execution service trading through a FIX 4.4 broker.

Orders the service routed to the broker's MIC (``ExecutionConfig.fix_broker_mic``) are
recorded as submitted and left NEW; the link sends each one as a NewOrderSingle (ClOrdID: the
order id in hex) — once: the session's sequence store keeps every order message it sent,
committed before the wire, so after a restart the link knows what already went out and sends
only what never did. A cancel or an amendment of such an order is recorded as a request
(``OrderCancelRequested`` / ``OrderReplaceRequested``, ClOrdID ``<hex>.<n>``) and sent the
same way, once, as an OrderCancelRequest / OrderCancelReplaceRequest naming the order's
current ClOrdID. The broker's ExecutionReports are recorded through
``ExecutionCommands.record_broker_report`` (accepted, filled, cancelled, replaced, expired,
rejected), and so are its OrderCancelRejects (the request refused); a fill is kept with its
ExecID, so a report delivered twice — by a resend, a broker's PossResend, or across a
restart — is one fill.

Sending runs on the link's thread every ``poll_s`` (and at once when asked), under the
service's lock; reports are recorded on the session's reader thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from bounded_contexts.execution.adapters.venues.fix44.broker import FixBroker
from bounded_contexts.execution.adapters.venues.fix44.config import FixSessionConfig
from bounded_contexts.execution.adapters.venues.fix44.messages import (
    ExecType,
    ExecutionReport,
    InboundApplicationMessage,
    InvalidFixOrder,
    NewOrderSingle,
    OrderCancelReject,
    OrderCancelReplaceRequest,
    OrderCancelRequest,
)
from bounded_contexts.execution.adapters.venues.fix44.session import FixNotLoggedOn
from bounded_contexts.execution.application.commands import ExecutionCommands
from bounded_contexts.execution.application.venue_reports import ReportKind, VenueReport
from bounded_contexts.execution.domain.events import OrderCancelRequested
from bounded_contexts.execution.domain.order import Order, OrderStatus

log = logging.getLogger(__name__)

_KINDS: dict[ExecType, ReportKind] = {
    ExecType.NEW: "NEW",
    ExecType.TRADE: "TRADE",
    ExecType.CANCELED: "CANCELED",
    ExecType.EXPIRED: "EXPIRED",
    ExecType.REPLACED: "REPLACED",
    ExecType.REJECTED: "REJECTED",
}
_ORDER_MESSAGES = (
    NewOrderSingle.MSG_TYPE,
    OrderCancelRequest.MSG_TYPE,
    OrderCancelReplaceRequest.MSG_TYPE,
)


def venue_report(report: ExecutionReport) -> VenueReport:
    """A FIX ExecutionReport in the execution context's terms."""
    kind = _KINDS.get(report.exec_type, "OTHER")
    if kind == "TRADE" and not report.is_fill:
        kind = "OTHER"
    return VenueReport(  # a cancel's reports name the order as OrigClOrdID(41)
        order_ref=report.orig_cl_ord_id or report.cl_ord_id or "",
        exec_id=report.exec_id,
        kind=kind,
        last_qty=report.last_qty,
        last_px=report.last_px,
        commission=report.commission,
        transact_time=report.transact_time,
        text=report.text,
        request_ref=report.cl_ord_id if kind in ("CANCELED", "REPLACED") else None,
    )


def cancel_reject_report(reject: OrderCancelReject) -> VenueReport:
    """A broker's refusal of our cancel or replace, as the report of the request it answers."""
    return VenueReport(
        order_ref=reject.orig_cl_ord_id,
        exec_id=f"cancel-reject/{reject.cl_ord_id}",
        kind="CANCEL_REJECTED",
        text=reject.text or f"CxlRejReason {reject.reason}",
        request_ref=reject.cl_ord_id,
    )


def sent_order_refs(broker: FixBroker) -> set[str]:
    """The ClOrdIDs of every order message (new, cancel, replace) the session's store says
    went out."""
    refs = set()
    for message in broker.store.outbound_between(1, broker.store.next_out):
        if message.msg_type not in _ORDER_MESSAGES:
            continue
        for field in message.body.split(b"\x01"):
            if field.startswith(b"11="):
                refs.add(field[3:].decode("ascii", "replace"))
    return refs


class FixVenueLink:
    def __init__(
        self,
        commands: ExecutionCommands,
        config: FixSessionConfig,
        mic: str,
        *,
        poll_s: float = 0.2,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.commands, self.mic, self.poll_s, self.clock = commands, mic, poll_s, clock
        self.broker = FixBroker(config, clock=clock, on_report=self._on_report)
        self.sent = sent_order_refs(self.broker)
        self.unsendable: list[tuple[str, str]] = []  # (order ref, why): refused before the wire
        self.unrecorded: list[tuple[InboundApplicationMessage, str]] = []  # (report, why)
        self._stop = threading.Event()
        self._nudge = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        self.broker.start()
        self._thread = threading.Thread(target=self._loop, name=f"fix-link-{self.mic}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._nudge.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.broker.stop()

    def nudge(self) -> None:
        """Send what is pending now rather than at the next poll."""
        self._nudge.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.send_pending()
            except FixNotLoggedOn:
                pass  # the session reconnects by itself; the orders wait
            except Exception:
                log.exception("sending orders to the FIX broker %s failed", self.mic)
            self._nudge.wait(self.poll_s)
            self._nudge.clear()

    # -- out -----------------------------------------------------------------------------------
    def send_pending(self) -> int:
        """Send every order routed to the broker that is still NEW and never went out, then
        every cancel or replace request recorded and never sent."""
        service = self.commands.service
        sent = 0
        with service.lock:
            service.catch_up()
            pending = [o for o in service.working.values() if self._to_send(o)]
            requested = [o for o in service.working.values() if self._request_to_send(o)]
            for order in pending:
                ref = order.id.hex
                try:
                    message = self._new_order_single(order)
                except InvalidFixOrder as error:
                    self.unsendable.append((ref, str(error)))
                    self.sent.add(ref)  # once: it is refused below, not retried
                    self._refuse(order, str(error))
                    continue
                self.broker.send_new_order(message)
                self.sent.add(ref)
                sent += 1
            for order in requested:
                sent += self._send_request(order)
        return sent

    def _request_to_send(self, order: Order) -> bool:
        s, asked = order.submitted, order.pending_request
        return (
            s is not None
            and s.venue == self.mic
            and asked is not None
            and asked.request_id not in self.sent
            and order.id.hex in self.sent  # the order itself went out
        )

    def _send_request(self, order: Order) -> int:
        """Send the order's pending cancel or replace, naming its current ClOrdID."""
        s, asked = order.submitted, order.pending_request
        assert s is not None and asked is not None
        if isinstance(asked, OrderCancelRequested):
            self.broker.send_cancel(
                OrderCancelRequest(
                    cl_ord_id=asked.request_id,
                    orig_cl_ord_id=order.cl_ord_id,
                    symbol=s.instrument_id,
                    side=s.side,
                    quantity=s.quantity,
                    transact_time=self.clock(),
                )
            )
        else:
            try:
                request = OrderCancelReplaceRequest(
                    cl_ord_id=asked.request_id,
                    orig_cl_ord_id=order.cl_ord_id,
                    symbol=s.instrument_id,
                    side=s.side,
                    order_type=s.order_type,  # type: ignore[arg-type]
                    quantity=asked.quantity,
                    transact_time=self.clock(),
                    limit_price=asked.limit_price,
                    time_in_force=s.time_in_force,  # type: ignore[arg-type]
                    expire_at=s.expire_at if s.time_in_force == "GTD" else None,
                )
            except InvalidFixOrder as error:  # refused before the wire, as the broker would
                self.sent.add(asked.request_id)
                refused = VenueReport(
                    order.cl_ord_id,
                    f"unsent-{asked.request_id}",
                    "CANCEL_REJECTED",
                    text=str(error),
                    request_ref=asked.request_id,
                )
                self.commands.record_broker_report(refused, venue=self.mic)
                return 0
            self.broker.send_replace(request)
        self.sent.add(asked.request_id)
        return 1

    def _to_send(self, order: Order) -> bool:
        s = order.submitted
        return (
            s is not None
            and s.venue == self.mic
            and order.status is OrderStatus.NEW
            and order.id.hex not in self.sent
        )

    def _new_order_single(self, order: Order) -> NewOrderSingle:
        s = order.submitted
        assert s is not None
        return NewOrderSingle(
            cl_ord_id=order.id.hex,
            symbol=s.instrument_id,
            side=s.side,
            order_type=s.order_type,  # type: ignore[arg-type]
            quantity=s.quantity,
            transact_time=s.ts_submitted or self.clock(),
            limit_price=s.limit_price,
            time_in_force=s.time_in_force,  # type: ignore[arg-type]
            expire_at=s.expire_at if s.time_in_force == "GTD" else None,
            account=s.account_id,
        )

    def _refuse(self, order: Order, why: str) -> None:
        """An order FIX cannot carry (e.g. a trailing stop): recorded as the venue's rejection."""
        report = VenueReport(order.id.hex, f"unsent-{order.id.hex}", "REJECTED", text=why)
        self.commands.record_broker_report(report, venue=self.mic)  # the lock is re-entrant

    # -- in ------------------------------------------------------------------------------------
    def _on_report(self, message: InboundApplicationMessage) -> None:
        """On the session's reader thread: a report that cannot be recorded (a fill larger
        than the order, an unreachable store) is logged and kept in ``unrecorded`` for a
        person to look at — it must not stop the session that carries the next ones."""
        if isinstance(message, ExecutionReport):
            report = venue_report(message)
        elif isinstance(message, OrderCancelReject):
            report = cancel_reject_report(message)
        else:
            return
        try:
            self.commands.record_broker_report(report, venue=self.mic)
        except Exception as error:  # see the docstring: the session must go on
            log.error("broker report %s not recorded: %s", report.exec_id, error)
            self.unrecorded.append((message, str(error)))
