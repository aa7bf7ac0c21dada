"""Transaction cost analysis: what executing an order cost against the market it met.

Per order (Perold's implementation shortfall, with the benchmarks a desk reads beside it):

- **arrival price**: the market when the order was decided — the close of the last bar ended
  at or before its submission (for a strategy order, the bar it was decided on);
- **slippage** against arrival, in basis points: ``sign × (average − arrival) / arrival``, with
  ``sign`` +1 for a buy and −1 for a sell, so a positive figure is always a cost;
- **VWAP comparison**: the same against the market's volume-weighted price over the order's
  life (the bars from its submission to its last fill or its end, each at its typical price
  ``(high + low + close) / 3``);
- **fees**, in money and in basis points of the filled notional;
- **implementation shortfall**: execution cost ``sign × (average − arrival) × filled`` plus
  opportunity cost ``sign × (final − arrival) × unfilled`` (what the part never filled moved
  against us, to the market's last price in the order's life) plus fees; in money and in
  basis points of the order's arrival notional (ordered quantity × arrival).

Per strategy: the orders' costs added up, with slippage weighted by filled notional. Pure
functions on Decimal, for the GraphQL query and the session report alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

BPS = Decimal(10_000)
_BPS_PLACES = Decimal("0.01")
_MONEY_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class OrderMarket:
    """An order and the market it met, as the read models hold them."""

    order_id: str
    strategy: str  # the deciding algorithm, or ``manual``
    side: str
    quantity: Decimal
    filled: Decimal
    average_price: Decimal | None
    fees: Decimal
    arrival_price: Decimal | None
    vwap: Decimal | None
    final_price: Decimal | None


@dataclass(frozen=True)
class OrderCost:
    order_id: str
    strategy: str
    side: str
    quantity: Decimal
    filled: Decimal
    arrival_price: Decimal | None
    average_price: Decimal | None
    vwap: Decimal | None
    slippage_bps: Decimal | None
    vs_vwap_bps: Decimal | None
    fees: Decimal
    fees_bps: Decimal | None
    execution_cost: Decimal | None
    opportunity_cost: Decimal | None
    implementation_shortfall: Decimal | None
    implementation_shortfall_bps: Decimal | None


@dataclass(frozen=True)
class StrategyCost:
    strategy: str
    orders: int
    filled_notional: Decimal
    slippage_bps: Decimal | None
    vs_vwap_bps: Decimal | None
    fees: Decimal
    implementation_shortfall: Decimal
    implementation_shortfall_bps: Decimal | None


def _bps(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    return None if denominator == 0 else (numerator / denominator * BPS).quantize(_BPS_PLACES)


def order_cost(m: OrderMarket) -> OrderCost:
    """The cost of one order; None where a benchmark is unknown (no bar before it, no fill)."""
    sign = Decimal(1) if m.side == "BUY" else Decimal(-1)
    filled_notional = m.filled * m.average_price if m.average_price is not None else Decimal(0)
    slippage = vs_vwap = execution = opportunity = shortfall = shortfall_bps = None
    if m.arrival_price is not None and m.average_price is not None and m.filled > 0:
        slippage = _bps(sign * (m.average_price - m.arrival_price), m.arrival_price)
        execution = (sign * (m.average_price - m.arrival_price) * m.filled).quantize(_MONEY_PLACES)
    if m.vwap is not None and m.average_price is not None and m.filled > 0:
        vs_vwap = _bps(sign * (m.average_price - m.vwap), m.vwap)
    if m.arrival_price is not None:
        unfilled = m.quantity - m.filled
        if unfilled == 0:
            opportunity = Decimal("0.00")
        elif m.final_price is not None:
            opportunity = (sign * (m.final_price - m.arrival_price) * unfilled).quantize(
                _MONEY_PLACES
            )
        if opportunity is not None:
            shortfall = (execution or Decimal(0)) + opportunity + m.fees
            shortfall_bps = _bps(shortfall, m.quantity * m.arrival_price)
    return OrderCost(
        order_id=m.order_id,
        strategy=m.strategy,
        side=m.side,
        quantity=m.quantity,
        filled=m.filled,
        arrival_price=m.arrival_price,
        average_price=m.average_price,
        vwap=m.vwap,
        slippage_bps=slippage,
        vs_vwap_bps=vs_vwap,
        fees=m.fees,
        fees_bps=_bps(m.fees, filled_notional),
        execution_cost=execution,
        opportunity_cost=opportunity,
        implementation_shortfall=shortfall,
        implementation_shortfall_bps=shortfall_bps,
    )


def strategy_costs(costs: Iterable[OrderCost]) -> list[StrategyCost]:
    """Per strategy, by name: slippage and the VWAP comparison weighted by filled notional,
    fees and shortfall summed (orders whose shortfall is unknown count in ``orders`` only)."""
    groups: dict[str, list[OrderCost]] = {}
    for cost in costs:
        groups.setdefault(cost.strategy, []).append(cost)
    found = []
    for strategy in sorted(groups):
        members = groups[strategy]
        weighted = slipped = vs_vwap = vwap_weight = Decimal(0)
        for c in members:
            notional = c.filled * c.average_price if c.average_price is not None else Decimal(0)
            if c.slippage_bps is not None:
                weighted += notional
                slipped += c.slippage_bps * notional
            if c.vs_vwap_bps is not None:
                vwap_weight += notional
                vs_vwap += c.vs_vwap_bps * notional
        known = [c for c in members if c.implementation_shortfall is not None]
        shortfall = sum((c.implementation_shortfall for c in known), Decimal(0))  # type: ignore[misc]
        arrival_notional = sum(
            (c.quantity * c.arrival_price for c in known if c.arrival_price is not None),
            Decimal(0),
        )
        found.append(
            StrategyCost(
                strategy=strategy,
                orders=len(members),
                filled_notional=sum(
                    (c.filled * c.average_price for c in members if c.average_price is not None),
                    Decimal(0),
                ).quantize(_MONEY_PLACES),
                slippage_bps=None if weighted == 0 else (slipped / weighted).quantize(_BPS_PLACES),
                vs_vwap_bps=None
                if vwap_weight == 0
                else (vs_vwap / vwap_weight).quantize(_BPS_PLACES),
                fees=sum((c.fees for c in members), Decimal(0)),
                implementation_shortfall=shortfall,
                implementation_shortfall_bps=_bps(shortfall, arrival_notional),
            )
        )
    return found
