"""GraphQL object types, enums and inputs: the read models as clients see them.

Every instant is exposed twice: ``tsX`` as raw integer nanoseconds (:data:`Nanoseconds`, the
value stored in the read model) and ``tsXIso`` as ISO-8601 UTC text (:data:`UtcTimestamp`).
Money, prices and quantities are :class:`~decimal.Decimal` (the ``Decimal`` scalar, a string)
at the scale of their kind (:mod:`gateway.decimals`). ``position`` fields are the store
position of the event behind a row (:data:`StorePosition`): the projection's own sequence,
what lists page by and what ``minPosition`` waits for.

Objects a client may fetch again by id implement ``Node``: ``id`` is a global id
(:mod:`gateway.ids`), ``node(id)`` loads it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from bounded_contexts.support.domain.access_model import PlatformPermission
from bounded_contexts.support.domain.mifid.order_records import event_code
from gateway import decimals
from gateway.ids import global_id
from gateway.ports import RecordedOrder
from gateway.scalars import Nanoseconds, StorePosition, UtcTimestamp


@strawberry.interface(description="An object with a global id, fetched again with `node(id)`.")
class Node:
    id: strawberry.ID


@strawberry.enum(description="Lifecycle state of an order (execution context state machine).")
class OrderStatus(Enum):
    HELD = "HELD"
    NEW = "NEW"
    ACCEPTED = "ACCEPTED"
    TRIGGERED = "TRIGGERED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"


@strawberry.enum
class OrderSide(Enum):
    BUY = "BUY"
    SELL = "SELL"


@strawberry.enum(
    description="MARKET and LIMIT trade at once; the others rest untriggered until a bar's "
    "range crosses their trigger (`stopPrice`, or a trailing stop's trail), then trade as a "
    "MARKET order (STOP, MARKET_IF_TOUCHED, TRAILING_STOP) or a LIMIT order at `limitPrice` "
    "(STOP_LIMIT, LIMIT_IF_TOUCHED). A stop is crossed by a move against the order's side "
    "(a buy stop above the market); an if-touched order by a move in its favour."
)
class OrderType(Enum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP = "STOP"
    STOP_LIMIT = "STOP_LIMIT"
    MARKET_IF_TOUCHED = "MARKET_IF_TOUCHED"
    LIMIT_IF_TOUCHED = "LIMIT_IF_TOUCHED"
    TRAILING_STOP = "TRAILING_STOP"


@strawberry.enum(
    description="GTC rests until filled or cancelled; GTD expires at `expireAt`; DAY at the "
    "session close (the execution context's `session_close_utc`, 21:00 UTC by default); IOC "
    "fills what its first bar allows and expires the rest; FOK fills whole on its first bar "
    "or expires unfilled."
)
class TimeInForce(Enum):
    DAY = "DAY"
    GTC = "GTC"
    GTD = "GTD"
    IOC = "IOC"
    FOK = "FOK"


@strawberry.enum(description="Who originated the order: a strategy decision or a person.")
class OrderOrigin(Enum):
    STRATEGY = "STRATEGY"
    MANUAL = "MANUAL"


@strawberry.enum(description="List order: by the store position of the row's first event.")
class SortOrder(Enum):
    NEWEST_FIRST = "NEWEST_FIRST"
    OLDEST_FIRST = "OLDEST_FIRST"


@strawberry.enum(description="Candle and equity-curve bucket width (UTC, from the epoch).")
class Interval(Enum):
    ONE_MINUTE = 60
    FIVE_MINUTES = 300
    FIFTEEN_MINUTES = 900
    ONE_HOUR = 3600
    ONE_DAY = 86400

    @property
    def nanoseconds(self) -> int:
        return int(self.value) * 1_000_000_000


@strawberry.type(description="A tradable instrument, its trading terms and its latest close.")
class Instrument(Node):
    instrument_id: str
    isin: str
    mic: str = strawberry.field(description="ISO 10383 market identifier code of the venue.")
    currency: str
    name: str
    lot_size: Decimal = strawberry.field(description="Every quantity is a multiple of it.")
    tick_size: Decimal = strawberry.field(description="Every limit price is a multiple of it.")
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
class Portfolio(Node):
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
    position: StorePosition = strawberry.field(
        description="Execution store position of the last event reflected here."
    )
    positions: list[Position]


@strawberry.type(description="One pre-trade control an order broke (RTS 6 Art. 15).")
class ControlBreach:
    control: str = strawberry.field(
        description="max_order_quantity, max_order_notional, max_position_notional, "
        "price_collar, max_messages_per_second, instrument_not_allowed, strategy_not_allowed, "
        "short_selling, cash, reference_price or kill_switch."
    )
    limit: Decimal | None = strawberry.field(description="The control's limit.")
    value: Decimal | None = strawberry.field(description="The order's value that broke it.")
    scope: str | None = strawberry.field(
        default=None,
        description="Whose limit or kill switch: `firm` or `<kind>:<value>` (null: recorded "
        "before scopes, the firm's).",
    )


@strawberry.type(description="One event in an order's history, as stored in the event log.")
class OrderEvent:
    order_id: strawberry.ID
    version: int = strawberry.field(description="Aggregate version: 1, 2, 3 … without gaps.")
    type: str = strawberry.field(description="Event type, e.g. OrderSubmitted, OrderFilled.")
    ts_event: Nanoseconds
    position: StorePosition = strawberry.field(description="Its execution store position.")
    payload: JSON = strawberry.field(description="The event's payload; decimals are strings.")

    @strawberry.field
    def ts_event_iso(self) -> UtcTimestamp:
        return UtcTimestamp(self.ts_event)

    @strawberry.field(
        description="Its ISO 20022 order event code, as the RTS 24 order records give it: "
        "NEWO, CHME, CAME, REMO, EXPI, PARF, FILL or TRIG; null for an event without one "
        "(an acknowledgement, a trailing stop's move, a refused amendment, a routing choice, "
        "a place in the venue's queue)."
    )
    def iso_event_code(self) -> str | None:
        payload = self.payload if isinstance(self.payload, dict) else {}
        return event_code(self.type, payload, str(payload.get("actor", "")))


@strawberry.type(description="One (partial) execution of an order.")
class Fill(Node):
    order_id: strawberry.ID
    fill_seq: int = strawberry.field(description="1-based sequence of the fill within its order.")
    account_id: str
    instrument_id: str
    side: OrderSide
    quantity: Decimal
    price: Decimal
    fee: Decimal
    ts_event: Nanoseconds
    position: StorePosition = strawberry.field(description="Execution position of the fill.")
    corrected_position: StorePosition | None = strawberry.field(
        default=None,
        description="Execution position of the last correction of its price or fee "
        "(`OrderFillCorrected`, in the order's `events` beside the fill); null: as filled.",
    )

    @strawberry.field
    def ts_event_iso(self) -> UtcTimestamp:
        return UtcTimestamp(self.ts_event)


@strawberry.type(
    description="An order: as the order read model holds it, or — in a mutation's "
    "answer — as the execution context recorded it."
)
class Order(Node):
    order_id: strawberry.ID = strawberry.field(description="The order's UUID.")
    account_id: str
    instrument_id: str
    side: OrderSide
    order_type: OrderType
    quantity: Decimal
    limit_price: Decimal | None
    stop_price: Decimal | None = strawberry.field(
        description="The trigger of a STOP, STOP_LIMIT, MARKET_IF_TOUCHED or LIMIT_IF_TOUCHED "
        "order as submitted; null otherwise."
    )
    trail_amount: Decimal | None = strawberry.field(
        description="A TRAILING_STOP's trail as a price distance; null otherwise."
    )
    trail_percent: Decimal | None = strawberry.field(
        description="A TRAILING_STOP's trail as a percentage of the best price; null otherwise."
    )
    trigger_price: Decimal | None = strawberry.field(
        description="Where the trigger stands now (a trailing stop's follows the best price) "
        "or stood when it was crossed; null for MARKET and LIMIT orders."
    )
    post_only: bool = strawberry.field(
        description="A LIMIT order that may only add liquidity: refused (REJECTED) if it "
        "would trade on arrival."
    )
    reduce_only: bool = strawberry.field(
        description="It may only reduce the account's position, never increase or flip it."
    )
    time_in_force: TimeInForce
    expire_at: Nanoseconds | None = strawberry.field(
        description="GTD and DAY: expires unfilled at the first bar starting at or after it."
    )
    status: OrderStatus = strawberry.field(
        description="HELD: a one-triggers-other child recorded with its parent but not sent "
        "to the venue (not checked, not counted) until the parent is filled."
    )
    oco_group: strawberry.ID | None = strawberry.field(
        description="The one-cancels-other group it belongs to (its other members: the "
        "orders with the same ocoGroup): the first execution, cancellation or expiry of a "
        "member cancels the others. Null: none."
    )
    parent_order_id: strawberry.ID | None = strawberry.field(
        description="A one-triggers-other child's parent (a bracket's entry): the child is "
        "HELD until the parent is filled. Null: none."
    )
    ts_activated: Nanoseconds | None = strawberry.field(
        description="When a held child went to the venue (its parent filled, or ended partly "
        "filled: `quantity` is then its share); null: never held, or not yet."
    )
    pending_request: str | None = strawberry.field(
        default=None,
        description="CANCEL or REPLACE: a cancel or amendment sent to the FIX broker the order "
        "works at and not answered yet (the order works on, and may fill, meanwhile); null: "
        "none.",
    )
    filled_quantity: Decimal
    average_fill_price: Decimal | None
    reject_reason: str | None = strawberry.field(
        description="Why it was rejected or cancelled; null otherwise."
    )
    breaches: list[ControlBreach] = strawberry.field(
        description="The pre-trade controls a REJECTED order broke; empty otherwise."
    )
    origin: OrderOrigin
    decision_id: strawberry.ID | None = strawberry.field(
        description="The TradeDecided event that caused a strategy order; null for manual ones."
    )
    algo_id: str | None = strawberry.field(
        description="The algorithm that decided a strategy order (MiFID II decision maker)."
    )
    actor: str = strawberry.field(description="Who submitted it: person:<subject> or algo:<id>.")
    ts_submitted: Nanoseconds
    ts_updated: Nanoseconds
    version: int
    position: StorePosition = strawberry.field(
        description="Execution position of its OrderSubmitted (what lists page by)."
    )
    updated_position: StorePosition = strawberry.field(
        description="Execution position of the last event reflected here."
    )
    order_uuid: strawberry.Private[UUID]
    written_at: strawberry.Private[int | None] = None
    """Set on an order a mutation answers with: its children are read from the read model
    once the projection has applied this position (read-your-writes)."""

    @strawberry.field
    def expire_at_iso(self) -> UtcTimestamp | None:
        return None if self.expire_at is None else UtcTimestamp(self.expire_at)

    @strawberry.field
    def ts_submitted_iso(self) -> UtcTimestamp:
        return UtcTimestamp(self.ts_submitted)

    @strawberry.field
    def ts_updated_iso(self) -> UtcTimestamp:
        return UtcTimestamp(self.ts_updated)

    @strawberry.field(description="Full history, in version order (from the read model).")
    async def events(self, info: strawberry.Info) -> list[OrderEvent]:
        await info.context.read_after(self.written_at, "orders")
        return await info.context.loaders.order_events.load(self.order_uuid)

    @strawberry.field(description="Fills, in sequence order (from the read model).")
    async def fills(self, info: strawberry.Info) -> list[Fill]:
        await info.context.read_after(self.written_at, "orders")
        return await info.context.loaders.order_fills.load(self.order_uuid)

    @strawberry.field(
        description="Every event that led to this order and that it led to — decision, "
        "prediction and its model, indicators, bars, the pre-trade verdict, fills and the bars "
        "they executed on — in time order (from the event log, through its index). Auditors "
        "only (the audit permission); every such read is recorded."
    )
    async def lineage(self, info: strawberry.Info) -> list[LineageEvent]:
        await info.context.caller.require(
            PlatformPermission.AUDIT, "order.lineage", f"order:{self.order_uuid}"
        )
        await info.context.read_after(self.written_at, "orders")
        return await info.context.lineage(self.order_uuid)


@strawberry.type(
    description="One step of an order's lineage: an event that led to the order or that it "
    "led to, as the event log holds it."
)
class LineageEvent:
    context: str = strawberry.field(description="The store that recorded it.")
    position: StorePosition
    type: str
    role: str = strawberry.field(
        description="order (the order's own events), cause (what led to it), execution (the "
        "bar a fill executed on), model (the training of the model a prediction used)."
    )
    event_id: strawberry.ID
    causation_id: strawberry.ID | None
    ts_event: Nanoseconds
    actor: str
    payload: JSON

    @strawberry.field
    def ts_event_iso(self) -> UtcTimestamp:
        return UtcTimestamp(self.ts_event)


@strawberry.type(description="Where a page stands in the whole list (Relay cursor connections).")
class PageInfo:
    start_cursor: str | None = strawberry.field(description="Cursor of the first edge.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last edge.")
    has_next: strawberry.Private[Callable[[], Awaitable[bool]]]
    has_previous: strawberry.Private[Callable[[], Awaitable[bool]]]

    @strawberry.field(description="More rows follow the last edge in the list's order.")
    async def has_next_page(self) -> bool:
        return await self.has_next()

    @strawberry.field(description="Rows precede the first edge in the list's order.")
    async def has_previous_page(self) -> bool:
        return await self.has_previous()


@strawberry.type
class OrderEdge:
    cursor: str = strawberry.field(description="Opaque; pass as `after` or `before`.")
    node: Order


@strawberry.type(description="A page of orders in the requested order.")
class OrderConnection:
    edges: list[OrderEdge]
    page_info: PageInfo
    count: strawberry.Private[Any]

    @strawberry.field(description="Orders matching the filters, on every page.")
    async def total_count(self) -> int:
        return int(await self.count())


@strawberry.type
class FillEdge:
    cursor: str = strawberry.field(description="Opaque; pass as `after` or `before`.")
    node: Fill


@strawberry.type(description="A page of fills in the requested order.")
class FillConnection:
    edges: list[FillEdge]
    page_info: PageInfo
    count: strawberry.Private[Any]

    @strawberry.field(description="Fills matching the filters, on every page.")
    async def total_count(self) -> int:
        return int(await self.count())


@strawberry.type(description="A candle: the bars of one instrument within one interval.")
class Candle:
    instrument_id: str
    ts_start: Nanoseconds = strawberry.field(description="Start of the interval.")
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    bars: int = strawberry.field(description="One-minute bars in the candle.")

    @strawberry.field
    def ts_start_iso(self) -> UtcTimestamp:
        return UtcTimestamp(self.ts_start)


@strawberry.type(description="A one-minute bar as it closed (the bars subscription).")
class BarUpdate:
    cursor: str = strawberry.field(description="Resume the subscription after this bar.")
    instrument_id: str
    ts_end: Nanoseconds
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal

    @strawberry.field
    def ts_end_iso(self) -> UtcTimestamp:
        return UtcTimestamp(self.ts_end)


@strawberry.type(description="Account equity at the end of an interval (last bar close in it).")
class EquityPoint:
    ts: Nanoseconds
    equity: Decimal
    gross_exposure: Decimal = strawberry.field(description="Sum of |position value|.")

    @strawberry.field
    def ts_iso(self) -> UtcTimestamp:
        return UtcTimestamp(self.ts)


@strawberry.type(
    description="KPIs of an account over a time range, from its equity curve (one point per "
    "one-minute bar close) and its round trips. Null means undefined (too few points, no "
    "losses…), never zero. Fractions: 0.1 is 10 %."
)
class Performance:
    account_id: str
    ts_from: Nanoseconds | None
    ts_to: Nanoseconds | None
    periods: int
    start_equity: Decimal
    end_equity: Decimal
    total_return: float
    annualised_volatility: float | None
    sharpe_ratio: float | None
    sortino_ratio: float | None
    max_drawdown: float
    trade_count: int
    win_rate: float | None
    profit_factor: float | None = strawberry.field(
        description="Gross wins / gross losses; null without losses (infinite)."
    )
    net_profit: Decimal
    fills: int


@strawberry.type(description="A bar ingestion refused, with the reason and the raw row kept.")
class QuarantinedBar:
    source: str
    line: int
    instrument_id: str | None
    ts_event: Nanoseconds | None
    reason: str
    raw: JSON
    position: StorePosition


@strawberry.type
class QuarantineEdge:
    cursor: str
    node: QuarantinedBar


@strawberry.type(description="A page of quarantined bars, newest first.")
class QuarantineConnection:
    edges: list[QuarantineEdge]
    page_info: PageInfo


@strawberry.type(description="An event a consumer could not apply, stepped over and kept.")
class DeadLetter:
    dead_letter_id: int
    consumer: str
    upstream: str
    upstream_position: StorePosition | None
    reason: str
    ts_recorded: Nanoseconds

    @strawberry.field
    def ts_recorded_iso(self) -> UtcTimestamp:
        return UtcTimestamp(self.ts_recorded)


@strawberry.type
class DeadLetterEdge:
    cursor: str
    node: DeadLetter


@strawberry.type(description="A page of dead letters, newest first.")
class DeadLetterConnection:
    edges: list[DeadLetterEdge]
    page_info: PageInfo


@strawberry.type(
    description="A model's probabilities of a move down, within the neutral band, or up over "
    "`horizon` bars (they sum to 1)."
)
class HorizonForecast:
    horizon: int
    down: float
    neutral: float
    up: float


@strawberry.type(description="A model's probability that the instrument's price goes up.")
class Prediction:
    instrument_id: str
    ts_event: Nanoseconds
    probability_up: float = strawberry.field(
        description="In [0, 1]; a probability, not money: P(up) + P(neutral) / 2 of the first "
        "horizon."
    )
    model_version: str = strawberry.field(
        description="The registry's model id (`<family>-<sha256 prefix>`; see `model(id)`)."
    )
    registry_version: int = strawberry.field(
        description="The model's version within its family in the registry."
    )
    feature_hash: str = strawberry.field(
        description="The hash of the feature vector the model read: `features` has the row "
        "('' for predictions made before feature set fs-2)."
    )
    forecasts: list[HorizonForecast] = strawberry.field(
        description="Down/neutral/up for every horizon of the model."
    )

    @strawberry.field
    def ts_event_iso(self) -> UtcTimestamp:
        return UtcTimestamp(self.ts_event)


@strawberry.type(description="An order that changed (the orderUpdates subscription).")
class OrderUpdate:
    cursor: str = strawberry.field(description="Resume the subscription after this change.")
    order: Order


@strawberry.input(description="A manual order. Quantities and prices are Decimal strings.")
class PlaceOrderInput:
    account_id: str
    instrument_id: str
    side: OrderSide
    quantity: Decimal = strawberry.field(
        description="Strictly positive, a whole multiple of the instrument's lot size."
    )
    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = strawberry.field(
        default=None,
        description="Required (> 0, on the instrument's tick) for LIMIT, STOP_LIMIT and "
        "LIMIT_IF_TOUCHED orders; absent for the others.",
    )
    time_in_force: TimeInForce = TimeInForce.GTC
    expire_at: Nanoseconds | None = strawberry.field(
        default=None,
        description="Required for GTD (UTC ns, after now); absent for every other time in "
        "force (a DAY order expires at the session close).",
    )
    stop_price: Decimal | None = strawberry.field(
        default=None,
        description="Required (> 0, on the tick) for STOP, STOP_LIMIT, MARKET_IF_TOUCHED and "
        "LIMIT_IF_TOUCHED orders; absent for the others.",
    )
    trail_amount: Decimal | None = strawberry.field(
        default=None,
        description="TRAILING_STOP: the trail as a price distance (> 0, on the tick). Give "
        "it or `trailPercent`, not both.",
    )
    trail_percent: Decimal | None = strawberry.field(
        default=None,
        description="TRAILING_STOP: the trail as a percentage of the best price (0 < p < 100).",
    )
    post_only: bool = strawberry.field(
        default=False,
        description="LIMIT orders only, not IOC/FOK: refused if marketable on arrival; every "
        "fill is a maker fill.",
    )
    reduce_only: bool = strawberry.field(
        default=False,
        description="Refused (REJECTED) if it would increase or flip the position; at each "
        "fill capped to the position then, and cancelled once the position is gone.",
    )


@strawberry.type(
    description="What the execution context recorded for the command. A rejected order is "
    "recorded too: `order.status` is REJECTED, and the response also carries a REJECTED error."
)
class PlaceOrderPayload:
    order_id: strawberry.ID
    order: Order | None = strawberry.field(
        description="The order as the execution context recorded it (null only when a field "
        "read from the read model, `events` or `fills`, failed: the order was still recorded)."
    )
    position: StorePosition = strawberry.field(
        description="Execution position of the last event written: pass it as `minPosition` "
        "to read your write from the read models."
    )


@strawberry.type(
    description="What the execution context recorded for a contingent placement (OCO group, "
    "OTO order, bracket), in one append: every member, in the order the mutation names them. "
    "A rejected member is recorded too, and also reported as a REJECTED error."
)
class ContingentOrdersPayload:
    order_ids: list[strawberry.ID]
    orders: list[Order] = strawberry.field(
        description="Each member as the execution context recorded it: an OTO's children and "
        "a bracket's exits are HELD until their parent (the entry) is filled."
    )
    position: StorePosition = strawberry.field(
        description="Execution position of the last event written: pass it as `minPosition`."
    )


@strawberry.input(
    description="New terms for a working order; an absent field is unchanged. `quantity` is the "
    "order's new total (fills included): above what is filled, a whole number of lots."
)
class AmendOrderInput:
    order_id: strawberry.ID
    quantity: Decimal | None = None
    limit_price: Decimal | None = strawberry.field(
        default=None, description="For LIMIT, STOP_LIMIT and LIMIT_IF_TOUCHED orders."
    )
    stop_price: Decimal | None = strawberry.field(
        default=None, description="For a stop-priced order not yet triggered."
    )


@strawberry.type(
    description="What the execution context recorded for the amendment: acknowledged "
    "(`amended`), or refused by a control — recorded too, the order working on unchanged, "
    "and also reported as a REJECTED error naming the control."
)
class AmendOrderPayload:
    order_id: strawberry.ID
    amended: bool
    order: Order | None = strawberry.field(
        description="The order as the execution context recorded it (null only as for placeOrder)."
    )
    position: StorePosition = strawberry.field(
        description="Execution position of the amendment or its refusal: pass it as `minPosition`."
    )


@strawberry.type(description="What the execution context recorded for the cancellation.")
class CancelOrderPayload:
    order_id: strawberry.ID
    order: Order | None = strawberry.field(
        description="The order as the execution context recorded it (null only as for placeOrder)."
    )
    position: StorePosition = strawberry.field(
        description="Execution position of the cancellation: pass it as `minPosition`."
    )


def _breaches(raw: Any) -> list[ControlBreach]:
    return [
        ControlBreach(
            control=b["control"] if isinstance(b, dict) else b.control,
            limit=_decimal(b["limit"] if isinstance(b, dict) else b.limit),
            value=_decimal(b["value"] if isinstance(b, dict) else b.value),
            scope=b.get("scope") if isinstance(b, dict) else b.scope,
        )
        for b in raw or ()
    ]


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def _id(value: Any) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


def order_from_row(row: Any) -> Order:
    """Map an ``rm_orders`` record onto :class:`Order`."""
    order_id = row["order_id"]
    return Order(
        id=strawberry.ID(global_id("Order", order_id)),
        order_id=strawberry.ID(str(order_id)),
        account_id=row["account_id"],
        instrument_id=row["instrument_id"],
        side=OrderSide(row["side"]),
        order_type=OrderType(row["order_type"]),
        quantity=decimals.quantity(row["quantity"]),  # type: ignore[arg-type]
        limit_price=decimals.price(row["limit_price"]),
        stop_price=decimals.price(row["stop_price"]),
        trail_amount=decimals.price(row["trail_amount"]),
        trail_percent=_decimal(row["trail_percent"]),
        trigger_price=decimals.price(row["trigger_price"]),
        post_only=row["post_only"],
        reduce_only=row["reduce_only"],
        time_in_force=TimeInForce(row["time_in_force"]),
        expire_at=None if row["expire_at"] is None else Nanoseconds(row["expire_at"]),
        status=OrderStatus(row["status"]),
        oco_group=_id(row["oco_group"]),
        parent_order_id=_id(row["parent_order_id"]),
        ts_activated=None if row["ts_activated"] is None else Nanoseconds(row["ts_activated"]),
        pending_request=row["pending_request"],
        filled_quantity=decimals.quantity(row["filled_quantity"]),  # type: ignore[arg-type]
        average_fill_price=decimals.average_price(row["average_fill_price"]),
        reject_reason=row["reject_reason"],
        breaches=_breaches(row["breaches"]),
        origin=OrderOrigin(row["origin"]),
        decision_id=None if row["decision_id"] is None else strawberry.ID(str(row["decision_id"])),
        algo_id=row["algo_id"],
        actor=row["actor"],
        ts_submitted=Nanoseconds(row["ts_submitted"]),
        ts_updated=Nanoseconds(row["ts_updated"]),
        version=row["version"],
        position=StorePosition(row["seq"]),
        updated_position=StorePosition(row["updated_seq"]),
        order_uuid=order_id,
    )


def order_from_record(record: RecordedOrder, *, position: int) -> Order:
    """The order as a command recorded it; ``position``: the command's last event."""
    return Order(
        id=strawberry.ID(global_id("Order", record.order_id)),
        order_id=strawberry.ID(str(record.order_id)),
        account_id=record.account_id,
        instrument_id=record.instrument_id,
        side=OrderSide(record.side),
        order_type=OrderType(record.order_type),
        quantity=decimals.quantity(record.quantity),  # type: ignore[arg-type]
        limit_price=decimals.price(record.limit_price),
        stop_price=decimals.price(record.stop_price),
        trail_amount=decimals.price(record.trail_amount),
        trail_percent=record.trail_percent,
        trigger_price=decimals.price(record.trigger_price),
        post_only=record.post_only,
        reduce_only=record.reduce_only,
        time_in_force=TimeInForce(record.time_in_force),
        expire_at=None if record.expire_at is None else Nanoseconds(record.expire_at),
        status=OrderStatus(record.status),
        oco_group=_id(record.oco_group),
        parent_order_id=_id(record.parent_order_id),
        ts_activated=None if record.ts_activated is None else Nanoseconds(record.ts_activated),
        pending_request=record.pending_request,
        filled_quantity=decimals.quantity(record.filled_quantity),  # type: ignore[arg-type]
        average_fill_price=decimals.average_price(record.average_fill_price),
        reject_reason=record.reject_reason,
        breaches=_breaches(record.breaches),
        origin=OrderOrigin(record.origin),
        decision_id=None if record.decision_id is None else strawberry.ID(str(record.decision_id)),
        algo_id=record.algo_id,
        actor=record.actor,
        ts_submitted=Nanoseconds(record.ts_submitted),
        ts_updated=Nanoseconds(record.ts_updated),
        version=record.version,
        position=StorePosition(record.submitted_position),
        updated_position=StorePosition(position),
        order_uuid=record.order_id,
        written_at=position,
    )


