"""The simulated exchange: fills resting orders against the next bar.

A market order fills at the next bar's open moved against the order by the slippage; a limit
buy fills if the bar trades at or below the limit, at the better of open and limit (a sell
mirrors it). At most ``max_participation`` of the bar's volume is taken, so large orders fill
over several bars (partial fills). Fees are basis points of notional with a minimum.
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
