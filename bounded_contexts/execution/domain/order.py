"""The Order aggregate and its explicit state machine.

    NEW ──accept──> ACCEPTED ──fill──> PARTIALLY_FILLED ──fill──> FILLED
     │                 │ │ └───────────────fill (all)───────────────┘
     │                 │ └──trigger──> TRIGGERED ──fill──> PARTIALLY_FILLED / FILLED
     └──reject──> REJECTED <──reject── ACCEPTED (the venue refuses it on arrival: post-only)

    cancel and expire (both ``OrderCancelled``, CAME / EXPI): from ACCEPTED, TRIGGERED and
    PARTIALLY_FILLED to CANCELLED.  move_trailing_stop: ACCEPTED to ACCEPTED (trailing stops).
    join_queue (``OrderQueued``): a live limit order, from any working status to the same one
    (it rests in the venue's book; see ``adapters.venues.book``).

    At a FIX broker a cancel or an amendment is a request the broker answers: request_cancel
    (``OrderCancelRequested``, from NEW or working) and request_replace
    (``OrderReplaceRequested``, from working) leave the status as it is — the order is pending
    and may still fill — until the broker confirms (cancel: ``OrderCancelled``; replace:
    ``OrderAmended``) or refuses (``OrderRequestRefused``); one request at a time.
    amend (``OrderAmended``, CHME) and reject_amendment (``OrderAmendRejected``): from
    ACCEPTED, TRIGGERED and PARTIALLY_FILLED to the same status (an amendment to exactly the
    quantity already filled would fill the order: refused, cancel it instead).

    A one-triggers-other child (``OrderSubmitted.parent_order_id``) starts HELD: recorded, not
    sent. HELD ──activate──> NEW (``OrderActivated``: it goes to the venue, whose controls then
    accept or reject it as any new order) and HELD ──cancel──> CANCELLED (its reason starting
    ``never sent``: no ISO 20022 code, nothing was at the venue). A held order cannot fill,
    trigger, expire, be amended or be rejected; activation is only from HELD.

A conditional order (stop, stop-limit, MIT, LIT, trailing stop) rests ACCEPTED and untriggered
and may not fill until it is triggered; every other order fills from ACCEPTED. Any other
transition raises :class:`IllegalOrderTransition` and records nothing.

An expiry is recorded as an ``OrderCancelled`` whose reason starts with ``expired`` (the
venue's actor), not as an event type of its own: the trade-lifecycle saga, the notifications
and the read models already treat ``OrderCancelled`` as the end of an order, and the order
record derives EXPI from it (see ``support.domain.mifid.order_records``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from bounded_contexts.execution.domain.errors import IllegalOrderTransition, InvalidOrder
from bounded_contexts.execution.domain.events import (
    ControlBreach,
    OrderAccepted,
    OrderActivated,
    OrderAmended,
    OrderAmendRejected,
    OrderCancelled,
    OrderCancelRequested,
    OrderFillCorrected,
    OrderFilled,
    OrderQueued,
    OrderRejected,
    OrderReplaceRequested,
    OrderRequestRefused,
    OrderRouted,
    OrderSubmitted,
    OrderTrailingStopMoved,
    OrderTriggered,
    RouteCandidate,
    RouteSlice,
)
from bounded_contexts.execution.domain.order_terms import (
    CONDITIONAL,
    LIMIT_PRICED,
    STOP_PRICED,
    check_terms,
    live_type,
)
from bounded_contexts.execution.domain.regulatory import ShortSelling, transaction_reference
from events.domain import Aggregate, DomainEvent

ORDER_NAMESPACE = uuid.UUID("7e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b")


class OrderStatus(StrEnum):
    HELD = "HELD"
    NEW = "NEW"
    ACCEPTED = "ACCEPTED"
    TRIGGERED = "TRIGGERED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"


_WORKING = {OrderStatus.ACCEPTED, OrderStatus.TRIGGERED, OrderStatus.PARTIALLY_FILLED}
ALLOWED: dict[str, set[OrderStatus]] = {
    "accept": {OrderStatus.NEW},
    # From ACCEPTED: the simulated venue acknowledges on receipt but sees a post-only order's
    # market only on the next bar, where it may still refuse it (nothing has filled by then).
    "reject": {OrderStatus.NEW, OrderStatus.ACCEPTED},
    "trigger": {OrderStatus.ACCEPTED},
    "move_trailing_stop": {OrderStatus.ACCEPTED},
    "fill": _WORKING,
    "cancel": _WORKING | {OrderStatus.HELD},
    "activate": {OrderStatus.HELD},
    "expire": _WORKING,
    "amend": _WORKING,
    "route": {OrderStatus.NEW},
    "join_queue": _WORKING,
    # a FIX broker's order: a cancel or replace is asked, then confirmed or refused
    "request_cancel": {OrderStatus.NEW} | _WORKING,
    "request_replace": _WORKING,
}
OPEN = {OrderStatus.HELD, OrderStatus.NEW} | _WORKING
NEVER_SENT = "never sent"
"""How the reason of a held order's cancellation starts: it was never at the venue, so its
end has no ISO 20022 code (see ``support.domain.mifid.order_records.event_code``)."""


@dataclass(frozen=True)
class FillTerms:
    """One fill as it stands: its quantity, price and fee (corrections applied), its transaction
    reference, and the order version its ``OrderFilled`` was recorded at."""

    quantity: Decimal
    price: Decimal
    fee: Decimal
    transaction_reference: str
    version: int
    ts_executed: int | None = None
    venue: str | None = None


class Order(Aggregate):
    def _init_state(self) -> None:
        self.status = OrderStatus.NEW
        self.submitted: OrderSubmitted | None = None
        self.filled = Decimal(0)
        self.notional = Decimal(0)
        self.fills = 0
        self.ts_submitted = 0
        self.average_price: Decimal | None = None
        self.reject_reason: str | None = None
        self.breaches: tuple[ControlBreach, ...] = ()
        self.reference_price: Decimal | None = None  # the price pre-trade checks used
        self.correlation_id: uuid.UUID | None = None  # the chain the order belongs to
        self.submitted_by = ""  # the actor of its OrderSubmitted (person:… or algo:…)
        self.fill_terms: dict[int, FillTerms] = {}  # by fill number, corrections applied
        self.venue_fill_ids: set[str] = set()  # the venue's ids of its fills (a broker's ExecID)
        self.triggered_at: int | None = None  # when a conditional order's trigger was crossed
        self.trigger_price: Decimal | None = None  # the stop where it stands (trailing: moves)
        self.best_price: Decimal | None = None  # a trailing stop's best price seen
        self.activated_at: int | None = None  # when a held child went to the venue
        self.arrived_at: int | None = None
        """The start of the first bar the venue saw the order on (in memory only: rebuilt from
        the bars after a restart, see ``ExecutionService.recall_arrivals``). A post-only order
        is judged on arrival; later it is a resting maker order."""
        self.slices: dict[str, Decimal] = {}  # a split order's quantity by venue (OrderRouted)
        self.pending_request: OrderCancelRequested | OrderReplaceRequested | None = None
        """A cancel or replace sent to a FIX broker and not answered yet."""
        self.requests = 0  # cancel and replace requests sent, for their ClOrdIDs
        self.cl_ord_id = self.id.hex
        """The ClOrdID the broker knows the order by now (a confirmed replace's request id)."""
        self.filled_at: dict[str | None, Decimal] = {}  # what filled, by venue
        self.queued_at: int | None = None  # when it joined its level's queue (OrderQueued)
        self.queue_ahead = Decimal(0)
        """What rests ahead of it at its level: recorded when it joins, then worked off by the
        bars (in memory: rebuilt from the bars after a restart, see ``recall_arrivals``)."""
        self.queue_worked_to: int | None = None
        """The start of the last bar ``queue_ahead`` was worked through (in memory; None: not
        since it joined), so that rebuilding it never counts a bar twice."""

    @classmethod
    def submit(cls, submitted: OrderSubmitted) -> Order:
        check_terms(submitted)  # InvalidOrder naming the field: nothing recorded
        order = cls(submitted.order_id)
        order._init_state()
        order._record(submitted)
        return order

    # -- verbs ------------------------------------------------------------------
    def route(
        self,
        venue: str,
        candidates: tuple[RouteCandidate, ...],
        reason: str,
        slices: tuple[RouteSlice, ...] = (),
    ) -> None:
        """Routing chose the order's venue, or split it across venues (before any sees it)."""
        self._guard("route")
        if slices and (
            self.order_type != "MARKET" or sum(s.quantity for s in slices) != self.quantity
        ):
            raise InvalidOrder(f"order {self.id}: only a market order is split, in full")
        self._record(OrderRouted(self.id, venue, candidates, reason, slices))

    def accept(self, ts_acknowledged: int | None = None) -> None:
        """The venue acknowledged the order at ``ts_acknowledged`` (UTC ns, RTS 25)."""
        self._guard("accept")
        self._record(OrderAccepted(self.id, ts_acknowledged))

    def reject(self, reason: str, breaches: tuple[ControlBreach, ...] = ()) -> None:
        self._guard("reject")
        self._record(OrderRejected(self.id, reason, breaches))

    def trigger(self, trigger_price: Decimal, ts_triggered: int) -> None:
        """A bar crossed the conditional order's trigger: from now on it trades as its live
        type (``order_terms.live_type``)."""
        self._guard("trigger")
        if not self.is_conditional:
            raise IllegalOrderTransition(
                self.id, self.status.value, "trigger", f"a {self.order_type} order has no trigger"
            )
        self._record(OrderTriggered(self.id, trigger_price, ts_triggered))

    def move_trailing_stop(self, best_price: Decimal, trigger_price: Decimal, ts: int) -> None:
        """A trailing stop's best price improved (or was first seen): its trigger follows."""
        self._guard("move_trailing_stop")
        if self.order_type != "TRAILING_STOP":
            raise IllegalOrderTransition(
                self.id,
                self.status.value,
                "move_trailing_stop",
                f"a {self.order_type} order does not trail",
            )
        self._record(OrderTrailingStopMoved(self.id, best_price, trigger_price, ts))

    def join_queue(self, price: Decimal, queue_ahead: Decimal, ts_queued: int) -> None:
        """The venue put the resting limit order in its book behind ``queue_ahead``."""
        self._guard("join_queue")
        if self.live_type != "LIMIT" or not self.is_live:
            raise IllegalOrderTransition(
                self.id, self.status.value, "join_queue", "only a live limit order rests"
            )
        self._record(OrderQueued(self.id, price, queue_ahead, ts_queued))

    def expire(self, reason: str) -> None:
        """The order's time in force ran out (DAY, GTD) or was only ever one bar (IOC, FOK):
        its remaining quantity is cancelled by the venue with a reason starting ``expired``,
        which the order record reports as EXPI."""
        self._guard("expire")
        self._record(OrderCancelled(self.id, f"expired {reason}", self.remaining))

    def fill(
        self,
        quantity: Decimal,
        price: Decimal,
        fee: Decimal,
        *,
        short_selling: ShortSelling | None = None,
        venue_transaction_id: str | None = None,
        ts_executed: int | None = None,
        ts_received: int | None = None,
        venue: str | None = None,
    ) -> None:
        """One execution (``venue``: where, if not the order's venue — a split order's
        slice). Its regulated facts are recorded with it: the transaction reference
        (derived from the order and the fill number), the order's capacity, venue and
        decision makers, and what the caller observed — the short-selling indicator (from the
        account, which the order does not hold), the venue's trade id and the RTS 25 times."""
        self._guard("fill")
        if self.status is OrderStatus.ACCEPTED and self.is_conditional:
            raise IllegalOrderTransition(
                self.id, self.status.value, "fill", f"an untriggered {self.order_type} order"
            )
        if quantity <= 0 or quantity > self.remaining:
            raise InvalidOrder(f"fill of {quantity} on order {self.id} with {self.remaining} open")
        submitted = self.submitted
        assert submitted is not None
        filled = self.filled + quantity
        average = ((self.notional + quantity * price) / filled).quantize(Decimal("0.000001"))
        self._record(
            OrderFilled(
                self.id,
                self.fills + 1,
                quantity,
                price,
                fee,
                filled,
                self.quantity - filled,
                average,
                transaction_reference=transaction_reference(self.id, self.fills + 1),
                trading_capacity=submitted.trading_capacity,
                short_selling=short_selling,
                venue=venue or submitted.venue,
                venue_transaction_id=venue_transaction_id,
                investment_decision=submitted.investment_decision,
                execution_decision=submitted.execution_decision,
                ts_executed=ts_executed,
                ts_received=ts_received,
            )
        )

    def correct_fill(
        self, fill_seq: int, *, price: Decimal, fee: Decimal, reason: str, corrected_position: int
    ) -> None:
        """Correct one fill's price and fee (its quantity stands). Any fill of any order can be
        corrected, more than once; each correction is recorded beside the fill, which stays."""
        terms = self.fill_terms.get(fill_seq)
        if terms is None:
            raise InvalidOrder(f"order {self.id} has no fill {fill_seq} (fills: {self.fills})")
        if not price.is_finite() or price <= 0:
            raise InvalidOrder(f"a corrected price must be positive, got {price}")
        if not fee.is_finite() or fee < 0:
            raise InvalidOrder(f"a corrected fee must not be negative, got {fee}")
        if (price, fee) == (terms.price, terms.fee):
            raise InvalidOrder(
                f"fill {fill_seq} of order {self.id} is already at price {price}, fee {fee}"
            )
        if not reason.strip():
            raise InvalidOrder("a correction needs a reason")
        notional = self.notional + terms.quantity * (price - terms.price)
        self._record(
            OrderFillCorrected(
                self.id,
                fill_seq,
                terms.transaction_reference,
                corrected_position,
                terms.price,
                terms.fee,
                price,
                fee,
                (notional / self.filled).quantize(Decimal("0.000001")),
                reason.strip(),
            )
        )

    def amended_terms(
        self,
        quantity: Decimal | None,
        limit_price: Decimal | None,
        stop_price: Decimal | None,
    ) -> OrderSubmitted:
        """The order as it would stand with these terms (None: unchanged), checked: raises
        :class:`InvalidOrder` naming the field for a change that cannot be (a quantity not
        above what is filled, a price the order type does not take, a stop on an order already
        triggered, nothing changed), :class:`IllegalOrderTransition` for an order that is no
        longer working. Records nothing: the caller runs the controls, then ``amend``."""
        self._guard("amend")
        s = self.submitted
        assert s is not None
        if quantity is not None and (not quantity.is_finite() or quantity <= self.filled):
            raise InvalidOrder(
                f"the amended quantity must be above the {self.filled} already filled, got "
                f"{quantity}",
                field="quantity",
            )
        if limit_price is not None and (
            s.order_type not in LIMIT_PRICED or not limit_price.is_finite() or limit_price <= 0
        ):
            raise InvalidOrder(
                f"a {s.order_type} order's limit price cannot be amended to {limit_price}",
                field="limit_price",
            )
        if stop_price is not None and (
            s.order_type not in STOP_PRICED or not stop_price.is_finite() or stop_price <= 0
        ):
            raise InvalidOrder(
                f"a {s.order_type} order's stop price cannot be amended to {stop_price}",
                field="stop_price",
            )
        if stop_price is not None and self.status is not OrderStatus.ACCEPTED:
            raise InvalidOrder(
                f"order {self.id} is {self.status.value}: its stop can no longer move",
                field="stop_price",
            )
        amended = replace(
            s,
            quantity=s.quantity if quantity is None else quantity,
            limit_price=s.limit_price if limit_price is None else limit_price,
            stop_price=s.stop_price if stop_price is None else stop_price,
        )
        if (amended.quantity, amended.limit_price, amended.stop_price) == (
            s.quantity,
            s.limit_price,
            s.stop_price,
        ):
            raise InvalidOrder(f"order {self.id} already has these terms")
        return amended

    def amend(self, amended: OrderSubmitted, ts_acknowledged: int | None) -> None:
        """Work on ``amended`` terms (from :meth:`amended_terms`), acknowledged by the venue."""
        self._guard("amend")
        s = self.submitted
        assert s is not None
        self._record(
            OrderAmended(
                self.id,
                amended.quantity,
                amended.limit_price,
                amended.stop_price,
                s.quantity,
                s.limit_price,
                s.stop_price,
                amended.quantity - self.filled,
                ts_acknowledged,
            )
        )

    def reject_amendment(
        self,
        reason: str,
        breaches: tuple[ControlBreach, ...],
        *,
        quantity: Decimal | None,
        limit_price: Decimal | None,
        stop_price: Decimal | None,
    ) -> None:
        """The requested terms broke a control: recorded, and the order works on unchanged."""
        self._guard("amend")
        self._record(
            OrderAmendRejected(self.id, reason, breaches, quantity, limit_price, stop_price)
        )

    def cancel(self, reason: str) -> None:
        self._guard("cancel")
        if self.status is OrderStatus.HELD:
            reason = f"{NEVER_SENT}: {reason}"
        self._record(OrderCancelled(self.id, reason, self.remaining))

    # -- a FIX broker's order: cancel and replace are requests the broker answers -------------
    def request_cancel(self, reason: str) -> str:
        """Ask the broker to cancel (``OrderCancelRequested``); returns the request's ClOrdID.
        The order works on, and may still fill, until the broker answers. A cancel may follow
        a replace still pending (it supersedes it: a kill switch must not wait for it), not
        another cancel."""
        self._guard("request_cancel")
        if isinstance(self.pending_request, OrderCancelRequested):
            self._no_pending("cancel")
        request_id = self._next_request_id()
        self._record(OrderCancelRequested(self.id, request_id, reason))
        return request_id

    def request_replace(self, amended: OrderSubmitted) -> str:
        """Ask the broker to work ``amended`` terms (from :meth:`amended_terms`, through the
        controls) instead (``OrderReplaceRequested``); returns the request's ClOrdID."""
        self._guard("request_replace")
        self._no_pending("amend")
        request_id = self._next_request_id()
        self._record(
            OrderReplaceRequested(
                self.id, request_id, amended.quantity, amended.limit_price, amended.stop_price
            )
        )
        return request_id

    def confirm_replace(self, ts_acknowledged: int | None) -> None:
        """The broker replaced the order (ExecType Replaced): it works the requested terms."""
        pending = self.pending_request
        if not isinstance(pending, OrderReplaceRequested):
            raise IllegalOrderTransition(
                self.id, self.status.value, "confirm_replace", "no replace is pending"
            )
        assert self.submitted is not None
        self.amend(
            replace(
                self.submitted,
                quantity=pending.quantity,
                limit_price=pending.limit_price,
                stop_price=pending.stop_price,
            ),
            ts_acknowledged,
        )

    def refuse_request(self, request_id: str, reason: str) -> None:
        """The broker refused the pending request ``request_id`` (OrderCancelReject). Recorded
        whatever the order's status: a refusal of a cancel that came too late (the order
        filled meanwhile) belongs to the trail too."""
        pending = self.pending_request
        if pending is None or pending.request_id != request_id:
            raise IllegalOrderTransition(
                self.id, self.status.value, "refuse_request", f"no request {request_id} pending"
            )
        kind = "CANCEL" if isinstance(pending, OrderCancelRequested) else "REPLACE"
        self._record(OrderRequestRefused(self.id, request_id, kind, reason))

    def _no_pending(self, action: str) -> None:
        if self.pending_request is not None:
            raise IllegalOrderTransition(
                self.id,
                self.status.value,
                action,
                f"request {self.pending_request.request_id} is pending at the broker",
            )

    def _next_request_id(self) -> str:
        """ClOrdIDs: the order id in hex for the order, ``<hex>.<n>`` for its n-th request, so
        any report maps back to the order without a lookup (see ``order_id_of_ref``)."""
        return f"{self.id.hex}.{self.requests + 1}"

    def activate(self, quantity: Decimal, reason: str, ts_activated: int) -> None:
        """Send a held child to the venue working ``quantity`` (its own, or less after a
        parent that ended partly filled); the caller runs the controls next."""
        self._guard("activate")
        s = self.submitted
        assert s is not None and s.parent_order_id is not None  # only a child is ever HELD
        if not quantity.is_finite() or not 0 < quantity <= s.quantity:
            raise InvalidOrder(
                f"a held order of {s.quantity} cannot be activated for {quantity}",
                field="quantity",
            )
        self._record(
            OrderActivated(self.id, s.parent_order_id, quantity, s.quantity, reason, ts_activated)
        )

    # -- state ------------------------------------------------------------------
    @property
    def quantity(self) -> Decimal:
        assert self.submitted is not None
        return self.submitted.quantity

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.filled

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def is_held(self) -> bool:
        """Recorded but not sent: a one-triggers-other child waiting for its parent."""
        return self.status is OrderStatus.HELD

    @property
    def oco_group(self) -> uuid.UUID | None:
        return None if self.submitted is None else self.submitted.oco_group

    @property
    def parent_order_id(self) -> uuid.UUID | None:
        return None if self.submitted is None else self.submitted.parent_order_id

    @property
    def order_type(self) -> str:
        assert self.submitted is not None
        return self.submitted.order_type

    @property
    def is_conditional(self) -> bool:
        return self.order_type in CONDITIONAL

    @property
    def is_live(self) -> bool:
        """Tradable at the venue now: accepted and not waiting for a trigger."""
        if self.status is OrderStatus.ACCEPTED:
            return not self.is_conditional
        return self.status in (OrderStatus.TRIGGERED, OrderStatus.PARTIALLY_FILLED)

    @property
    def live_type(self) -> str:
        """MARKET or LIMIT: how the venue trades the order once it is live."""
        return live_type(self.order_type)

    def _guard(self, action: str) -> None:
        if self.status not in ALLOWED[action]:
            raise IllegalOrderTransition(self.id, self.status.value, action)

    def apply(self, event: DomainEvent) -> None:
        match event:
            case OrderSubmitted():
                self.submitted = event
                self.trigger_price = event.stop_price
                if event.parent_order_id is not None:
                    self.status = OrderStatus.HELD
            case OrderActivated():
                assert self.submitted is not None
                self.submitted = replace(
                    self.submitted, quantity=event.quantity, ts_submitted=event.ts_activated
                )
                self.status = OrderStatus.NEW
                self.ts_submitted = self.activated_at = event.ts_activated
            case OrderTriggered():
                self.status = OrderStatus.TRIGGERED
                self.triggered_at, self.trigger_price = event.ts_triggered, event.trigger_price
            case OrderTrailingStopMoved():
                self.best_price, self.trigger_price = event.best_price, event.trigger_price
            case OrderAccepted():
                self.status = OrderStatus.ACCEPTED
            case OrderRejected():
                self.status = OrderStatus.REJECTED
                self.reject_reason, self.breaches = event.reason, event.breaches
            case OrderFilled():
                if event.venue_transaction_id is not None:
                    self.venue_fill_ids.add(event.venue_transaction_id)
                self.fill_terms[event.fill_seq] = FillTerms(
                    event.quantity,
                    event.price,
                    event.fee,
                    event.transaction_reference or transaction_reference(self.id, event.fill_seq),
                    self.version + 1,
                    event.ts_executed,
                    event.venue,
                )
                self.filled_at[event.venue] = self.filled_at.get(event.venue, 0) + event.quantity
                self.filled = event.filled_quantity
                self.notional += event.quantity * event.price
                self.fills = event.fill_seq
                self.average_price = event.average_price
                self.status = (
                    OrderStatus.FILLED
                    if event.remaining_quantity == 0
                    else OrderStatus.PARTIALLY_FILLED
                )
            case OrderCancelled():
                self.status = OrderStatus.CANCELLED
                self.reject_reason = event.reason
                self.pending_request = None
            case OrderCancelRequested() | OrderReplaceRequested():
                self.pending_request = event
                self.requests += 1
            case OrderRequestRefused():
                self.pending_request = None
            case OrderAmended():
                if isinstance(self.pending_request, OrderReplaceRequested):
                    self.cl_ord_id = self.pending_request.request_id  # the broker's name now
                    self.pending_request = None
                assert self.submitted is not None
                self.submitted = replace(
                    self.submitted,
                    quantity=event.quantity,
                    limit_price=event.limit_price,
                    stop_price=event.stop_price,
                )
                if self.status is OrderStatus.ACCEPTED and self.is_conditional:
                    self.trigger_price = event.stop_price or self.trigger_price
                if (
                    event.limit_price != event.previous_limit_price
                    or event.quantity > event.previous_quantity
                ):
                    self.queued_at = None  # a new price or a larger size goes to the back
            case OrderQueued():
                self.queued_at, self.queue_ahead = event.ts_queued, event.queue_ahead
                self.queue_worked_to = None
            case OrderRouted():
                self.slices = {s.venue: s.quantity for s in event.slices}
            case OrderAmendRejected():
                pass  # the order works on as it was
            case OrderFillCorrected():
                terms = self.fill_terms[event.fill_seq]
                self.notional += terms.quantity * (event.price - terms.price)
                self.fill_terms[event.fill_seq] = replace(terms, price=event.price, fee=event.fee)
                self.average_price = event.average_price
            case _:
                super().apply(event)


def order_id_of_ref(ref: str) -> uuid.UUID:
    """The order a ClOrdID names: the order id in hex, or ``<hex>.<n>`` for one of its cancel
    or replace requests. Raises ``ValueError`` for a reference that is not one of ours."""
    return uuid.UUID(hex=ref.split(".", 1)[0])


def order_id_for(key: str) -> uuid.UUID:
    """Deterministic order ids (a strategy order's id derives from its decision's id)."""
    return uuid.uuid5(ORDER_NAMESPACE, key)
