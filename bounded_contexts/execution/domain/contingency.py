"""Contingent orders (issue 10): the rules of a group's shape, checked before anything is
recorded. Pure: no I/O, no service state.

- **OCO** (one-cancels-other): 2 to :data:`MAX_OCO_MEMBERS` orders on the *same account and
  the same instrument*. Same instrument because an OCO is one intent about one market (exit
  here or there, buy the breakout or the dip); across instruments "the first execution
  cancels the rest" would couple markets the venue sees separately, and no desk workflow in
  this platform needs it.
- **OTO** (one-triggers-other): a parent and 1 to :data:`MAX_OTO_CHILDREN` children on the
  *same account* (a child may trade another instrument, e.g. a hedge); the children are held
  until the parent is filled.
- **Bracket**: an OTO whose two children form an OCO — an entry, a take-profit (a LIMIT
  order) and a stop-loss (STOP, STOP_LIMIT or TRAILING_STOP), both exits on the opposite side
  of the entry, on its account and instrument, for its quantity; for a long entry the
  take-profit's limit lies above the stop-loss's stop, and both on their side of the entry's
  price (its limit, or the stop of a stop entry) when it has one; a short mirrors it.

Every refusal is an :class:`InvalidOrder` whose ``field`` is the member's path and its field
(``take_profit.side``, ``orders[1].instrument_id``), so an entrypoint can point at it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from bounded_contexts.execution.domain.errors import InvalidOrder

MAX_OCO_MEMBERS = 10
MAX_OTO_CHILDREN = 10
TAKE_PROFIT_TYPES = ("LIMIT",)
STOP_LOSS_TYPES = ("STOP", "STOP_LIMIT", "TRAILING_STOP")
CONTINGENCY_NAMESPACE = uuid.UUID("0c0e7a11-5b1e-4c5a-9d3e-6f7a8b9c0d1e")


class OrderTerms(Protocol):
    """What the shape rules read of a member (``SubmitOrder`` has it)."""

    order_id: UUID
    account_id: str
    instrument_id: str
    side: str
    order_type: str
    quantity: Decimal
    limit_price: Decimal | None
    stop_price: Decimal | None


def oco_group_id(first_member: UUID) -> UUID:
    """The group's id, derived from its first member's: the same group on every replay."""
    return uuid.uuid5(CONTINGENCY_NAMESPACE, f"oco/{first_member}")


def check_oco(members: Sequence[OrderTerms], names: Sequence[str]) -> None:
    """2 to 10 distinct orders on one account and one instrument."""
    if not 2 <= len(members) <= MAX_OCO_MEMBERS:
        raise InvalidOrder(
            f"an OCO group has 2 to {MAX_OCO_MEMBERS} orders, got {len(members)}",
            field=names[0].split("[")[0] if names else None,
        )
    _distinct(members, names)
    first = members[0]
    for member, name in zip(members[1:], names[1:], strict=True):
        _same(first, member, name, "account_id", "the group's account")
        _same(first, member, name, "instrument_id", "the group's instrument")


def check_oto(parent: OrderTerms, children: Sequence[OrderTerms], names: Sequence[str]) -> None:
    """1 to 10 children, distinct orders, on the parent's account."""
    if not 1 <= len(children) <= MAX_OTO_CHILDREN:
        raise InvalidOrder(
            f"an OTO order has 1 to {MAX_OTO_CHILDREN} children, got {len(children)}",
            field="children",
        )
    _distinct([parent, *children], ["parent", *names])
    for child, name in zip(children, names, strict=True):
        _same(parent, child, name, "account_id", "the parent's account")


def check_bracket(entry: OrderTerms, take_profit: OrderTerms, stop_loss: OrderTerms) -> None:
    """The exits' sides, account, instrument, quantity, types and prices against the entry."""
    exit_side = "SELL" if entry.side == "BUY" else "BUY"
    for exit_, name, kinds in (
        (take_profit, "take_profit", TAKE_PROFIT_TYPES),
        (stop_loss, "stop_loss", STOP_LOSS_TYPES),
    ):
        _same(entry, exit_, name, "account_id", "the entry's account")
        _same(entry, exit_, name, "instrument_id", "the entry's instrument")
        if exit_.side != exit_side:
            raise InvalidOrder(
                f"a {entry.side} entry's {name.replace('_', '-')} must be a {exit_side}, "
                f"got {exit_.side}",
                field=f"{name}.side",
            )
        if exit_.quantity != entry.quantity:
            raise InvalidOrder(
                f"the {name.replace('_', '-')} must be for the entry's quantity "
                f"{entry.quantity}, got {exit_.quantity}",
                field=f"{name}.quantity",
            )
        if exit_.order_type not in kinds:
            raise InvalidOrder(
                f"a {name.replace('_', '-')} is a {' or '.join(kinds)} order, got "
                f"{exit_.order_type}",
                field=f"{name}.order_type",
            )
    _distinct([entry, take_profit, stop_loss], ["entry", "take_profit", "stop_loss"])
    _check_bracket_prices(entry, take_profit.limit_price, stop_loss.stop_price)


def _check_bracket_prices(
    entry: OrderTerms, take_profit: Decimal | None, stop_loss: Decimal | None
) -> None:
    """A long's take-profit above its stop-loss, and both on their side of the entry's price
    when it has one (a short mirrors it). An absent price is left to the member's own check."""
    long = entry.side == "BUY"
    above, below = ("above", "below") if long else ("below", "above")

    def beyond(price: Decimal, reference: Decimal, *, profit: bool) -> bool:
        """Strictly on the profit side (up for a long) or the loss side of ``reference``."""
        return price > reference if long == profit else price < reference

    if (
        take_profit is not None
        and stop_loss is not None
        and not beyond(take_profit, stop_loss, profit=True)
    ):
        raise InvalidOrder(
            f"a {'long' if long else 'short'} bracket's take-profit limit {take_profit} must lie "
            f"{above} its stop-loss stop {stop_loss}",
            field="take_profit.limit_price",
        )
    reference = entry.limit_price if entry.limit_price is not None else entry.stop_price
    if reference is None:
        return  # a market entry: its price is not known until it fills
    if take_profit is not None and not beyond(take_profit, reference, profit=True):
        raise InvalidOrder(
            f"the take-profit limit {take_profit} must lie {above} the entry's price {reference}",
            field="take_profit.limit_price",
        )
    if stop_loss is not None and not beyond(stop_loss, reference, profit=False):
        raise InvalidOrder(
            f"the stop-loss stop {stop_loss} must lie {below} the entry's price {reference}",
            field="stop_loss.stop_price",
        )


def _distinct(members: Sequence[OrderTerms], names: Sequence[str]) -> None:
    seen: set[UUID] = set()
    for member, name in zip(members, names, strict=True):
        if member.order_id in seen:
            raise InvalidOrder(
                f"{name} repeats order id {member.order_id}", field=f"{name}.order_id"
            )
        seen.add(member.order_id)


def _same(first: OrderTerms, member: OrderTerms, name: str, attribute: str, what: str) -> None:
    ours, theirs = getattr(first, attribute), getattr(member, attribute)
    if ours != theirs:
        raise InvalidOrder(
            f"{name} must be on {what} {ours!r}, got {theirs!r}", field=f"{name}.{attribute}"
        )
