"""The simulated venue's order book: queue position and price-time priority over bars.

A bar says how much traded and over which range, not at which prices nor who was first. The
book fills that in with three rules, each deterministic (no random draw), so a backtest and a
replay decide the same:

- **Joining a price level.** A limit order that does not trade on arrival rests at its limit
  behind what already rests there, ``queue_ahead``. Without a depth feed the venue knows L1 only
  from the bar: the touch is the open, less (a bid) or plus (an ask) a half-spread of the
  venue's ``slippage_bps``. A limit *inside* that spread starts a new level and is first in its
  queue; one at or behind the touch joins behind ``resting_depth_fraction`` of the joining bar's
  volume (the L1 estimate of what a level holds). The order records where it joined
  (``OrderQueued``), so the trail shows why it waited.
- **Trading at a level.** A bar that trades *through* the limit (a buy's limit above the low)
  cleared the whole level: the order is at the front and may fill. A bar that only *touches*
  it (the low equals the limit) traded an estimated ``traded_at`` there — the bar's volume
  spread evenly over every tick of its range — which first works off the queue ahead; only
  what is left reaches the order. A bar that does not reach the limit leaves the queue as it
  was (nobody ahead is assumed to cancel: the conservative reading).
- **Sharing a bar.** The venue lets the firm take at most ``max_participation`` of a bar's
  volume per side, across all its orders, not per order; the orders take it in price-time
  priority (market orders first, then the best limit, then the earliest to join). At one level
  the volume that reached the front is shared the same way.

What joining a level costs is the honest price of a resting order: on a bar that merely
touches its limit it fills less than a bar model without a book would say, or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

ZERO = Decimal(0)
BPS = Decimal(10_000)


def whole(quantity: Decimal) -> Decimal:
    """Quantities the venue hands out are whole units (as its participation cap is)."""
    return quantity.to_integral_value(rounding=ROUND_DOWN)


def touch(side: str, open_price: Decimal, half_spread_bps: Decimal) -> Decimal:
    """The L1 quote on the order's own side at the bar's open: the best bid for a buy, the best
    ask for a sell, a half-spread away from the open."""
    half = open_price * half_spread_bps / BPS
    return open_price - half if side == "BUY" else open_price + half


def queue_on_joining(
    *,
    side: str,
    price: Decimal,
    open_price: Decimal,
    volume: Decimal,
    half_spread_bps: Decimal,
    resting_depth_fraction: Decimal,
) -> Decimal:
    """What rests ahead of a limit order joining its level at this bar's open (L1 estimate):
    nothing inside the spread (it sets a new best price), else a fraction of the bar's
    volume."""
    best = touch(side, open_price, half_spread_bps)
    improves = price > best if side == "BUY" else price < best
    return ZERO if improves else whole(volume * resting_depth_fraction)


def tick_count(high: Decimal, low: Decimal, tick: Decimal) -> int:
    """The prices a bar's range spans, on the instrument's tick (at least one)."""
    return int(((high - low) / tick).to_integral_value(rounding=ROUND_DOWN)) + 1


def traded_at(volume: Decimal, high: Decimal, low: Decimal, tick: Decimal) -> Decimal:
    """The volume a bar traded at any one price of its range: its volume spread evenly over
    every tick it spans (a bar has no volume profile)."""
    return whole(volume / tick_count(high, low, tick))


@dataclass(frozen=True)
class LevelTrade:
    """What a bar did at a resting order's level: ``through`` (the level cleared: the order
    may take any volume the venue allows), else ``reached`` is what traded at the level past
    the queue ahead (0 when the bar did not reach it); ``queue_ahead`` is what still rests
    ahead of the order after the bar."""

    through: bool
    reached: Decimal
    queue_ahead: Decimal


def trade_at_level(
    *,
    side: str,
    price: Decimal,
    queue_ahead: Decimal,
    high: Decimal,
    low: Decimal,
    volume: Decimal,
    tick: Decimal,
) -> LevelTrade:
    """One bar against a resting limit order's level (see the module's rules)."""
    if side == "BUY":
        through, touched = low < price, low == price
    else:
        through, touched = high > price, high == price
    if through:
        return LevelTrade(True, ZERO, ZERO)
    if not touched:
        return LevelTrade(False, ZERO, queue_ahead)
    at_level = traded_at(volume, high, low, tick)
    return LevelTrade(False, max(ZERO, at_level - queue_ahead), max(ZERO, queue_ahead - at_level))


@dataclass
class BarShare:
    """What the firm's orders took of one bar at one venue on one side: in all (against the
    participation cap) and at each price (against what reached the front of that level)."""

    taken: Decimal = ZERO
    at_price: dict[Decimal, Decimal] | None = None

    def took(self, quantity: Decimal, price: Decimal) -> None:
        self.taken += quantity
        if self.at_price is None:
            self.at_price = {}
        self.at_price[price] = self.at_price.get(price, ZERO) + quantity

    def taken_at(self, price: Decimal) -> Decimal:
        return ZERO if self.at_price is None else self.at_price.get(price, ZERO)
