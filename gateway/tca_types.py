"""GraphQL types of transaction cost analysis (see ``bounded_contexts.support.domain.tca``)."""

from __future__ import annotations

from decimal import Decimal

import strawberry


@strawberry.type(
    description="What executing one order cost. Basis points are costs when positive (a buy "
    "above, a sell below the benchmark); null where a benchmark is unknown."
)
class OrderCost:
    order_id: strawberry.ID
    strategy: str = strawberry.field(description="The deciding algorithm, or `manual`.")
    side: str
    quantity: Decimal
    filled: Decimal
    arrival_price: Decimal | None = strawberry.field(
        description="The close of the last bar ended at or before the order's submission."
    )
    average_price: Decimal | None
    vwap: Decimal | None = strawberry.field(
        description="The market's volume-weighted typical price over the order's life."
    )
    slippage_bps: Decimal | None = strawberry.field(description="Against the arrival price.")
    vs_vwap_bps: Decimal | None
    fees: Decimal
    fees_bps: Decimal | None = strawberry.field(description="Of the filled notional.")
    execution_cost: Decimal | None
    opportunity_cost: Decimal | None = strawberry.field(
        description="What the market moved against the part never filled, to its last price."
    )
    implementation_shortfall: Decimal | None = strawberry.field(
        description="Execution cost + opportunity cost + fees, in money."
    )
    implementation_shortfall_bps: Decimal | None = strawberry.field(
        description="Of the order's arrival notional (ordered quantity x arrival price)."
    )


@strawberry.type(description="A strategy's orders' costs added up (slippage notional-weighted).")
class StrategyCost:
    strategy: str
    orders: int
    filled_notional: Decimal
    slippage_bps: Decimal | None
    vs_vwap_bps: Decimal | None
    fees: Decimal
    implementation_shortfall: Decimal
    implementation_shortfall_bps: Decimal | None


@strawberry.type(description="Transaction cost analysis of an account's orders.")
class TransactionCostReport:
    orders: list[OrderCost] = strawberry.field(description="Oldest first; rejected ones left out.")
    by_strategy: list[StrategyCost]
    truncated: bool = strawberry.field(description="More orders than `first` were in the window.")
