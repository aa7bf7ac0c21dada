"""Pre-trade controls (RTS 6 Art. 15): every order passes them before it reaches a venue.

Pure function of the order, the account, the open orders and the limits of every scope the
order falls under (the firm, its account, strategy, trader, instrument, venue); returns every
control it fails (empty when it passes), each with its limit, the order's value, the scope
whose limit it broke and a sentence, so a rejection records every limit breached, not only
the first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from bounded_contexts.execution.domain.account import Account
from bounded_contexts.execution.domain.controls.events import Limits
from bounded_contexts.execution.domain.controls.scope import FIRM, ControlScope, ScopeKind
from bounded_contexts.execution.domain.events import ControlBreach, OrderSubmitted
from bounded_contexts.execution.domain.order_terms import reducible_quantity

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class PreTradeLimits:
    """The default limits (``ExecutionConfig.limits``): the firm's until a person sets the firm
    scope's limits at run time (``RiskLimitsSet``), and whether the account may sell short.
    ``max_order_quantity`` is the maximum order volume (Art. 15(1)(c)): a fat-finger bound
    independent of price, so a tiny-priced instrument cannot take a huge order under the
    notional limit."""

    max_order_quantity: Decimal = Decimal(1_000_000)
    max_order_notional: Decimal = Decimal(100_000)
    max_position_notional: Decimal = Decimal(150_000)  # per instrument, absolute
    allow_short: bool = False
    price_collar_pct: Decimal | None = None
    max_messages_per_second: int | None = None
    max_executions_per_minute: int | None = None
    rolling_collar_pct: Decimal | None = None
    rolling_collar_window_s: int | None = None

    def __post_init__(self) -> None:
        if (self.rolling_collar_pct is None) != (self.rolling_collar_window_s is None):
            raise ValueError(
                "the rolling collar needs both rolling_collar_pct and rolling_collar_window_s"
            )

    def firm_limits(self) -> Limits:
        return Limits(
            self.max_order_quantity,
            self.max_order_notional,
            self.max_position_notional,
            self.price_collar_pct,
            self.max_messages_per_second,
            self.max_executions_per_minute,
            self.rolling_collar_pct,
            self.rolling_collar_window_s,
        )


ScopedLimits = tuple[ControlScope, Limits]


@dataclass(frozen=True)
class PreTradeFailure:
    """A control the order broke: the recorded breach and the sentence that explains it."""

    breach: ControlBreach
    message: str


def _no_messages(scope: ControlScope) -> int:
    return 0


def _no_history(window_s: int) -> Decimal | None:
    return None


def pretrade_failures(
    order: OrderSubmitted,
    *,
    account: Account,
    reference_price: Decimal,
    open_buy_notional: Decimal,
    limits: PreTradeLimits,
    scoped: Sequence[ScopedLimits] | None = None,
    messages_sent: Callable[[ControlScope], int] = _no_messages,
    price_before: Callable[[int], Decimal | None] = _no_history,
) -> list[PreTradeFailure]:
    """``scoped``: the limits of each scope the order falls under (default: the configured
    firm limits alone); ``messages_sent(scope)``: the messages the scope sent in the second up
    to this order, which this order would add one to; ``price_before(window_s)``: the market
    price at the start of the last ``window_s`` seconds (None: no trade in that window, and
    the rolling collar has nothing to hold the order to)."""
    price = order.limit_price or reference_price
    notional = order.quantity * price
    signed = order.quantity if order.side == "BUY" else -order.quantity
    position_after = account.position(order.instrument_id) + signed
    position_value = abs(position_after) * price
    failures: list[PreTradeFailure] = []

    def breach(
        scope: ControlScope,
        control: str,
        limit: Decimal | None,
        value: Decimal | None,
        text: str,
    ) -> None:
        failures.append(PreTradeFailure(ControlBreach(control, limit, value, str(scope)), text))

    for scope, scope_limits in [(FIRM, limits.firm_limits())] if scoped is None else scoped:
        where = "" if scope.kind is ScopeKind.FIRM else f" of {scope}"
        cap = scope_limits.max_order_quantity
        if cap is not None and order.quantity > cap:
            breach(
                scope,
                "max_order_quantity",
                cap,
                order.quantity,
                f"order quantity {order.quantity} exceeds the limit{where} {cap}",
            )
        cap = scope_limits.max_order_notional
        if cap is not None and notional > cap:
            breach(
                scope,
                "max_order_notional",
                cap,
                notional,
                f"order notional {notional:.2f} exceeds the limit{where} {cap}",
            )
        cap = scope_limits.max_position_notional
        if cap is not None and position_value > cap:
            breach(
                scope,
                "max_position_notional",
                cap,
                position_value,
                f"position after the order {position_after} x {price} exceeds the "
                f"per-instrument limit{where} {cap}",
            )
        collar = scope_limits.price_collar_pct
        if collar is not None and order.limit_price is not None and reference_price > 0:
            deviation = abs(order.limit_price - reference_price) / reference_price * HUNDRED
            if deviation > collar:
                breach(
                    scope,
                    "price_collar",
                    collar,
                    deviation.quantize(Decimal("0.01")),
                    f"limit price {order.limit_price} is {deviation:.2f}% from the reference "
                    f"price {reference_price}, outside the collar{where} of {collar}%",
                )
        rolling, window = scope_limits.rolling_collar_pct, scope_limits.rolling_collar_window_s
        start = None if rolling is None or window is None else price_before(window)
        if rolling is not None and start is not None and start > 0:
            deviation = abs(price - start) / start * HUNDRED
            if deviation > rolling:
                breach(
                    scope,
                    "rolling_collar",
                    rolling,
                    deviation.quantize(Decimal("0.01")),
                    f"price {price} is {deviation:.2f}% from {start}, the price {window} s ago, "
                    f"outside the rolling collar{where} of {rolling}% over {window} s",
                )
        rate = scope_limits.max_messages_per_second
        if rate is not None:
            sent = messages_sent(scope) + 1
            if sent > rate:
                breach(
                    scope,
                    "max_messages_per_second",
                    Decimal(rate),
                    Decimal(sent),
                    f"{sent} messages in one second would exceed the limit{where} of {rate}/s",
                )
    own = ControlScope(ScopeKind.ACCOUNT, order.account_id)
    allowed = account.allowed_instruments
    if allowed is not None and order.instrument_id not in allowed:
        breach(
            own,
            "instrument_not_allowed",
            None,
            None,
            f"account {order.account_id} may not trade {order.instrument_id}",
        )
    allowed = account.allowed_strategies
    if order.algo_id is not None and allowed is not None and order.algo_id not in allowed:
        breach(
            own,
            "strategy_not_allowed",
            None,
            None,
            f"strategy {order.algo_id} may not trade for account {order.account_id}",
        )
    if position_after < 0 and not limits.allow_short:
        breach(
            FIRM,
            "short_selling",
            Decimal(0),
            position_after,
            f"short selling is not allowed (position after would be {position_after})",
        )
    if order.side == "BUY" and notional + open_buy_notional > account.cash:
        breach(
            own,
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


def kill_switch_engaged(scope: ControlScope, reason: str) -> PreTradeFailure:
    """The order falls under an engaged kill switch (RTS 6 Art. 12)."""
    return PreTradeFailure(
        ControlBreach("kill_switch", None, None, str(scope)),
        f"the kill switch of {scope} is engaged ({reason})",
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
        ControlBreach("reduce_only", reducible, order.quantity, f"account:{order.account_id}"),
        f"reduce-only {order.side} of {order.quantity} would "
        + (
            "increase the position"
            if reducible == 0
            else f"flip the position (it can reduce at most {reducible})"
        )
        + f" in {order.instrument_id} (position {position})",
    )


def trading_halted(instrument_id: str, reason: str) -> PreTradeFailure:
    """The venue has halted trading in the instrument."""
    return PreTradeFailure(
        ControlBreach("trading_halted", None, None, f"instrument:{instrument_id}"),
        f"trading in {instrument_id} is halted at the venue ({reason})",
    )
