"""``orders`` (keyset-paginated), ``order`` and the batch loaders for an order's children.

Pages follow the ``rm_orders_by_account (account_id, ts_submitted, order_id)`` index, oldest
submission first, ties broken by order id, so the walk is total and stable: every order is
seen exactly once however the pages are cut.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar
from uuid import UUID

import asyncpg
import strawberry
from strawberry.dataloader import DataLoader

from gateway.cursors import OrderCursor
from gateway.scalars import Nanoseconds
from gateway.types import (
    Fill,
    Order,
    OrderConnection,
    OrderEdge,
    OrderEvent,
    OrderSide,
    OrderStatus,
    PageInfo,
    order_from_row,
)

_T = TypeVar("_T")

_ORDER_COLUMNS = """order_id, account_id, instrument_id, side, order_type, quantity, limit_price,
       status, filled_quantity, average_fill_price, reject_reason, origin, decision_id,
       ts_submitted, ts_updated, version"""

# $2/$3: NULL means "no filter"; $4/$5: NULL means "from the start". One statement for every
# combination keeps a single cached plan; the planner folds the constant NULL tests away.
_ORDERS_PAGE_SQL = f"""
SELECT {_ORDER_COLUMNS}
  FROM rm_orders
 WHERE account_id = $1
   AND ($2::text[] IS NULL OR status = ANY($2::text[]))
   AND ($3::text IS NULL OR instrument_id = $3::text)
   AND ($4::bigint IS NULL OR (ts_submitted, order_id) > ($4::bigint, $5::uuid))
 ORDER BY ts_submitted, order_id
 LIMIT $6
"""

_ORDER_SQL = f"SELECT {_ORDER_COLUMNS} FROM rm_orders WHERE order_id = $1"

_ORDERS_BY_ID_SQL = f"SELECT {_ORDER_COLUMNS} FROM rm_orders WHERE order_id = ANY($1::uuid[])"

_EVENTS_SQL = """
SELECT order_id, version, event_type, ts_event, payload
  FROM rm_order_events
 WHERE order_id = ANY($1::uuid[])
 ORDER BY order_id, version
"""

_FILLS_SQL = """
SELECT order_id, fill_seq, account_id, instrument_id, side, quantity, price, fee, ts_event
  FROM rm_fills
 WHERE order_id = ANY($1::uuid[])
 ORDER BY order_id, fill_seq
"""


async def fetch_order_page(
    pool: asyncpg.Pool,
    *,
    account_id: str,
    statuses: Sequence[OrderStatus] | None,
    instrument_id: str | None,
    first: int,
    after: OrderCursor | None,
) -> OrderConnection:
    """Up to ``first`` orders after ``after``; reads one extra row to learn if more follow."""
    rows = await pool.fetch(
        _ORDERS_PAGE_SQL,
        account_id,
        None if statuses is None else [status.value for status in statuses],
        instrument_id,
        None if after is None else after.ts_submitted,
        None if after is None else after.order_id,
        first + 1,
    )
    page = rows[:first]
    edges = [
        OrderEdge(
            cursor=OrderCursor(row["ts_submitted"], row["order_id"]).encode(),
            node=order_from_row(row),
        )
        for row in page
    ]
    return OrderConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > first,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


async def fetch_order(pool: asyncpg.Pool | asyncpg.Connection, order_id: UUID) -> Order | None:
    row = await pool.fetchrow(_ORDER_SQL, order_id)
    return None if row is None else order_from_row(row)


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
        payload=row["payload"],
    )


def _fill(row: asyncpg.Record) -> Fill:
    return Fill(
        order_id=strawberry.ID(str(row["order_id"])),
        fill_seq=row["fill_seq"],
        account_id=row["account_id"],
        instrument_id=row["instrument_id"],
        side=OrderSide(row["side"]),
        quantity=row["quantity"],
        price=row["price"],
        fee=row["fee"],
        ts_event=Nanoseconds(row["ts_event"]),
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
        return _group_by_order(keys, rows, _fill)

    return DataLoader(load_fn=load)
