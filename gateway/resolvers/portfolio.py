"""``portfolio`` and ``positions``: the account read models marked to the latest bar closes.

All arithmetic runs in PostgreSQL on NUMERIC, which is exact at any scale; doing it in Python
would round at the decimal context's 28 significant digits. A position whose instrument has
no price yet has null market value and unrealised P&L, and then the portfolio's equity and
unrealised P&L are null too: an unpriced position is reported as unknown, never valued at a
guess. Flat positions (quantity 0) still list their realised P&L but add nothing to equity.
"""

from __future__ import annotations

import asyncpg

from gateway.types import Portfolio, Position

_POSITIONS_SQL = """
SELECT p.account_id, p.instrument_id, p.quantity, p.average_price, p.realised_pnl,
       i.last_price,
       p.quantity * i.last_price                     AS market_value,
       p.quantity * (i.last_price - p.average_price) AS unrealised_pnl
  FROM rm_positions p
  LEFT JOIN rm_instruments i ON i.instrument_id = p.instrument_id
 WHERE p.account_id = $1
 ORDER BY p.instrument_id
"""

_PORTFOLIO_SQL = """
WITH open_positions AS (
    SELECT p.quantity * i.last_price                     AS market_value,
           p.quantity * (i.last_price - p.average_price) AS unrealised_pnl
      FROM rm_positions p
      LEFT JOIN rm_instruments i ON i.instrument_id = p.instrument_id
     WHERE p.account_id = $1 AND p.quantity <> 0
)
SELECT f.account_id, f.base_currency, f.cash, f.initial_cash, f.fees_paid, f.realised_pnl,
       (SELECT CASE WHEN bool_or(o.market_value IS NULL) THEN NULL
                    ELSE f.cash + COALESCE(sum(o.market_value), 0) END
          FROM open_positions o)                                  AS equity,
       (SELECT CASE WHEN bool_or(o.unrealised_pnl IS NULL) THEN NULL
                    ELSE COALESCE(sum(o.unrealised_pnl), 0) END
          FROM open_positions o)                                  AS unrealised_pnl
  FROM rm_portfolio f
 WHERE f.account_id = $1
"""


def _position(row: asyncpg.Record) -> Position:
    return Position(
        account_id=row["account_id"],
        instrument_id=row["instrument_id"],
        quantity=row["quantity"],
        average_price=row["average_price"],
        realised_pnl=row["realised_pnl"],
        last_price=row["last_price"],
        market_value=row["market_value"],
        unrealised_pnl=row["unrealised_pnl"],
    )


async def fetch_positions(pool: asyncpg.Pool, account_id: str) -> list[Position]:
    """Every position row of the account, flat ones included, by instrument id."""
    rows = await pool.fetch(_POSITIONS_SQL, account_id)
    return [_position(row) for row in rows]


async def fetch_portfolio(pool: asyncpg.Pool, account_id: str) -> Portfolio | None:
    """The account's portfolio, or ``None`` if the account has none."""
    async with (
        pool.acquire() as connection,
        connection.transaction(isolation="repeatable_read", readonly=True),
    ):
        # One snapshot for both reads, so equity and the positions list agree.
        summary = await connection.fetchrow(_PORTFOLIO_SQL, account_id)
        if summary is None:
            return None
        positions = [_position(row) for row in await connection.fetch(_POSITIONS_SQL, account_id)]
    return Portfolio(
        account_id=summary["account_id"],
        base_currency=summary["base_currency"],
        cash=summary["cash"],
        initial_cash=summary["initial_cash"],
        fees_paid=summary["fees_paid"],
        realised_pnl=summary["realised_pnl"],
        equity=summary["equity"],
        unrealised_pnl=summary["unrealised_pnl"],
        positions=positions,
    )
