"""``orders`` and ``fills`` (Relay connections over the execution positions), ``order``, and the
batch loaders for an order's children.

Filters become ``WHERE`` conditions only when given, so each combination is its own small
statement the planner sees plainly; pages follow the ``(account_id, seq)`` indexes (see
:mod:`gateway.resolvers.pages`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID

import asyncpg
import strawberry
from strawberry.dataloader import DataLoader

from gateway.resolvers.pages import Filter, PageRequest, edges_of, fetch_page
from gateway.scalars import Nanoseconds, StorePosition
from gateway.types import (
    Fill,
    FillConnection,
    FillEdge,
    Order,
    OrderConnection,
    OrderEdge,
    OrderEvent,
    OrderOrigin,
    OrderSide,
    OrderStatus,
    PageInfo,
    fill_from_row,
    order_from_row,
)

_T = TypeVar("_T")

ORDER_COLUMNS = """order_id, account_id, instrument_id, side, order_type, quantity, limit_price,
       stop_price, trail_amount, trail_percent, trigger_price, post_only, reduce_only,
       oco_group, parent_order_id, ts_activated, pending_request,
       status, filled_quantity, average_fill_price, reject_reason, breaches, origin,
       decision_id, algo_id, actor, time_in_force, expire_at, ts_submitted, ts_updated,
       version, seq, updated_seq"""
FILL_COLUMNS = (
    "order_id, fill_seq, account_id, instrument_id, side, quantity, price, fee, ts_event, seq, "
    "corrected_seq"
)

_ORDER_SQL = f"SELECT {ORDER_COLUMNS} FROM rm_orders WHERE order_id = $1"
_ORDERS_BY_ID_SQL = f"SELECT {ORDER_COLUMNS} FROM rm_orders WHERE order_id = ANY($1::uuid[])"
_EVENTS_SQL = """
SELECT order_id, version, event_type, ts_event, payload, seq
  FROM rm_order_events
 WHERE order_id = ANY($1::uuid[])
 ORDER BY order_id, version
"""
_FILLS_SQL = f"""
SELECT {FILL_COLUMNS}
  FROM rm_fills
 WHERE order_id = ANY($1::uuid[])
 ORDER BY order_id, fill_seq