def fill_from_row(row: Any) -> Fill:
    return Fill(
        id=strawberry.ID(global_id("Fill", row["order_id"], row["fill_seq"])),
        order_id=strawberry.ID(str(row["order_id"])),
        fill_seq=row["fill_seq"],
        account_id=row["account_id"],
        instrument_id=row["instrument_id"],
        side=OrderSide(row["side"]),
        quantity=decimals.quantity(row["quantity"]),  # type: ignore[arg-type]
        price=decimals.price(row["price"]),  # type: ignore[arg-type]
        fee=decimals.money(row["fee"]),  # type: ignore[arg-type]
        ts_event=Nanoseconds(row["ts_event"]),
        position=StorePosition(row["seq"]),
        corrected_position=(
            None if row["corrected_seq"] is None else StorePosition(row["corrected_seq"])
        ),
    )


@strawberry.enum(description="How urgent a notification is.")
class NotificationSeverity(Enum):
    INFO = "INFO"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"


@strawberry.enum(description="Where a notification is delivered.")
class NotificationChannel(Enum):
    IN_APP = "in_app"
    WEBHOOK = "webhook"
    EMAIL = "email"


@strawberry.type(
    description="A notice for the signed-in user: a fill, a rejected order, a drawdown "
    "through a level, or (for operators) a dead letter or a failing component."
)
class Notification:
    notification_id: strawberry.ID
    rule: str = strawberry.field(
        description="fill, order_rejected, drawdown, kill_switch, reconciliation_break, "
        "dead_letter or component_failing."
    )
    account_id: str | None = strawberry.field(description="Null for operational notices.")
    severity: NotificationSeverity
    title: str
    body: str
    details: JSON = strawberry.field(description="The figures behind the notice, as text.")
    ts_event: Nanoseconds = strawberry.field(description="When its cause happened (UTC ns).")
    read: bool
    ts_read: Nanoseconds | None
    position: StorePosition = strawberry.field(
        description="Support-store position of the request; the cursor of `alerts`."
    )

    @strawberry.field(description="`tsEvent` as ISO-8601 UTC.")
    def ts_event_iso(self) -> UtcTimestamp:
        return UtcTimestamp(self.ts_event)


