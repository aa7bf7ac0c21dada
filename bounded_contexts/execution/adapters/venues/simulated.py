"""The simulated exchange: fills resting orders against the next bar.

A market order fills at the next bar's open moved against the order by the slippage; a limit
buy fills if the bar trades at or below the limit, at the better of open and limit (a sell
mirrors it). At most ``max_participation`` of the bar's volume is taken, so large orders fill
over several bars (partial fills); how much of that a resting order gets — its place in its
level's queue, the firm's orders in price-time priority sharing the cap — is the book's
(``book``): ``match`` takes the ``room`` the book leaves the order. Fees are basis points of
notional with a minimum; a fill that added liquidity (a limit order the market came to: it
rested below the open for a buy) pays ``maker_fee_bps``, every other fill ``fee_bps`` (the
taker's).

Conditional orders. A bar *crosses* a trigger when its range reaches it: a buy stop when
``high >= stop``, a sell stop when ``low <= stop``; market/limit-if-touched the other way (a
buy when ``low <= trigger``, a sell when ``high >= trigger``). A bar has no path, only open,
high, low, so the venue assumes the price opened, then reached the trigger, and fills a
triggered order *in the same bar at the trigger price* — or at the open when the bar opened
beyond it (a gap: a buy stop opening above its stop fills at the open, not at the stop). A
triggered market order (stop, MIT, trailing stop) pays the slippage on that price, bounded by
the bar's range; a triggered limit order (stop-limit, LIT) fills there only if that price is
within its limit, and otherwise rests as a limit order from the next bar. A trailing stop's
trigger follows the best price seen: the bar is first checked against the stop where it stood
(the best of the earlier bars and this bar's open), then the best moves to this bar's high
(sell) or low (buy) for the next bar — the favourable extreme is assumed to come after the
adverse one, the conservative reading.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from uuid import UUID

PRICE_TICK = Decimal("0.0001")
CENT = Decimal("0.01")


VENUE_TRADE_NAMESPACE = uuid.UUID("5e1a7ed0-7a0e-4c1d-8b2a-3f4e5d6c7b8a")


@dataclass(frozen=True)
class SimulatedVenueConfig:
    """``mic``: the MIC the simulated exchange reports its executions under (RTS 22 field 36);
    ``None`` (the default) means it stands for each instrument's listing venue and reports the
    listing MIC."""

    slippage_bps: Decimal = Decimal(2)
    fee_bps: Decimal = Decimal("1.5")
    min_fee: Decimal = Decimal(1)
    max_participation: Decimal = Decimal("0.25")
    mic: str | None = None
    maker_fee_bps: Decimal | None = None
    """Fee of a fill that added liquidity; ``None``: the same as ``fee_bps``."""
    latency_ns: int = 0
    """One-way latency to the venue: an order reaches it (and is acknowledged) this long
    after it is sent, and trades on the first bar starting then or after; a fill reaches us
    this long after it executes."""
    latency_jitter_ns: int = 0
    """Up to this much more latency per order, drawn from the order's id and ``seed``: the
    same order meets the same latency on every run and replay."""
    seed: int = 0
    resting_depth_fraction: Decimal = Decimal("0.05")
    """What already rests at a price level when a limit order joins it behind the touch, as a
    fraction of the joining bar's volume: the L1 estimate of the queue ahead (see ``book``)."""
    volume_share: Decimal = Decimal(1)
    """The share of the market's volume (the bars) that trades at this venue: its liquidity.
    With several venues, each sees this much of every bar (participation cap, queues), and
    routing splits a large order by it."""

    def __post_init__(self) -> None:
        if self.latency_ns < 0 or self.latency_jitter_ns < 0:
            raise ValueError("latency_ns and latency_jitter_ns must not be negative")
        if not 0 <= self.resting_depth_fraction <= 1:
            raise ValueError(
                f"resting_depth_fraction must be between 0 and 1, got {self.resting_depth_fraction}"
            )
        if not 0 < self.volume_share <= 1:
            raise ValueError(f"volume_share must be above 0 and at most 1, got {self.volume_share}")
        if not 0 < self.max_participation <= 1:
            raise ValueError(
                f"max_participation must be above 0 and at most 1, got {self.max_participation}"
            )

    def traded_here(self, volume: Decimal) -> Decimal:
        """What of a bar's volume traded at this venue."""
        return volume * self.volume_share

    def participation_cap(self, volume: Decimal) -> Decimal:
        """The most the firm may take of a bar's volume on one side, across all its orders."""
        cap = self.traded_here(volume) * self.max_participation
        return cap.to_integral_value(rounding=ROUND_DOWN)

    def latency(self, order_id: UUID) -> int:
        """This order's one-way latency, deterministic under ``seed``."""
        if not self.latency_jitter_ns:
            return self.latency_ns
        draw = uuid.uuid5(VENUE_TRADE_NAMESPACE, f"latency/{self.seed}/{order_id}").int
        return self.latency_ns + draw % (self.latency_jitter_ns + 1)

    def fee(self, quantity: Decimal, price: Decimal, *, maker: bool) -> Decimal:
        bps = self.maker_fee_bps if maker and self.maker_fee_bps is not None else self.fee_bps
        return max(self.min_fee, quantity * price * bps / Decimal(10_000)).quantize(CENT)


