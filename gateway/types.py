"""GraphQL object types, enums and inputs: the read models as clients see them.

Every instant is exposed twice: ``tsX`` as raw integer nanoseconds (:data:`Nanoseconds`, the
value stored in the read model) and ``tsXIso`` as ISO-8601 UTC text (:data:`UtcTimestamp`).
Money and quantities are :class:`~decimal.Decimal` (the ``Decimal`` scalar, a string).
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from gateway.scalars import Nanoseconds, UtcTimestamp


@strawberry.enum(description="Lifecycle state of an order (execution context state machine).")
class OrderStatus(Enum):
    NEW = "NEW"
    ACCEPTED = "ACCEPTED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"


@strawberry.enum
class OrderSide(Enum):
    BUY = "BUY"
    SELL = "SELL"


@strawberry.enum
class OrderType(Enum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"


@strawberry.enum(description="Who originated the order: a strategy decision or a person.")
class OrderOrigin(Enum):
    STRATEGY = "STRATEGY"
    MANUAL = "MANUAL"


@strawberry.type(description="A tradable instrument and its latest bar close.")
class Instrument:
    instrument_id: str
    isin: str
    mic: str = strawberry.field(description="ISO 10383 market identifier code of the venue.")
    currency: str
    name: str
    last_price: Decimal | None = strawberry.field(
        description="Close of the latest bar; null before the first bar."
    )
    last_bar_ts: Nanoseconds | None

    @strawberry.field
    def last_bar_ts_iso(self) -> UtcTimestamp | None:
        return None if self.last_bar_ts is None else UtcTimestamp(self.last_bar_ts)


@strawberry.type(description="A position of an account in one instrument, marked to last price.")
class Position:
    account_id: str
    instrument_id: str
    quantity: Decimal = strawberry.field(description="Signed: negative is short.")
    average_price: Decimal
    realised_pnl: Decimal
    last_price: Decimal | None = strawberry.field(
        description="The instrument's latest close; null before its first bar."
    )
    market_value: Decimal | None = strawberry.field(
        description="quantity * lastPrice; null without a last price."
    )
    unrealised_pnl: Decimal | None = strawberry.field(
        description="quantity * (lastPrice - averagePrice); null without a last price."
    )


@strawberry.type(description="Cash and positions of one account, marked to last prices.")
class Portfolio:
    account_id: str
    base_currency: str
    cash: Decimal
    initial_cash: Decimal
    fees_paid: Decimal
    realised_pnl: Decimal
    equity: Decimal | None = strawberry.field(
        description=(
            "cash + sum(quantity * lastPrice) over open positions; null while an open "
            "position's instrument has no price yet (never valued at a guess)."
        )
    )
    unrealised_pnl: Decimal | None = strawberry.field(
        description="sum(quantity * (lastPrice - averagePrice)) over open positions; null as "
        "for equity."
    )
    positions: list[Position]


@strawberry.type(description="One event in an order's history, as stored in the event log.")
class OrderEvent:
    order_id: strawberry.ID
    version: int = strawberry.field(description="Aggregate version: 1, 2, 3 … without gaps.")
    type: str = strawberry.field(description="Event type, e.g. OrderSubmitted, OrderFilled.")
    ts_event: Nanoseconds
    payload: JSON = strawberry.field(description="The event's payload; decimals are strings.")

    @strawberry.field
    def ts_event_iso(self) -> UtcTimestamp:
        return UtcTimestamp(self.ts_event)


@strawberry.type(description="One (partial) execution of an order.")
class Fill:
    order_id: strawberry.ID
    fill_seq: int = strawberry.field(description="1-based sequence of the fill within its order.")
    account_id: str
    instrument_id: str
    side: OrderSide
    quantity: Decimal
    price: Decimal
    fee: Decimal
    ts_event: Nanoseconds

    @strawberry.field
    def ts_event_iso(self) -> UtcTimestamp:
        return UtcTimestamp(self.ts_event)


@strawberry.type(description="An order as the order read model holds it.")
class Order:
    id: strawberry.ID
    account_id: str
    instrument_id: str
    side: OrderSide
    order_type: OrderType
    quantity: Decimal
    limit_price: Decimal | None
    status: OrderStatus
    filled_quantity: Decimal
    average_fill_price: Decimal | None
    reject_reason: str | None
    origin: OrderOrigin
    decision_id: strawberry.ID | None = strawberry.field(
        description="The TradeDecided event that caused a strategy order; null for manual ones."
    )
    ts_submitted: Nanoseconds
    ts_updated: Nanoseconds
    version: int
    order_uuid: strawberry.Private[UUID]

    @strawberry.field
    def ts_submitted_iso(self) -> UtcTimestamp:
        return UtcTimestamp(self.ts_submitted)

    @strawberry.field
    def ts_updated_iso(self) -> UtcTimestamp:
        return UtcTimestamp(self.ts_updated)

    @strawberry.field(description="Full history, in version order.")
    async def events(self, info: strawberry.Info) -> list[OrderEvent]:
        return await info.context.loaders.order_events.load(self.order_uuid)

    @strawberry.field(description="Fills, in sequence order.")
    async def fills(self, info: strawberry.Info) -> list[Fill]:
        return await info.context.loaders.order_fills.load(self.order_uuid)


@strawberry.type
class OrderEdge:
    cursor: str = strawberry.field(description="Opaque; pass as `after` to continue past it.")
    node: Order


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None = strawberry.field(description="Cursor of the last edge; null if none.")


@strawberry.type(description="A page of orders, oldest submission first.")
class OrderConnection:
    edges: list[OrderEdge]
    page_info: PageInfo


@strawberry.type(description="A model's probability that the instrument's price goes up.")
class Prediction:
    instrument_id: str
    ts_event: Nanoseconds
    probability_up: float = strawberry.field(description="In [0, 1]; a probability, not money.")
    model_version: str

    @strawberry.field
    def ts_event_iso(self) -> UtcTimestamp:
        return UtcTimestamp(self.ts_event)


@strawberry.input(description="A manual order. Quantities and prices are Decimal strings.")
class PlaceOrderInput:
    account_id: str
    instrument_id: str
    side: OrderSide
    quantity: Decimal = strawberry.field(description="Strictly positive.")
    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = strawberry.field(
        default=None, description="Required (and > 0) for LIMIT orders; absent for MARKET."
    )


@strawberry.type
class PlaceOrderPayload:
    order_id: strawberry.ID
    order_uuid: strawberry.Private[UUID]

    @strawberry.field(
        description="The order as the read model holds it; null until its projection has "
        "caught up (the read side is eventually consistent)."
    )
    async def order(self, info: strawberry.Info) -> Order | None:
        # Resolved apart from orderId: should the read fail, the client still learns the
        # order was placed (and does not place it again).
        return await info.context.loaders.orders.load(self.order_uuid)


@strawberry.type
class CancelOrderPayload:
    order_id: strawberry.ID
    order_uuid: strawberry.Private[UUID]

    @strawberry.field(
        description="The order as the read model holds it right after the request; its "
        "status turns CANCELLED once the projection has caught up."
    )
    async def order(self, info: strawberry.Info) -> Order | None:
        return await info.context.loaders.orders.load(self.order_uuid)


def order_from_row(row: Any) -> Order:
    """Map an ``rm_orders`` record onto :class:`Order`."""
    return Order(
        id=strawberry.ID(str(row["order_id"])),
        account_id=row["account_id"],
        instrument_id=row["instrument_id"],
        side=OrderSide(row["side"]),
        order_type=OrderType(row["order_type"]),
        quantity=row["quantity"],
        limit_price=row["limit_price"],
        status=OrderStatus(row["status"]),
        filled_quantity=row["filled_quantity"],
        average_fill_price=row["average_fill_price"],
        reject_reason=row["reject_reason"],
        origin=OrderOrigin(row["origin"]),
        decision_id=None if row["decision_id"] is None else strawberry.ID(str(row["decision_id"])),
        ts_submitted=Nanoseconds(row["ts_submitted"]),
        ts_updated=Nanoseconds(row["ts_updated"]),
        version=row["version"],
        order_uuid=row["order_id"],
    )