@strawberry.type
class NotificationEdge:
    cursor: str = strawberry.field(description="Opaque; pass as `after` or `before`.")
    node: Notification


@strawberry.type(description="A page of the signed-in user's notifications.")
class NotificationConnection:
    edges: list[NotificationEdge]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="Notifications matching the filter, in all pages.")
    async def total_count(self) -> int:
        return await self.count()


@strawberry.type(description="One preference in force (the defaults: in-app on, the rest off).")
class NotificationPreference:
    rule: str = strawberry.field(description="A rule, or `*` for every rule.")
    channel: NotificationChannel
    enabled: bool
    webhook_url: str | None
    secret_ref: str | None = strawberry.field(
        description="Where the webhook's signing secret is found (env:NAME), never the secret."
    )
    email: str | None


@strawberry.input(description="Turn a channel on or off for a rule (or `*`: every rule).")
class NotificationPreferenceInput:
    rule: str
    channel: NotificationChannel
    enabled: bool
    webhook_url: str | None = None
    secret_ref: str | None = None
    email: str | None = None
    user_id: str | None = strawberry.field(
        default=None,
        description="Whose preference (administrators only); yourself when left out.",
    )


@strawberry.type
class MarkNotificationReadPayload:
    notification_id: strawberry.ID
    changed: bool = strawberry.field(description="False when it was already read.")


@strawberry.type
class SetNotificationPreferencePayload:
    user_id: str
    changed: bool = strawberry.field(description="False when that preference was in force.")
    preferences: list[NotificationPreference] = strawberry.field(
        description="Every explicit preference of the user after the change."
    )