def venue_trade_id(order_id: UUID, fill_seq: int, ts_start: int) -> str:
    """The venue's own id of one execution (RTS 22 field 3, the trading venue transaction
    identification code): 32 upper-case hex digits, derived from the order, the fill number
    and the bar it executed on, so every replay gives the same id."""
    return uuid.uuid5(VENUE_TRADE_NAMESPACE, f"{order_id}/{fill_seq}/{ts_start}").hex.upper()


@dataclass(frozen=True)
class VenueBar:
    """What the venue needs of a bar, and which stored event it was (a fill's cause)."""

    ts_start: int
    open: Decimal
    high: Decimal
    low: Decimal
    volume: Decimal
    event_id: UUID | None = None
    position: int = 0


@dataclass(frozen=True)
class Execution:
    quantity: Decimal
    price: Decimal
    fee: Decimal
    maker: bool = False


def _available(
    remaining: Decimal, bar: VenueBar, config: SimulatedVenueConfig, room: Decimal | None
) -> Decimal:
    """What one order may take of the bar: ``room`` (what the book leaves it: the bar's
    participation cap less what the firm's other orders took, or what reached it at its level)
    or, without a book, the whole cap."""
    return min(remaining, config.participation_cap(bar.volume) if room is None else room)


def marketable(side: str, limit_price: Decimal, price: Decimal) -> bool:
    """A limit order at ``limit_price`` would trade at ``price`` (take liquidity)."""
    return price <= limit_price if side == "BUY" else price >= limit_price


def match(
    *,
    side: str,
    order_type: str,
    limit_price: Decimal | None,
    remaining: Decimal,
    bar: VenueBar,
    config: SimulatedVenueConfig,
    maker_only: bool = False,
    room: Decimal | None = None,
) -> Execution | None:
    """A live order (``order_type`` MARKET or LIMIT) against one bar. ``maker_only``: a
    post-only order, which the venue let rest only because it was not marketable on arrival:
    every fill of it is a maker fill, at the same price as any limit order's (so a bar opening
    through its limit fills it at the open: the bar model has no book to hold it at its
    limit, and a price outside the bar's range would be invented). ``maker_only`` also marks
    an order resting in the book (see ``book``): it provides liquidity."""
    quantity = _available(remaining, bar, config, room)
    if quantity <= 0:
        return None
    maker = False
    if order_type == "MARKET":
        slip = bar.open * config.slippage_bps / Decimal(10_000)
        price = bar.open + slip if side == "BUY" else bar.open - slip
    elif side == "BUY":
        if limit_price is None or bar.low > limit_price:
            return None
        maker = maker_only or bar.open > limit_price
        price = min(bar.open, limit_price)
    else:
        if limit_price is None or bar.high < limit_price:
            return None
        maker = maker_only or bar.open < limit_price
        price = max(bar.open, limit_price)
    price = price.quantize(PRICE_TICK)
    return Execution(quantity, price, config.fee(quantity, price, maker=maker), maker)


STOP_LIKE = frozenset({"STOP", "STOP_LIMIT", "TRAILING_STOP"})
"""Triggered when the price moves against the order's side (a buy stop above the market)."""


def crossed(*, order_type: str, side: str, trigger_price: Decimal, bar: VenueBar) -> bool:
    """The bar's range reached the conditional order's trigger."""
    rising = (side == "BUY") == (order_type in STOP_LIKE)  # triggered by a rise in price
    return bar.high >= trigger_price if rising else bar.low <= trigger_price


def fill_on_trigger(
    *,
    side: str,
    order_type: str,
    live_type: str,
    trigger_price: Decimal,
    limit_price: Decimal | None,
    remaining: Decimal,
    bar: VenueBar,
    config: SimulatedVenueConfig,
    room: Decimal | None = None,
) -> Execution | None:
    """The fill of an order its bar has just triggered (see the module's assumptions): at the
    trigger price, or at the open when the bar opened beyond it."""
    quantity = _available(remaining, bar, config, room)
    if quantity <= 0:
        return None
    rising = (side == "BUY") == (order_type in STOP_LIKE)
    base = max(bar.open, trigger_price) if rising else min(bar.open, trigger_price)
    if live_type == "LIMIT":
        if limit_price is None or not marketable(side, limit_price, base):
            return None  # rests as a limit order from the next bar
        price = base
    else:
        slip = base * config.slippage_bps / Decimal(10_000)
        price = min(base + slip, bar.high) if side == "BUY" else max(base - slip, bar.low)
    price = price.quantize(PRICE_TICK)
    return Execution(quantity, price, config.fee(quantity, price, maker=False))


def trailing_trigger(
    side: str, best_price: Decimal, trail_amount: Decimal | None, trail_percent: Decimal | None
) -> Decimal:
    """Where a trailing stop stands given the best price seen: below it for a sell (which
    protects a long), above it for a buy."""
    if trail_amount is not None:
        trail = trail_amount
    else:
        assert trail_percent is not None
        trail = best_price * trail_percent / Decimal(100)
    stop = best_price - trail if side == "SELL" else best_price + trail
    return stop.quantize(PRICE_TICK)


def better(side: str, best_price: Decimal, bar: VenueBar) -> Decimal:
    """A trailing stop's best price after the bar: the highest high for a sell, the lowest
    low for a buy."""
    return max(best_price, bar.high) if side == "SELL" else min(best_price, bar.low)
