"""Events of the execution context (stream ``orders``): the order lifecycle and the account
ledger. Together they are the firm-side order record (Reg. 2017/565 Annex IV)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal
from uuid import UUID

from events.domain import DomainEvent

Side = Literal["BUY", "SELL"]
OrderType = Literal["MARKET", "LIMIT"]
Origin = Literal["STRATEGY", "MANUAL"]


@dataclass(frozen=True)
class _ExecutionEvent(DomainEvent):
    CONTEXT = "execution"
    STREAM = "orders"


@dataclass(frozen=True)
class OrderSubmitted(_ExecutionEvent):
    """An order was received (ISO 20022 NEWO). ``decision_id`` links a strategy order to the
    TradeDecided event behind it; ``algo_id`` is the investment-decision algorithm. A GTD order
    expires unfilled at the first bar starting at or after ``expire_at`` (UTC ns)."""

    order_id: UUID
    account_id: str
    instrument_id: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    limit_price: Decimal | None
    time_in_force: Literal["GTC", "GTD"]
    expire_at: int | None
    origin: Origin
    decision_id: UUID | None
    algo_id: str | None


@dataclass(frozen=True)
class OrderAccepted(_ExecutionEvent):
    """Pre-trade controls passed; the order rests at the venue."""

    order_id: UUID


@dataclass(frozen=True)
class ControlBreach:
    """One pre-trade control an order broke (RTS 6 Art. 15): the control's name, its limit and
    the order's value that broke it (both null for a control without a number, e.g. no market
    price known to check against). Controls: ``max_order_quantity``, ``max_order_notional``,
    ``max_position_notional``, ``short_selling`` (limit 0: the lowest position allowed),
    ``cash`` (limit: the cash; value: this order's notional plus the open buys'),
    ``reference_price``."""

    control: str
    limit: Decimal | None
    value: Decimal | None


@dataclass(frozen=True)
class OrderRejected(_ExecutionEvent):
    """Pre-trade controls refused the order (ISO 20022 REMO); the reason says which.

    Version 2 added ``breaches``: every control broken, with its limit and the value that broke
    it, so that a regulator's trail and a client's error name them without parsing ``reason``.
    Version-1 rejections are upcast with no breaches (their ``reason`` still names them)."""

    SCHEMA_VERSION = 2

    order_id: UUID
    reason: str
    breaches: tuple[ControlBreach, ...] = ()


def _order_rejected_v1_to_v2(payload: dict) -> dict:  # type: ignore[type-arg]
    return {**payload, "breaches": []}


OrderRejected.UPCASTERS = {1: _order_rejected_v1_to_v2}


@dataclass(frozen=True)
class OrderFilled(_ExecutionEvent):
    """A fill (PARF or FILL): this fill's quantity and price, and the order's totals after it."""

    order_id: UUID
    fill_seq: int
    quantity: Decimal
    price: Decimal
    fee: Decimal
    filled_quantity: Decimal
    remaining_quantity: Decimal
    average_price: Decimal


@dataclass(frozen=True)
class OrderCancelled(_ExecutionEvent):
    """The order's remaining quantity was cancelled (CAME); the reason says by whom/why."""

    order_id: UUID
    reason: str
    remaining_quantity: Decimal


@dataclass(frozen=True)
class AccountOpened(_ExecutionEvent):
    """A trading account with its starting cash in its base currency."""

    account_id: str
    currency: str
    initial_cash: Decimal


@dataclass(frozen=True)
class FillBooked(_ExecutionEvent):
    """A fill booked to the account: cash and position after it (signed quantity)."""

    account_id: str
    order_id: UUID
    instrument_id: str
    side: Side
    quantity: Decimal
    price: Decimal
    fee: Decimal
    cash_after: Decimal
    position_after: Decimal
