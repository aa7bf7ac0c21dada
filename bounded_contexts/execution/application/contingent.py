"""Contingent orders on the execution service (issue 10): OCO groups, OTO parents with held
children, brackets — placed all or nothing in one unit of work, and kept by the firm as the
venue reports executions.

What the platform does, decided here and documented in docs/graphql.md:

- **Placing.** Every member is checked (:mod:`..domain.contingency`, then each member's own
  terms) before any is recorded; a malformed member raises ``InvalidOrder`` naming its path
  and nothing is recorded. A member routed to a FIX broker is refused
  (``ContingentAtTheBroker``): contingency over FIX is not wired.
- **OCO at placement.** Every member meets the pre-trade controls before any is sent; if one
  fails, every member is recorded rejected (the failing ones with their breaches, the others
  naming the member that failed): nothing is half-placed.
- **OCO while working.** The first execution of any member (a fill, even partial), or its
  cancellation or expiry, cancels every other open member in the same unit of work, with a
  reason naming that member — so a replay decides identically. A person cancelling one member
  therefore cancels the group. A member *rejected* after placement (an activated bracket exit
  a control refuses, a post-only order refused on arrival) leaves the others working: for a
  bracket, the stop-loss must keep protecting the position when the take-profit is refused.
- **OTO.** Children are recorded held (not sent, not checked, not counted as messages). When
  the parent is completely filled they are activated in the same unit of work as its last
  fill, then meet the pre-trade controls as any new order (rejected there with the reason).
  A parent that ends with nothing filled (cancelled, expired, rejected) cancels its held
  children. A parent that ends *partly* filled activates each child for its share of what
  was filled (child quantity x filled / parent quantity, rounded down to the child's lot; a
  share under one lot cancels the child): the position that exists is protected, no more.
- **Brackets** are OTOs whose two children form an OCO (the stop-loss recorded, and sent,
  first). A bar whose range crosses both exits (it has no path) fills the one the venue serves
  first in its price-time priority — the take-profit, a resting limit, before the stop-loss,
  which triggers during the bar — and only that one.

Cancels and activations the firm makes for a group are recorded with the actor
:data:`CONTINGENT_ACTOR`; the cancels are not counted against the message rate (as a kill
switch's are not), each activation is (it sends an order).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from bounded_contexts.execution.domain.contingency import (
    check_bracket,
    check_oco,
    check_oto,
    oco_group_id,
)
from bounded_contexts.execution.domain.errors import (
    ContingentAtTheBroker,
    InvalidOrder,
    UnknownInstrument,
)
from bounded_contexts.execution.domain.order import Order, OrderStatus
from events.effects import EventsToAppend
from events.envelope import Cause

if TYPE_CHECKING:
    from bounded_contexts.execution.application.service import (
        ExecutionService,
        PreparedOrder,
        SubmitOrder,
    )

CONTINGENT_ACTOR = "system:contingent-orders"


class ContingentOrders:
    """The contingent-order use cases and the one hook the service calls after an order
    changed (:meth:`_settle_contingencies`). Mixed into ``ExecutionService``."""

    # -- placing ------------------------------------------------------------------------
    def submit_oco(
        self: ExecutionService,
        members: Sequence[SubmitOrder],
        uow: EventsToAppend,
        cause: Cause,
    ) -> list[UUID]:
        """Place an OCO group: all members sent, or all recorded rejected."""
        names = [f"orders[{i}]" for i in range(len(members))]
        check_oco(members, names)
        group = oco_group_id(members[0].order_id)
        prepared = [
            self._prepare_member(name, member, cause, oco_group=group)
            for name, member in zip(names, members, strict=True)
        ]
        for member in prepared:
            account = self._place(member, uow, cause)
        orders = [member.order for member in prepared]
        checks = [
            (o, *self._controls_failures(o.submitted, account, o.reference_price, cause))  # type: ignore[arg-type]
            for o in orders
        ]
        refused = next(((o, f) for o, f, _ in checks if f), None)
        for order, failures, scopes in checks:
            if refused is None:
                self._accept(order, scopes, cause)
            elif failures:
                order.reject(
                    "; ".join(f.message for f in failures), tuple(f.breach for f in failures)
                )
            else:
                first, why = refused
                order.reject(
                    f"OCO group refused: order {first.id} was rejected "
                    f"({'; '.join(f.message for f in why)})"
                )
        for order in orders:
            self._hold(order)
            uow.save(order, cause)
        self._trade_cached_bars(orders, uow, cause)
        return [o.id for o in orders]

    def submit_oto(
        self: ExecutionService,
        parent: SubmitOrder,
        children: Sequence[SubmitOrder],
        uow: EventsToAppend,
        cause: Cause,
        *,
        children_oco: bool = False,
        names: Sequence[str] | None = None,
        parent_name: str = "parent",
    ) -> list[UUID]:
        """Place a parent (sent now, as any order) and its children, recorded held until the
        parent is filled. ``children_oco``: the children form an OCO group (a bracket's
        exits). ``names``, ``parent_name``: the members' paths in errors (default
        ``children[i]`` and ``parent``)."""
        names = list(names or (f"children[{i}]" for i in range(len(children))))
        check_oto(parent, children, names)
        group = None
        if children_oco:
            check_oco(children, names)
            group = oco_group_id(children[0].order_id)
        first = self._prepare_member(parent_name, parent, cause)
        held = [
            self._prepare_member(
                name, child, cause, oco_group=group, parent_order_id=parent.order_id
            )
            for name, child in zip(names, children, strict=True)
        ]
        account = self._place(first, uow, cause)
        for child in held:
            self._place(child, uow, cause)
        order = first.order
        self._send(order, account, cause)
        self._hold(order)
        uow.save(order, cause)
        for child in held:
            self._hold(child.order)
            uow.save(child.order, cause)
        self._settle_contingencies(order, uow, cause)  # a rejected parent: children cancelled
        self._trade_cached_bars([order], uow, cause)
        return [order.id, *(child.order.id for child in held)]

    def submit_bracket(
        self: ExecutionService,
        entry: SubmitOrder,
        take_profit: SubmitOrder,
        stop_loss: SubmitOrder,
        uow: EventsToAppend,
        cause: Cause,
    ) -> list[UUID]:
        """Place a bracket: the entry, and its take-profit and stop-loss held as an OCO pair
        until the entry is filled. Returns the ids (entry, take-profit, stop-loss)."""
        check_bracket(entry, take_profit, stop_loss)
        entry_id, stop_id, profit_id = self.submit_oto(
            entry,
            [stop_loss, take_profit],  # the protective exit is recorded and sent first
            uow,
            cause,
            children_oco=True,
            names=["stop_loss", "take_profit"],
            parent_name="entry",
        )
        return [entry_id, profit_id, stop_id]

    def _prepare_member(
        self: ExecutionService,
        name: str,
        cmd: SubmitOrder,
        cause: Cause,
        *,
        oco_group: UUID | None = None,
        parent_order_id: UUID | None = None,
    ) -> PreparedOrder:
        """One member checked and built (nothing held or recorded); its refusal names it."""
        try:
            prepared = self._prepare(
                cmd, cause, oco_group=oco_group, parent_order_id=parent_order_id
            )
        except InvalidOrder as error:
            field = f"{name}.{error.field}" if error.field else name
            raise InvalidOrder(f"{name}: {error}", field=field) from error
        except UnknownInstrument as error:
            raise InvalidOrder(f"{name}: {error}", field=f"{name}.instrument_id") from error
        if self.at_broker(prepared.order):
            raise ContingentAtTheBroker(name, self.config.fix_broker_mic or "")
        return prepared

    # -- keeping ------------------------------------------------------------------------
    def _settle_contingencies(
        self: ExecutionService, order: Order, uow: EventsToAppend, cause: Cause
    ) -> None:
        """What an order's change means for its group, recorded in the same unit of work:
        its executing, cancellation or expiry ends its OCO group; its being filled, or its
        end, releases its held children. Idempotent: it only touches open members and held
        children, so every path that changes an order may call it."""
        if order.oco_group is not None and (
            order.filled > 0 or order.status is OrderStatus.CANCELLED
        ):
            self._end_oco_group(order, uow, cause)
        if order.id in self.children and (order.status is OrderStatus.FILLED or not order.is_open):
            self._release_children(order, uow, cause)

    def _settle_all(
        self: ExecutionService, orders: list[Order], uow: EventsToAppend, cause: Cause
    ) -> None:
        """After a bulk cancel (kill switch, cancel-all) has cancelled every order in its scope
        — held children included, each with the scope's own reason — settle what that means
        for members of their groups outside the scope."""
        for order in orders:
            self._settle_contingencies(order, uow, cause)

    def _end_oco_group(
        self: ExecutionService, order: Order, uow: EventsToAppend, cause: Cause
    ) -> None:
        if order.filled > 0:
            what = "executed"
        elif (order.reject_reason or "").startswith("expired"):
            what = "expired"
        else:
            what = "cancelled"
        firm = dataclasses.replace(cause, actor=CONTINGENT_ACTOR)
        assert order.oco_group is not None
        for member in self.oco_groups.get(order.oco_group, ()):
            if member is order or not member.is_open or member.status is OrderStatus.NEW:
                continue  # NEW: being sent right now, decided by its own controls
            member.cancel(f"OCO: order {order.id} {what}")
            self._track(member)
            uow.save(member, firm)
            if member.id in self.children:  # the group is ended already: only its children
                self._release_children(member, uow, firm)

    def _release_children(
        self: ExecutionService, parent: Order, uow: EventsToAppend, cause: Cause
    ) -> None:
        """Activate the parent's held children (filled, or ended partly filled: each for its
        share) or cancel them (ended with nothing filled, or a share under one lot)."""
        held = [child for child in self.children.get(parent.id, ()) if child.is_held]
        if not held:
            return
        ended = self._how_it_ended(parent)
        firm = dataclasses.replace(cause, actor=CONTINGENT_ACTOR)
        sent_at = cause.ts_event + self._latency(parent)  # when the firm learned of it
        sending = dataclasses.replace(firm, ts_event=sent_at)
        activated: list[Order] = []
        for child in held:
            quantity = self._child_quantity(child, parent)
            if quantity == 0:
                nothing = "nothing filled" if parent.filled == 0 else "a share under one lot"
                child.cancel(f"parent {parent.id} {ended} with {nothing}")
                self._track(child)
                uow.save(child, firm)
                continue
            if parent.status is OrderStatus.FILLED:
                reason = f"parent {parent.id} filled"
            else:
                reason = (
                    f"parent {parent.id} {ended} with {parent.filled} of {parent.quantity} "
                    f"filled: {quantity} of {child.quantity} activated"
                )
            child.activate(quantity, reason, sent_at)
            assert child.submitted is not None
            child.reference_price = (
                self.last_price.get(child.submitted.instrument_id) or child.reference_price
            )
            self._send(child, self.accounts[child.submitted.account_id], sending)
            self._track(child)
            uow.save(child, sending)
            activated.append(child)
        for child in held:
            self._settle_contingencies(child, uow, sending)  # a rejected child's own children
        by_instrument: dict[str, list[Order]] = {}
        for child in activated:
            assert child.submitted is not None
            by_instrument.setdefault(child.submitted.instrument_id, []).append(child)
        for orders in by_instrument.values():
            self._trade_cached_bars(orders, uow, sending)

    def _child_quantity(self: ExecutionService, child: Order, parent: Order) -> Decimal:
        """A child's quantity on activation: all of it after a filled parent, else its share
        of what the parent filled, rounded down to its lot (0: none)."""
        if parent.status is OrderStatus.FILLED:
            return child.quantity
        share = child.quantity * parent.filled / parent.quantity
        assert child.submitted is not None
        terms = self.instruments.get(child.submitted.instrument_id)
        rounded = share if terms is None else terms.round_down_to_lot(share)
        return min(child.quantity, rounded)

    @staticmethod
    def _how_it_ended(order: Order) -> str:
        if order.status is OrderStatus.FILLED:
            return "filled"
        if order.status is OrderStatus.REJECTED:
            return "rejected"
        return "expired" if (order.reject_reason or "").startswith("expired") else "cancelled"

    def _link(self: ExecutionService, order: Order) -> None:
        """Index a newly held order under its OCO group and its parent (placing, and
        rebuilding from the store after a restart)."""
        if order.oco_group is not None:
            self.oco_groups.setdefault(order.oco_group, []).append(order)
        if order.parent_order_id is not None:
            self.children.setdefault(order.parent_order_id, []).append(order)
