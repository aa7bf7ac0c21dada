"""Subscriptions: committed read-model changes, pushed as they happen, resumable.

Each subscription reads the rows a projection committed past its cursor (the ``seq`` of a
fill or a bar, the ``updated_seq`` of an order), yields them in order, and then waits for the
next projection commit (:class:`~gateway.progress.ProjectionProgress`, fed by ``NOTIFY``) —
never more often than :data:`MIN_INTERVAL_S`, and re-reading at least every
:data:`RECHECK_S` in case a notification was missed. Every item carries a ``cursor``: a client
that reconnects passes the last one as ``after`` and misses nothing. Without ``after`` a
subscription starts at the current end (only what changes from now on).

``orderUpdates`` sends an order's state as of the read (several changes between two reads
arrive as one update with the latest state); ``portfolio`` sends the account's portfolio
first and then whenever it changes (fills, or new prices marking its positions).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

import asyncpg

from gateway import decimals
from gateway.context import GatewayContext
from gateway.ids import cursor_for
from gateway.resolvers.orders import FILL_COLUMNS, ORDER_COLUMNS
from gateway.resolvers.portfolio import fetch_portfolio
from gateway.scalars import Nanoseconds
from gateway.types import (
    BarUpdate,
    FillEdge,
    OrderUpdate,
    Portfolio,
    fill_from_row,
    order_from_row,
)

MIN_INTERVAL_S = 0.05
RECHECK_S = 1.0
BATCH = 500


Recheck = Callable[[], Awaitable[None]]


async def _next_change(
    context: GatewayContext, event: asyncio.Event, recheck: Recheck | None = None
) -> None:
    """Wait for the next projection commit; then make sure the caller still may listen: a
    credential that expired ends the subscription (``UNAUTHENTICATED``), and an access that
    was revoked ends it within the decision cache's lifetime (``FORBIDDEN``)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), RECHECK_S)
    await asyncio.sleep(MIN_INTERVAL_S)
    context.caller.ensure_current()
    if recheck is not None:
        await recheck()


async def follow(
    context: GatewayContext,
    *,
    head_sql: str,
    rows_sql: str,
    key: Any,
    after: int | None,
    position_of: Callable[[asyncpg.Record], int],
    recheck: Recheck | None = None,
) -> AsyncGenerator[asyncpg.Record, None]:
    """Rows past ``after`` (or past the current end), in order, until the caller may no
    longer see them (``recheck``, and the credential's expiry)."""
    pool = context.pool
    cursor = after if after is not None else int(await pool.fetchval(head_sql, key) or 0)
    while True:
        changed = context.progress.changed()  # taken before the read: no change slips between
        rows = await pool.fetch(rows_sql, key, cursor, BATCH)
        for row in rows:
            cursor = position_of(row)
            yield row
        if len(rows) < BATCH:
            await _next_change(context, changed, recheck)


async def order_updates(
    context: GatewayContext, account_id: str, after: int | None, recheck: Recheck
) -> AsyncGenerator[OrderUpdate, None]:
    async for row in follow(
        context,
        head_sql="SELECT max(updated_seq) FROM rm_orders WHERE account_id = $1",
        rows_sql=f"SELECT {ORDER_COLUMNS} FROM rm_orders WHERE account_id = $1 "
        "AND updated_seq > $2 ORDER BY updated_seq LIMIT $3",
        key=account_id,
        after=after,
        position_of=lambda row: row["updated_seq"],
        recheck=recheck,
    ):
        yield OrderUpdate(cursor=cursor_for(row["updated_seq"]), order=order_from_row(row))


async def fills(
    context: GatewayContext, account_id: str, after: int | None, recheck: Recheck
) -> AsyncGenerator[FillEdge, None]:
    async for row in follow(
        context,
        head_sql="SELECT max(seq) FROM rm_fills WHERE account_id = $1",
        rows_sql=f"SELECT {FILL_COLUMNS} FROM rm_fills WHERE account_id = $1 AND seq > $2 "
        "ORDER BY seq LIMIT $3",
        key=account_id,
        after=after,
        position_of=lambda row: row["seq"],
        recheck=recheck,
    ):
        yield FillEdge(cursor=cursor_for(row["seq"]), node=fill_from_row(row))


async def bars(
    context: GatewayContext, instrument_id: str, after: int | None
) -> AsyncGenerator[BarUpdate, None]:
    async for row in follow(
        context,
        head_sql="SELECT max(seq) FROM rm_bars WHERE instrument_id = $1",
        rows_sql="SELECT instrument_id, ts_event, open, high, low, close, volume, seq "
        "FROM rm_bars WHERE instrument_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        key=instrument_id,
        after=after,
        position_of=lambda row: row["seq"],
    ):
        yield BarUpdate(
            cursor=cursor_for(row["seq"]),
            instrument_id=row["instrument_id"],
            ts_end=Nanoseconds(row["ts_event"]),
            open=decimals.price(row["open"]),  # type: ignore[arg-type]
            high=decimals.price(row["high"]),  # type: ignore[arg-type]
            low=decimals.price(row["low"]),  # type: ignore[arg-type]
            close=decimals.price(row["close"]),  # type: ignore[arg-type]
            volume=decimals.quantity(row["volume"]),  # type: ignore[arg-type]
        )


def _fingerprint(portfolio: Portfolio) -> tuple[Any, ...]:
    return (
        portfolio.cash,
        portfolio.equity,
        portfolio.realised_pnl,
        portfolio.unrealised_pnl,
        portfolio.position,
        tuple((p.instrument_id, p.quantity, p.last_price) for p in portfolio.positions),
    )


async def portfolio(
    context: GatewayContext, account_id: str, recheck: Recheck
) -> AsyncGenerator[Portfolio | None, None]:
    """The portfolio now, then each time it differs (null while the account is unknown)."""
    last: tuple[Any, ...] | None = None
    first = True
    while True:
        changed = context.progress.changed()
        current = await fetch_portfolio(context.pool, account_id)
        fingerprint = None if current is None else _fingerprint(current)
        if first or fingerprint != last:
            first, last = False, fingerprint
            yield current
        await _next_change(context, changed, recheck)
