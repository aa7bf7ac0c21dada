"""What each order type, time in force and flag needs, and which combinations make sense.

One table of rules, checked when an order is received (``Order.submit``) and nowhere else, so
that a malformed order is refused with the field at fault before anything is recorded:

==================  =============  ============  ====================  ======================
order type          limit price    stop price    trail                 once triggered
==================  =============  ============  ====================  ======================
MARKET              none           none          none                  (always live)
LIMIT               required       none          none                  (always live)
STOP                none           required      none                  a MARKET order
STOP_LIMIT          required       required      none                  a LIMIT order
MARKET_IF_TOUCHED   none           required      none                  a MARKET order
LIMIT_IF_TOUCHED    required       required      none                  a LIMIT order
TRAILING_STOP       none           none          amount xor percent    a MARKET order
==================  =============  ============  ====================  ======================

Time in force: ``GTC`` rests until filled or cancelled; ``GTD`` and ``DAY`` expire at
``expire_at`` (for ``DAY`` the session close, set by the service); ``IOC`` and ``FOK`` live for
one bar. IOC and FOK are refused on conditional orders: whether "immediately" means at the
trigger or on arrival is venue-specific, and an untriggered order would otherwise always
expire on arrival — a trap rather than a feature.

Flags: ``post_only`` only on a resting LIMIT order (not IOC/FOK: an order that may not take
and may not rest can never do anything); ``reduce_only`` on any order.
"""

from __future__ import annotations

from decimal import Decimal

from bounded_contexts.execution.domain.errors import InvalidOrder
from bounded_contexts.execution.domain.events import OrderSubmitted

ORDER_TYPES: tuple[str, ...] = (
    "MARKET",
    "LIMIT",
    "STOP",
    "STOP_LIMIT",
    "MARKET_IF_TOUCHED",
    "LIMIT_IF_TOUCHED",
    "TRAILING_STOP",
)
TIMES_IN_FORCE: tuple[str, ...] = ("DAY", "GTC", "GTD", "IOC", "FOK")
LIMIT_PRICED = frozenset({"LIMIT", "STOP_LIMIT", "LIMIT_IF_TOUCHED"})
STOP_PRICED = frozenset({"STOP", "STOP_LIMIT", "MARKET_IF_TOUCHED", "LIMIT_IF_TOUCHED"})
CONDITIONAL = STOP_PRICED | {"TRAILING_STOP"}
EXPIRING = frozenset({"DAY", "GTD"})
IMMEDIATE = frozenset({"IOC", "FOK"})


def live_type(order_type: str) -> str:
    """What an order trades as once live: a limit-priced order as LIMIT, any other as MARKET."""
    return "LIMIT" if order_type in LIMIT_PRICED else "MARKET"


def _positive(value: Decimal | None) -> bool:
    return value is not None and value.is_finite() and value > 0


def check_terms(s: OrderSubmitted) -> None:
    """Raise :class:`InvalidOrder` naming the first field at fault; return when the order's
    type, prices, time in force and flags fit together."""
    if not s.quantity.is_finite() or s.quantity <= 0:
        raise InvalidOrder(f"quantity must be positive, got {s.quantity}", field="quantity")
    if s.order_type not in ORDER_TYPES:
        raise InvalidOrder(
            f"order type must be one of {', '.join(ORDER_TYPES)}, got {s.order_type!r}",
            field="order_type",
        )
    if s.time_in_force not in TIMES_IN_FORCE:
        raise InvalidOrder(
            f"time in force must be one of {', '.join(TIMES_IN_FORCE)}, got {s.time_in_force!r}",
            field="time_in_force",
        )
    _check_prices(s)
    if s.time_in_force in EXPIRING and s.expire_at is None:
        raise InvalidOrder(f"a {s.time_in_force} order needs an expiry time", field="expire_at")
    if s.time_in_force not in EXPIRING and s.expire_at is not None:
        raise InvalidOrder(
            f"a {s.time_in_force} order takes no expiry time (only GTD and DAY expire)",
            field="expire_at",
        )
    if s.time_in_force in IMMEDIATE and s.order_type in CONDITIONAL:
        raise InvalidOrder(
            f"{s.time_in_force} applies to MARKET and LIMIT orders, not to a conditional "
            f"{s.order_type} order",
            field="time_in_force",
        )
    if s.post_only and s.order_type != "LIMIT":
        raise InvalidOrder(
            f"post-only applies to LIMIT orders only (it must rest in the book), not to "
            f"{s.order_type}",
            field="post_only",
        )
    if s.post_only and s.time_in_force in IMMEDIATE:
        raise InvalidOrder(
            f"a post-only order cannot be {s.time_in_force}: it may neither take liquidity "
            f"nor rest",
            field="post_only",
        )


def _check_prices(s: OrderSubmitted) -> None:
    kind = s.order_type
    if kind in LIMIT_PRICED and not _positive(s.limit_price):
        raise InvalidOrder(f"a {kind} order needs a positive limit price", field="limit_price")
    if kind not in LIMIT_PRICED and s.limit_price is not None:
        raise InvalidOrder(f"a {kind} order takes no limit price", field="limit_price")
    if kind in STOP_PRICED and not _positive(s.stop_price):
        raise InvalidOrder(f"a {kind} order needs a positive stop price", field="stop_price")
    if kind not in STOP_PRICED and s.stop_price is not None:
        raise InvalidOrder(f"a {kind} order takes no stop price", field="stop_price")
    trails = (s.trail_amount, s.trail_percent)
    if kind != "TRAILING_STOP":
        if trails != (None, None):
            field = "trail_amount" if s.trail_amount is not None else "trail_percent"
            raise InvalidOrder(f"a {kind} order takes no trail", field=field)
        return
    if s.trail_amount is not None and s.trail_percent is not None:
        raise InvalidOrder(
            "a trailing stop trails by an amount or by a percentage, not both",
            field="trail_amount",
        )
    if s.trail_amount is None and s.trail_percent is None:
        raise InvalidOrder(
            "a trailing stop needs a trail amount or a trail percentage", field="trail_amount"
        )
    if s.trail_amount is not None and not _positive(s.trail_amount):
        raise InvalidOrder(
            f"a trail amount must be positive, got {s.trail_amount}", field="trail_amount"
        )
    if s.trail_percent is not None and not (_positive(s.trail_percent) and s.trail_percent < 100):
        raise InvalidOrder(
            f"a trail percentage must be above 0 and below 100, got {s.trail_percent}",
            field="trail_percent",
        )


DAY_NS = 86_400_000_000_000


def day_order_expiry(ts_submitted: int, session_close_ns: int) -> int:
    """When a DAY order received at ``ts_submitted`` expires: the session close (UTC, as
    nanoseconds after midnight) of its day, or of the next day when it arrives after the close.
    Like GTD, it expires at the first bar starting at or after that instant."""
    close = ts_submitted - ts_submitted % DAY_NS + session_close_ns
    return close if ts_submitted < close else close + DAY_NS


def reducible_quantity(side: str, position: Decimal) -> Decimal:
    """How much a reduce-only order on ``side`` may still trade: the long a sell can close,
    the short a buy can cover; zero when it would only open or increase a position."""
    return max(position, Decimal(0)) if side == "SELL" else max(-position, Decimal(0))
