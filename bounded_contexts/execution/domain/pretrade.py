"""Pre-trade controls (RTS 6 Art. 15): every order passes them before it reaches a venue.

Pure function of the order, the account and the open orders; returns every control it fails
(empty when it passes), each with its limit, the order's value and a sentence, so a rejection
records every limit breached, not only the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bounded_contexts.execution.domain.account import Account
from bounded_contexts.execution.domain.events import ControlBreach, OrderSubmitted
from bounded_contexts.execution.domain.order_terms import reducible_quantity


@dataclass(frozen=True)
class PreTradeLimits:
    """RTS 6 limits. ``max_order_quantity`` is the maximum order volume (Art. 15(1)(c)): a
    fat-finger bound independent of price, so a tiny-priced instrument cannot take a huge
    order under the notional limit."""

    max_order_quantity: Decimal = Decimal(1_000_000)
    max_order_notional: Decimal = Decimal(100_000)
    max_position_notional: Decimal = Decimal(150_000)  # per instrument, absolute
    allow_short: bool = False


@dataclass(frozen=True)
class PreTradeFailure:
    """A control the order broke: the recorded breach and the sentence that explains it."""

    breach: ControlBreach
    message: str


def pretrade_failures(
    order: OrderSubmitted,
    *,
    account: Account,
    reference_price: Decimal,
    open_buy_notional: Decimal,
    limits: PreTradeLimits,
) -> list[PreTradeFailure]:
    price = order.limit_price or reference_price
    notional = order.quantity * price
    failures = []

    def breach(control: str, limit: Decimal, value: Decimal, message: str) -> None:
        failures.append(PreTradeFailure(ControlBreach(control, limit, value), message))

    if order.quantity > limits.max_order_quantity:
        breach(
            "max_order_quantity",
            limits.max_order_quantity,
            order.quantity,
            f"order quantity {order.quantity} exceeds the limit {limits.max_order_quantity}",
        )
    if notional > limits.max_order_notional:
        breach(
            "max_order_notional",
            limits.max_order_notional,
            notional,
            f"order notional {notional:.2f} exceeds the limit {limits.max_order_notional}",
        )
    signed = order.quantity if order.side == "BUY" else -order.quantity
    position_after = account.position(order.instrument_id) + signed
    if abs(position_after) * price > limits.max_position_notional:
        breach(
            "max_position_notional",
            limits.max_position_notional,
            abs(position_after) * price,
            f"position after the order {position_after} x {price} exceeds the per-instrument "
            f"limit {limits.max_position_notional}",
        )
    if position_after < 0 and not limits.allow_short:
        breach(
            "short_selling",
            Decimal(0),
            position_after,
            f"short selling is not allowed (position after would be {position_after})",
        )
    if order.side == "BUY" and notional + open_buy_notional > account.cash:
        breach(
            "cash",
            account.cash,
            notional + open_buy_notional,
            f"not enough cash: order {notional:.2f} + open buys {open_buy_notional:.2f} > "
            f"cash {account.cash:.2f}",
        )
    return failures


def no_reference_price(instrument_id: str) -> PreTradeFailure:
    """The order has no price to check against: a market order before the first bar."""
    return PreTradeFailure(
        ControlBreach("reference_price", None, None),
        f"no market price known for {instrument_id} yet",
    )


def reduce_only_failure(order: OrderSubmitted, position: Decimal) -> PreTradeFailure | None:
    """A reduce-only order must reduce the account's position and not flip it: it is refused
    (recorded, REMO) when its quantity exceeds what the position lets it reduce — rather than
    capped, because a capped order would not be the order the trader sent, and a refusal says
    so at once. At each fill the venue still caps it to the position then (which may have
    shrunk since), see ``ExecutionService``."""
    reducible = reducible_quantity(order.side, position)
    if order.quantity <= reducible:
        return None
    return PreTradeFailure(
        ControlBreach("reduce_only", reducible, order.quantity),
        f"reduce-only {order.side} of {order.quantity} would "
        + (
            "increase the position"
            if reducible == 0
            else f"flip the position (it can reduce at most {reducible})"
        )
        + f" in {order.instrument_id} (position {position})",
    )
