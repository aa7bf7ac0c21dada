"""The simulated exchange: fills resting orders against the next bar.

A market order fills at the next bar's open moved against the order by the slippage; a limit
buy fills if the bar trades at or below the limit, at the better of open and limit (a sell
mirrors it). At most ``max_participation`` of the bar's volume is taken, so large orders fill
over several bars (partial fills). Fees are basis points of notional with a minimum.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from uuid import UUID

PRICE_TICK = Decimal("0.0001")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class SimulatedVenueConfig:
    slippage_bps: Decimal = Decimal(2)
    fee_bps: Decimal = Decimal("1.5")
    min_fee: Decimal = Decimal(1)
    max_participation: Decimal = Decimal("0.25")


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


def match(
    *,
    side: str,
    order_type: str,
    limit_price: Decimal | None,
    remaining: Decimal,
    bar: VenueBar,
    config: SimulatedVenueConfig,
) -> Execution | None:
    available = (bar.volume * config.max_participation).to_integral_value(rounding=ROUND_DOWN)
    quantity = min(remaining, available)
    if quantity <= 0:
        return None
    if order_type == "MARKET":
        slip = bar.open * config.slippage_bps / Decimal(10_000)
        price = bar.open + slip if side == "BUY" else bar.open - slip
    elif side == "BUY":
        if limit_price is None or bar.low > limit_price:
            return None
        price = min(bar.open, limit_price)
    else:
        if limit_price is None or bar.high < limit_price:
            return None
        price = max(bar.open, limit_price)
    price = price.quantize(PRICE_TICK)
    fee = max(config.min_fee, quantity * price * config.fee_bps / Decimal(10_000)).quantize(CENT)
    return Execution(quantity, price, fee)