"""


@dataclass(frozen=True)
class OrderFilters:
    account_id: str
    statuses: Sequence[OrderStatus] | None = None
    side: OrderSide | None = None
    instrument_id: str | None = None
    origin: OrderOrigin | None = None
    algo_id: str | None = None
    submitted_from: int | None = None
    submitted_to: int | None = None

    def where(self) -> Filter:
        conditions: list[tuple[str, object]] = [("account_id = {}", self.account_id)]
        if self.statuses is not None:
            conditions.append(("status = ANY({}::text[])", [s.value for s in self.statuses]))
        if self.side is not None:
            conditions.append(("side = {}", self.side.value))
        if self.instrument_id is not None:
            conditions.append(("instrument_id = {}", self.instrument_id))
        if self.origin is not None:
            conditions.append(("origin = {}", self.origin.value))
        if self.algo_id is not None:
            conditions.append(("algo_id = {}", self.algo_id))
        if self.submitted_from is not None:
            conditions.append(("ts_submitted >= {}", self.submitted_from))
        if self.submitted_to is not None:
            conditions.append(("ts_submitted < {}", self.submitted_to))
        return Filter(tuple(conditions))


@dataclass(frozen=True)
class FillFilters:
    account_id: str
    side: OrderSide | None = None
    instrument_id: str | None = None
    order_id: UUID | None = None
    executed_from: int | None = None
    executed_to: int | None = None

    def where(self) -> Filter:
        conditions: list[tuple[str, object]] = [("account_id = {}", self.account_id)]
        if self.side is not None:
            conditions.append(("side = {}", self.side.value))
        if self.instrument_id is not None:
            conditions.append(("instrument_id = {}", self.instrument_id))
        if self.order_id is not None:
            conditions.append(("order_id = {}", self.order_id))
        if self.executed_from is not None:
            conditions.append(("ts_event >= {}", self.executed_from))
        if self.executed_to is not None:
            conditions.append(("ts_event < {}", self.executed_to))
        return Filter(tuple(conditions))


async def fetch_order_page(
    pool: asyncpg.Pool, filters: OrderFilters, request: PageRequest
) -> OrderConnection:
    page = await fetch_page(
        pool, columns=ORDER_COLUMNS, table="rm_orders", where=filters.where(), request=request
    )
    return OrderConnection(
        edges=edges_of(page, order_from_row, OrderEdge),
        page_info=page.page_info,
        count=page.count,
    )


async def fetch_fill_page(
    pool: asyncpg.Pool, filters: FillFilters, request: PageRequest
) -> FillConnection:
    page = await fetch_page(
        pool, columns=FILL_COLUMNS, table="rm_fills", where=filters.where(), request=request
    )
    return FillConnection(
        edges=edges_of(page, fill_from_row, FillEdge),
        page_info=page.page_info,
        count=page.count,
    )


async def fetch_order(pool: asyncpg.Pool | asyncpg.Connection, order_id: UUID) -> Order | None:
    row = await pool.fetchrow(_ORDER_SQL, order_id)
    return None if row is None else order_from_row(row)


async def fetch_fill(pool: asyncpg.Pool, order_id: UUID, fill_seq: int) -> Fill | None:
    row = await pool.fetchrow(
        f"SELECT {FILL_COLUMNS} FROM rm_fills WHERE order_id = $1 AND fill_seq = $2",
        order_id,
        fill_seq,
    )
    return None if row is None else fill_from_row(row)


def _group_by_order(
    keys: Sequence[UUID], rows: Sequence[asyncpg.Record], build: Callable[[asyncpg.Record], _T]
) -> list[list[_T]]:
    """One list per key, in the order of ``keys`` (what a DataLoader must return)."""
    grouped: dict[UUID, list[_T]] = {key: [] for key in keys}
    for row in rows:
        grouped[row["order_id"]].append(build(row))
    return [grouped[key] for key in keys]


def _event(row: asyncpg.Record) -> OrderEvent:
    return OrderEvent(
        order_id=strawberry.ID(str(row["order_id"])),
        version=row["version"],
        type=row["event_type"],
        ts_event=Nanoseconds(row["ts_event"]),
        position=StorePosition(row["seq"]),
        payload=row["payload"],
    )


def orders_loader(pool: asyncpg.Pool) -> DataLoader[UUID, Order | None]:
    """Orders by id in one query; ``None`` for an id the read model does not hold (yet)."""

    async def load(keys: list[UUID]) -> list[Order | None]:
        found = {
            row["order_id"]: order_from_row(row)
            for row in await pool.fetch(_ORDERS_BY_ID_SQL, keys)
        }
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


def order_events_loader(pool: asyncpg.Pool) -> DataLoader[UUID, list[OrderEvent]]:
    """Events of many orders in one query (a page of orders asking for ``events``)."""

    async def load(keys: list[UUID]) -> list[list[OrderEvent]]:
        rows = await pool.fetch(_EVENTS_SQL, keys)
        return _group_by_order(keys, rows, _event)

    return DataLoader(load_fn=load)


def order_fills_loader(pool: asyncpg.Pool) -> DataLoader[UUID, list[Fill]]:
    """Fills of many orders in one query."""

    async def load(keys: list[UUID]) -> list[list[Fill]]:
        rows = await pool.fetch(_FILLS_SQL, keys)
        return _group_by_order(keys, rows, fill_from_row)

    return DataLoader(load_fn=load)


def _nothing() -> PageInfo:
    async def no() -> bool:
        return False

    return PageInfo(start_cursor=None, end_cursor=None, has_next=no, has_previous=no)


async def _zero() -> int:
    return 0


def empty_order_page() -> OrderConnection:
    """What an account the caller may not see looks like: the same as an unknown one."""
    return OrderConnection(edges=[], page_info=_nothing(), count=_zero)


def empty_fill_page() -> FillConnection:
    return FillConnection(edges=[], page_info=_nothing(), count=_zero)
