"""Transaction cost analysis of an account's orders, from the read models (orders, fills and
bars): each order's market — arrival price, VWAP over its life, last price — gathered in one
query, then costed by :mod:`bounded_contexts.support.domain.tca`.

Bars are one minute long and a bar's row is stamped with its end (``rm_bars.ts_event``); a fill
is stamped with the start of the bar it executed on. So the bar an order arrived on ends after
its submission, and the bar of a fill at ``t`` ends at ``t + 1 minute``. Rejected orders never
reached the market and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg

from bounded_contexts.support.domain.tca import (
    OrderCost,
    OrderMarket,
    StrategyCost,
    order_cost,
    strategy_costs,
)

BAR_NS = 60_000_000_000
MAX_ORDERS = 10_000
_OPEN = ("ACCEPTED", "TRIGGERED", "PARTIALLY_FILLED", "NEW")

_ORDER_MARKETS = """
SELECT o.order_id, COALESCE(o.algo_id, 'manual'), o.side, o.quantity, o.filled_quantity,
       o.average_fill_price, COALESCE(f.fees, 0),
       (SELECT b.close FROM rm_bars b WHERE b.instrument_id = o.instrument_id
          AND b.ts_event <= o.ts_submitted ORDER BY b.ts_event DESC LIMIT 1),
       (SELECT sum((b.high + b.low + b.close) / 3 * b.volume) / NULLIF(sum(b.volume), 0)
          FROM rm_bars b WHERE b.instrument_id = o.instrument_id
          AND b.ts_event > o.ts_submitted AND b.ts_event <= e.ends + %(bar)s),
       (SELECT b.close FROM rm_bars b WHERE b.instrument_id = o.instrument_id
          AND (o.status = ANY(%(open)s) OR b.ts_event <= e.ends + %(bar)s)
          ORDER BY b.ts_event DESC LIMIT 1)
FROM rm_orders o
LEFT JOIN LATERAL (SELECT sum(fee) AS fees, max(ts_event) AS last_fill
                   FROM rm_fills WHERE order_id = o.order_id) f ON TRUE
CROSS JOIN LATERAL (SELECT GREATEST(COALESCE(f.last_fill, o.ts_updated), o.ts_submitted)
                    AS ends) e
WHERE o.account_id = %(account)s AND o.status <> 'REJECTED'
  AND o.ts_submitted >= %(from)s AND o.ts_submitted < %(to)s
ORDER BY o.seq
LIMIT %(limit)s
"""


@dataclass(frozen=True)
class CostReport:
    orders: list[OrderCost]
    by_strategy: list[StrategyCost]
    truncated: bool


def transaction_costs(
    conn: psycopg.Connection[Any],
    account_id: str,
    *,
    ts_from: int = 0,
    ts_to: int = 2**63 - 1,
    limit: int = MAX_ORDERS,
) -> CostReport:
    """The costs of the account's orders submitted in ``[ts_from, ts_to)``, oldest first (at
    most ``limit``; ``truncated`` says there were more), and per strategy."""
    rows = conn.execute(
        _ORDER_MARKETS,
        {
            "account": account_id,
            "from": ts_from,
            "to": ts_to,
            "bar": BAR_NS,
            "open": list(_OPEN),
            "limit": limit + 1,
        },
    ).fetchall()
    costs = [order_cost(_market(row)) for row in rows[:limit]]
    return CostReport(costs, strategy_costs(costs), truncated=len(rows) > limit)


def _market(row: tuple[Any, ...]) -> OrderMarket:
    order_id, strategy, side, quantity, filled, average, fees, arrival, vwap, final = row
    return OrderMarket(
        order_id=str(order_id),
        strategy=strategy,
        side=side,
        quantity=Decimal(quantity),
        filled=Decimal(filled),
        average_price=None if average is None else Decimal(average),
        fees=Decimal(fees),
        arrival_price=None if arrival is None else Decimal(arrival),
        vwap=None if vwap is None else Decimal(vwap).quantize(Decimal("0.000001")),
        final_price=None if final is None else Decimal(final),
    )
