"""The GraphQL (manual) and CLI path into execution: the same ``ExecutionService`` the
strategy uses, appended directly to the execution store under the service's lock — orders
(place, cancel, correct a fill) and the RTS 6 controls (kill switch, risk limits)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TypeVar
from uuid import UUID

from bounded_contexts.execution.application.service import (
    ExecutionService,
    OpenAccount,
    SubmitOrder,
)
from bounded_contexts.execution.application.venue_reports import VenueReport
from bounded_contexts.execution.domain.controls.events import Limits
from bounded_contexts.execution.domain.controls.scope import ControlScope
from bounded_contexts.execution.domain.errors import OrderNotFound
from bounded_contexts.execution.domain.events import (
    OrderAmendRejected,
    OrderCancelRequested,
    PositionsReconciled,
)
from bounded_contexts.execution.domain.order import Order
from bounded_contexts.execution.domain.reconciliation import Statement
from events.effects import EventsToAppend
from events.envelope import Cause
from events.store import ConcurrencyConflict, StoreUnavailable
from gateway.ports import (
    AccountOutcome,
    ContingentOutcome,
    ControlOutcome,
    OrderOutcome,
    OrderTerms,
    Principal,
    RecordedOrder,
)

_T = TypeVar("_T")
_R = TypeVar("_R")


class ExecutionCommands:
    """Implements ``gateway.ports.OrderCommands``."""

    def __init__(
        self,
        service: ExecutionService,
        *,
        clock_ns: Callable[[], int] = time.time_ns,
        new_id: Callable[[], UUID] = uuid.uuid4,
        prepare: Callable[[], None] = lambda: None,
        invalidate: Callable[[], None] | None = None,
    ) -> None:
        """``prepare`` loads the service's state before a command when nothing has loaded it
        yet, and ``invalidate`` marks it stale after a command that may have touched it but
        recorded nothing (the composition root binds them to the execution policy's
        ``ensure_ready`` and ``reset``; without a policy, the next command reloads the
        service's own state)."""
        self.service, self.clock_ns, self.new_id = service, clock_ns, new_id
        self.prepare = prepare
        self._stale = False
        self.invalidate = invalidate or self._mark_stale

    def _mark_stale(self) -> None:
        self._stale = True

    def place_order(
        self,
        principal: Principal,
        *,
        account_id: str,
        instrument_id: str,
        side: str,
        quantity: Decimal,
        order_type: str,
        limit_price: Decimal | None,
        time_in_force: str = "GTC",
        expire_at: int | None = None,
        stop_price: Decimal | None = None,
        trail_amount: Decimal | None = None,
        trail_percent: Decimal | None = None,
        post_only: bool = False,
        reduce_only: bool = False,
    ) -> OrderOutcome:
        """A manual order takes every order type, time in force and flag; one without a time
        in force is GTC, as every manual order was before they existed."""
        order_id = self.new_id()
        command = SubmitOrder(
            order_id=order_id,
            account_id=account_id,
            instrument_id=instrument_id,
            side=side,
            order_type=order_type,
            quantity=quantity,
            limit_price=limit_price,
            origin="MANUAL",
            person=principal.subject,
            time_in_force=time_in_force,
            expire_at=expire_at,
            stop_price=stop_price,
            trail_amount=trail_amount,
            trail_percent=trail_percent,
            post_only=post_only,
            reduce_only=reduce_only,
        )
        return self._order_run(
            principal,
            f"manual-order/{order_id}",
            order_id,
            lambda uow, c: self.service.submit(command, uow, c),
        )

    # -- contingent orders -------------------------------------------------------------------
    def place_oco_orders(
        self, principal: Principal, orders: Sequence[OrderTerms]
    ) -> ContingentOutcome:
        """A one-cancels-other group, all or nothing in one append."""
        commands = [self._manual(principal, terms) for terms in orders]
        return self._contingent_run(
            principal,
            "oco",
            [c.order_id for c in commands],
            lambda uow, cause: self.service.submit_oco(commands, uow, cause),
        )

    def place_oto_order(
        self, principal: Principal, parent: OrderTerms, children: Sequence[OrderTerms]
    ) -> ContingentOutcome:
        """A parent and its held children in one append (parent first in the outcome)."""
        first = self._manual(principal, parent)
        rest = [self._manual(principal, terms) for terms in children]
        return self._contingent_run(
            principal,
            "oto",
            [first.order_id, *(c.order_id for c in rest)],
            lambda uow, cause: self.service.submit_oto(first, rest, uow, cause),
        )

    def place_bracket_order(
        self,
        principal: Principal,
        entry: OrderTerms,
        take_profit: OrderTerms,
        stop_loss: OrderTerms,
    ) -> ContingentOutcome:
        """An entry with its take-profit and stop-loss, in one append."""
        legs = [self._manual(principal, terms) for terms in (entry, take_profit, stop_loss)]
        return self._contingent_run(
            principal,
            "bracket",
            [leg.order_id for leg in legs],
            lambda uow, cause: self.service.submit_bracket(*legs, uow, cause),
        )

    def _manual(self, principal: Principal, terms: OrderTerms) -> SubmitOrder:
        """A manual order's command from its terms, under a new id."""
        return SubmitOrder(
            order_id=self.new_id(),
            account_id=terms.account_id,
            instrument_id=terms.instrument_id,
            side=terms.side,
            order_type=terms.order_type,
            quantity=terms.quantity,
            limit_price=terms.limit_price,
            origin="MANUAL",
            person=principal.subject,
            time_in_force=terms.time_in_force,
            expire_at=terms.expire_at,
            stop_price=terms.stop_price,
            trail_amount=terms.trail_amount,
            trail_percent=terms.trail_percent,
            post_only=terms.post_only,
            reduce_only=terms.reduce_only,
        )

    def _contingent_run(
        self,
        principal: Principal,
        kind: str,
        order_ids: list[UUID],
        work: Callable[[EventsToAppend, Cause], object],
    ) -> ContingentOutcome:
        """Run a contingent placement: its answer is every member as recorded."""

        def answer(_: object, uow: EventsToAppend, positions: list[int]) -> ContingentOutcome:
            orders = [self.service.orders[order_id] for order_id in order_ids]
            return ContingentOutcome(
                tuple(
                    recorded_order(order, uow, self._submitted_at(order, uow, positions))
                    for order in orders
                ),
                max(positions),
            )

        return self._run(principal, f"manual-{kind}/{order_ids[0]}", work, answer)

    def cancel_order(
        self,
        principal: Principal,
        *,
        order_id: UUID,
        may_act_on: Callable[[str], bool] = lambda account: True,
    ) -> OrderOutcome:
        def cancel(uow: EventsToAppend, cause: Cause) -> None:
            order = self.service.orders.get(order_id)
            if order is None or order.submitted is None:
                raise OrderNotFound(order_id)
            if not may_act_on(order.submitted.account_id):
                raise OrderNotFound(order_id)  # as unknown: no existence leak
            self.service.cancel(order_id, f"cancelled by {principal.subject}", uow, cause)

        return self._order_run(
            principal, f"manual-cancel/{order_id}/{self.clock_ns()}", order_id, cancel
        )

    def amend_order(
        self,
        principal: Principal,
        *,
        order_id: UUID,
        quantity: Decimal | None,
        limit_price: Decimal | None,
        stop_price: Decimal | None,
        may_act_on: Callable[[str], bool] = lambda account: True,
    ) -> OrderOutcome:
        """Change a working order's terms; the outcome's order says whether they took (its
        ``amendment_refused`` names the controls when they did not)."""

        def amend(uow: EventsToAppend, cause: Cause) -> None:
            order = self.service.orders.get(order_id)
            if order is None or order.submitted is None:
                raise OrderNotFound(order_id)
            if not may_act_on(order.submitted.account_id):
                raise OrderNotFound(order_id)  # as unknown: no existence leak
            self.service.amend(
                order_id,
                quantity=quantity,
                limit_price=limit_price,
                stop_price=stop_price,
                uow=uow,
                cause=cause,
            )

        return self._order_run(
            principal, f"manual-amend/{order_id}/{self.clock_ns()}", order_id, amend
        )

    def correct_fill(
        self,
        principal: Principal,
        *,
        order_id: UUID,
        fill_seq: int,
        price: Decimal,
        fee: Decimal,
        reason: str,
    ) -> OrderOutcome:
        """Record a correction of one fill's price and fee, decided by ``principal``."""
        return self._order_run(
            principal,
            f"fill-correction/{order_id}/{fill_seq}/{self.clock_ns()}",
            order_id,
            lambda uow, cause: self.service.correct_fill(
                order_id, fill_seq, price=price, fee=fee, reason=reason, uow=uow, cause=cause
            ),
        )

    # -- accounts ---------------------------------------------------------------------------
    def open_account(self, principal: Principal, spec: OpenAccount) -> AccountOutcome:
        """Open an account with its starting cash and configuration, decided by
        ``principal``; ``AccountAlreadyOpen`` if the id is taken."""
        return self._run(
            principal,
            f"open-account/{spec.account_id}",
            lambda uow, cause: self.service.open_account(spec, uow, cause),
            lambda account, uow, positions: AccountOutcome(account.account_id, max(positions)),
        )

    def configure_account(
        self,
        principal: Principal,
        *,
        account_id: str,
        owner: str | None,
        allowed_instruments: tuple[str, ...] | None,
        allowed_strategies: tuple[str, ...] | None,
        reason: str,
    ) -> AccountOutcome:
        """Replace an account's owner and what it may trade."""
        return self._run(
            principal,
            f"configure-account/{account_id}/{self.clock_ns()}",
            lambda uow, cause: self.service.configure_account(
                account_id,
                owner=owner,
                allowed_instruments=allowed_instruments,
                allowed_strategies=allowed_strategies,
                reason=reason,
                uow=uow,
                cause=cause,
            ),
            lambda account, uow, positions: AccountOutcome(account.account_id, max(positions)),
        )

    # -- venue operations ---------------------------------------------------------------------
    def halt_trading(
        self, principal: Principal, *, instrument_id: str, reason: str
    ) -> ControlOutcome:
        """Halt trading in an instrument at the simulated venue."""
        return self._run(
            principal,
            f"halt/{instrument_id}/{self.clock_ns()}",
            lambda uow, cause: self.service.halt_trading(instrument_id, reason, uow, cause),
            lambda _, uow, positions: ControlOutcome(f"instrument:{instrument_id}", max(positions)),
        )

    def resume_trading(
        self, principal: Principal, *, instrument_id: str, reason: str
    ) -> ControlOutcome:
        return self._run(
            principal,
            f"resume/{instrument_id}/{self.clock_ns()}",
            lambda uow, cause: self.service.resume_trading(instrument_id, reason, uow, cause),
            lambda _, uow, positions: ControlOutcome(f"instrument:{instrument_id}", max(positions)),
        )

    # -- reconciliation ---------------------------------------------------------------------
    def reconcile(
        self, principal: Principal, *, account_id: str, statement: Statement
    ) -> tuple[PositionsReconciled, int]:
        """Reconcile the account against a statement; the result (breaks and all) and its
        store position."""
        return self._run(
            principal,
            f"reconcile/{account_id}/{statement.source}/{statement.as_of}",
            lambda uow, cause: self.service.reconcile(account_id, statement, uow, cause),
            lambda recorded, uow, positions: (recorded, max(positions)),
        )

    # -- controls (RTS 6) ---------------------------------------------------------------
    def cancel_all_orders(self, principal: Principal, *, scope: str, reason: str) -> ControlOutcome:
        """Cancel every working order in ``scope``; new orders are still accepted."""
        parsed = ControlScope.parse(scope)
        return self._run(
            principal,
            f"cancel-all/{parsed}/{self.clock_ns()}",
            lambda uow, cause: self.service.cancel_all(
                parsed, f"cancel all of {parsed} by {principal.subject}: {reason}", uow, cause
            ),
            lambda cancelled, uow, positions: ControlOutcome(
                str(parsed), max(positions, default=0), tuple(cancelled)
            ),
        )

    def engage_kill_switch(
        self, principal: Principal, *, scope: str, reason: str
    ) -> ControlOutcome:
        """Engage the kill switch of ``scope`` (``firm`` or ``<kind>:<value>``): every working
        order in it is cancelled in the same append; new ones are rejected until released."""
        parsed = ControlScope.parse(scope)
        return self._run(
            principal,
            f"kill-switch/{parsed}/engage/{self.clock_ns()}",
            lambda uow, cause: self.service.engage_kill_switch(parsed, reason, uow, cause),
            lambda cancelled, uow, positions: ControlOutcome(
                str(parsed), max(positions), tuple(cancelled)
            ),
        )

    def release_kill_switch(
        self, principal: Principal, *, scope: str, reason: str
    ) -> ControlOutcome:
        parsed = ControlScope.parse(scope)
        return self._run(
            principal,
            f"kill-switch/{parsed}/release/{self.clock_ns()}",
            lambda uow, cause: self.service.release_kill_switch(parsed, reason, uow, cause),
            lambda _, uow, positions: ControlOutcome(str(parsed), max(positions)),
        )

    def set_risk_limits(
        self, principal: Principal, *, scope: str, limits: Limits, reason: str
    ) -> ControlOutcome:
        """Replace the pre-trade limits of ``scope`` (``None``: no limit at this scope)."""
        parsed = ControlScope.parse(scope)
        return self._run(
            principal,
            f"risk-limits/{parsed}/{self.clock_ns()}",
            lambda uow, cause: self.service.set_risk_limits(parsed, limits, reason, uow, cause),
            lambda _, uow, positions: ControlOutcome(str(parsed), max(positions)),
        )

    def _order_run(
        self,
        principal: Principal,
        key: str,
        order_id: UUID,
        work: Callable[[EventsToAppend, Cause], object],
    ) -> OrderOutcome:
        """Run an order command: its answer is the order as recorded (read under the lock)
        and the last position written."""

        def answer(_: object, uow: EventsToAppend, positions: list[int]) -> OrderOutcome:
            order = self.service.orders[order_id]
            return OrderOutcome(
                recorded_order(order, uow, self._submitted_at(order, uow, positions)),
                max(positions),
            )

        return self._run(principal, key, work, answer)

    # -- a broker's reports ---------------------------------------------------------------
    def record_broker_report(self, report: VenueReport, *, venue: str) -> int | None:
        """Record what a broker reported (on its link's thread); the store position written,
        or None when the report changed nothing (a duplicate, a pending state)."""
        return self._run(
            Principal(venue),
            f"broker-report/{venue}/{report.exec_id}",
            lambda uow, cause: self.service.on_broker_report(report, uow, cause),
            lambda recorded, uow, positions: max(positions) if recorded else None,
            actor=f"venue:{venue}",
        )

    def _run(
        self,
        principal: Principal,
        key: str,
        work: Callable[[EventsToAppend, Cause], _R],
        answer: Callable[[_R, EventsToAppend, list[int]], _T],
        *,
        actor: str | None = None,
    ) -> _T:
        """Run ``work`` under the service's lock, on a view caught up with the store, and
        append what it recorded; ``answer`` builds the reply under the same lock."""
        for attempt in range(3):
            with self.service.lock:
                if self._stale:
                    self.service.reload_own_state()
                    self._stale = False
                self.prepare()
                self.service.catch_up()
                cause = Cause.origin(
                    ts_event=self.clock_ns(),
                    actor=actor or f"person:{principal.subject}",
                    key=key,
                )
                uow = EventsToAppend()
                try:
                    result = work(uow, cause)
                    positions = self.service.store.append(uow.items)
                    return answer(result, uow, positions)
                except ConcurrencyConflict:
                    self.service.reload_own_state()
                    if attempt == 2:
                        raise
                except StoreUnavailable:
                    # Nothing was recorded, and reloading would wait on the same dead database:
                    # forget the in-memory view; the next command (or event) reloads it.
                    self.invalidate()
                    raise
                except Exception:
                    # A refused command may have touched in-memory aggregates: reload them.
                    self.service.reload_own_state()
                    raise
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _submitted_at(self, order: Order, uow: EventsToAppend, positions: list[int]) -> int:
        """Where the order's OrderSubmitted is stored: appended just now, or looked up."""
        for (pending, _), position in zip(uow.items, positions, strict=True):
            if pending.aggregate_id == order.id and pending.aggregate_version == 1:
                return position
        return self.service.store.position_of(order.id, 1) or 0


def recorded_order(order: Order, uow: EventsToAppend, submitted_position: int) -> RecordedOrder:
    """The order as the command left it; ``ts_updated`` is the domain time of the last event
    the command recorded for it (a fill on a cached bar carries that bar's start)."""
    submitted = order.submitted
    assert submitted is not None
    touched = [cause.ts_event for pending, cause in uow.items if pending.aggregate_id == order.id]
    refused = [
        pending.event
        for pending, _ in uow.items
        if pending.aggregate_id == order.id and isinstance(pending.event, OrderAmendRejected)
    ]
    return RecordedOrder(
        order_id=order.id,
        account_id=submitted.account_id,
        instrument_id=submitted.instrument_id,
        side=submitted.side,
        order_type=submitted.order_type,
        quantity=submitted.quantity,
        limit_price=submitted.limit_price,
        time_in_force=submitted.time_in_force,
        expire_at=submitted.expire_at,
        status=order.status.value,
        filled_quantity=order.filled,
        average_fill_price=order.average_price,
        reject_reason=order.reject_reason,
        breaches=order.breaches,
        origin=submitted.origin,
        decision_id=submitted.decision_id,
        algo_id=submitted.algo_id,
        actor=order.submitted_by,
        ts_submitted=order.ts_submitted,
        ts_updated=max(touched, default=order.ts_submitted),
        version=order.version,
        submitted_position=submitted_position,
        stop_price=submitted.stop_price,
        trail_amount=submitted.trail_amount,
        trail_percent=submitted.trail_percent,
        trigger_price=order.trigger_price,
        post_only=submitted.post_only,
        reduce_only=submitted.reduce_only,
        amendment_refused=refused[-1].reason if refused else None,
        amendment_breaches=refused[-1].breaches if refused else (),
        oco_group=submitted.oco_group,
        parent_order_id=submitted.parent_order_id,
        ts_activated=order.activated_at,
        pending_request=pending_kind(order),
    )


def pending_kind(order: Order) -> str | None:
    """CANCEL or REPLACE while the order's request waits for the broker's answer."""
    asked = order.pending_request
    if asked is None:
        return None
    return "CANCEL" if isinstance(asked, OrderCancelRequested) else "REPLACE"
