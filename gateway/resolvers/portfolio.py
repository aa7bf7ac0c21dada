"""``portfolio``, ``positions`` and ``accounts``: the account read models marked to the latest
bar closes; ``equityCurve`` and ``performance``: the account's equity over time and its KPIs.

Marking runs in PostgreSQL on NUMERIC, which is exact at any scale; doing it in Python would
round at the decimal context's 28 significant digits. A position whose instrument has no price
yet has null market value and unrealised P&L, and then the portfolio's equity and unrealised
P&L are null too: an unpriced position is reported as unknown, never valued at a guess. Flat
positions (quantity 0) still list their realised P&L but add nothing to equity.

The equity curve and the KPIs come from the support context's pure functions over the account's
fills and the bars (the same code as the session report), computed on a worker thread.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from decimal import Decimal

import anyio.to_thread
import asyncpg
import strawberry

from bounded_contexts.support.domain.performance import performance_report
from bounded_contexts.support.domain.trading_record import Fill, Mark, equity_curve, round_trips
from gateway import decimals
from gateway.errors import BadUserInput
from gateway.ids import global_id
from gateway.scalars import Nanoseconds, StorePosition
from gateway.types import EquityPoint, Interval, Performance, Portfolio, Position

BARS_PER_YEAR = 252 * 510  # one-minute bars of 08:00-16:30 sessions (as the session report)
MAX_CURVE_BARS = 500_000
"""Most bars one equity curve or KPI request reads: narrow ``from``/``to`` beyond that."""

_POSITIONS_SQL = """
SELECT p.account_id, p.instrument_id, p.quantity, p.average_price, p.realised_pnl,
       i.last_price,
       p.quantity * i.last_price                     AS market_value,
       p.quantity * (i.last_price - p.average_price) AS unrealised_pnl
  FROM rm_positions p
  LEFT JOIN rm_instruments i ON i.instrument_id = p.instrument_id
 WHERE p.account_id = ANY($1::text[])
 ORDER BY p.account_id, p.instrument_id
"""

_PORTFOLIOS_SQL = """
SELECT f.account_id, f.base_currency, f.cash, f.initial_cash, f.fees_paid, f.realised_pnl,
       f.updated_seq, marked.equity, marked.unrealised_pnl
  FROM rm_portfolio f
  CROSS JOIN LATERAL (
      SELECT CASE WHEN bool_or(i.last_price IS NULL) THEN NULL
                  ELSE f.cash + COALESCE(sum(p.quantity * i.last_price), 0) END AS equity,
             CASE WHEN bool_or(i.last_price IS NULL) THEN NULL
                  ELSE COALESCE(sum(p.quantity * (i.last_price - p.average_price)), 0)
             END AS unrealised_pnl
        FROM rm_positions p
        LEFT JOIN rm_instruments i ON i.instrument_id = p.instrument_id
       WHERE p.account_id = f.account_id AND p.quantity <> 0
  ) marked
 WHERE $1::text[] IS NULL OR f.account_id = ANY($1::text[])
 ORDER BY f.account_id
"""


def _position(row: asyncpg.Record) -> Position:
    return Position(
        account_id=row["account_id"],
        instrument_id=row["instrument_id"],
        quantity=decimals.quantity(row["quantity"]),  # type: ignore[arg-type]
        average_price=decimals.average_price(row["average_price"]),  # type: ignore[arg-type]
        realised_pnl=decimals.money(row["realised_pnl"]),  # type: ignore[arg-type]
        last_price=decimals.price(row["last_price"]),
        market_value=decimals.money(row["market_value"]),
        unrealised_pnl=decimals.money(row["unrealised_pnl"]),
    )


def _portfolio(summary: asyncpg.Record, positions: list[Position]) -> Portfolio:
    return Portfolio(
        id=strawberry.ID(global_id("Portfolio", summary["account_id"])),
        account_id=summary["account_id"],
        base_currency=summary["base_currency"],
        cash=decimals.money(summary["cash"]),  # type: ignore[arg-type]
        initial_cash=decimals.money(summary["initial_cash"]),  # type: ignore[arg-type]
        fees_paid=decimals.money(summary["fees_paid"]),  # type: ignore[arg-type]
        realised_pnl=decimals.money(summary["realised_pnl"]),  # type: ignore[arg-type]
        equity=decimals.money(summary["equity"]),
        unrealised_pnl=decimals.money(summary["unrealised_pnl"]),
        position=StorePosition(summary["updated_seq"]),
        positions=positions,
    )


async def fetch_positions(pool: asyncpg.Pool, account_id: str) -> list[Position]:
    """Every position row of the account, flat ones included, by instrument id."""
    rows = await pool.fetch(_POSITIONS_SQL, [account_id])
    return [_position(row) for row in rows]


async def fetch_portfolios(
    pool: asyncpg.Pool, account_ids: Sequence[str] | None
) -> list[Portfolio]:
    """The portfolios of these accounts (every account for ``None``), by account id; one
    snapshot for both reads, so equity and the positions listed agree."""
    async with (
        pool.acquire() as connection,
        connection.transaction(isolation="repeatable_read", readonly=True),
    ):
        summaries = await connection.fetch(_PORTFOLIOS_SQL, account_ids)
        if not summaries:
            return []
        rows = await connection.fetch(_POSITIONS_SQL, [s["account_id"] for s in summaries])
    by_account: dict[str, list[Position]] = {}
    for row in rows:
        by_account.setdefault(row["account_id"], []).append(_position(row))
    return [_portfolio(s, by_account.get(s["account_id"], [])) for s in summaries]


async def fetch_portfolio(pool: asyncpg.Pool, account_id: str) -> Portfolio | None:
    """The account's portfolio, or ``None`` if the account has none."""
    found = await fetch_portfolios(pool, [account_id])
    return found[0] if found else None


# -- equity curve and KPIs --------------------------------------------------------------------

_INITIAL_CASH_SQL = "SELECT initial_cash FROM rm_portfolio WHERE account_id = $1"
_FILLS_SQL = """
SELECT ts_event, instrument_id, side, quantity, price, fee FROM rm_fills
 WHERE account_id = $1 AND ($2::bigint IS NULL OR ts_event < $2)
 ORDER BY ts_event, order_id, fill_seq
"""
# Every bar up to `to` is needed to mark positions; the curve is then cut to [from, to).
_MARKS_SQL = """
SELECT ts_event, instrument_id, close FROM rm_bars
 WHERE ($1::bigint IS NULL OR ts_event < $1)
 ORDER BY ts_event, instrument_id
 LIMIT $2
"""


async def _trading_record(
    pool: asyncpg.Pool, account_id: str, ts_to: int | None
) -> tuple[Decimal, list[Fill], list[Mark]] | None:
    async with (
        pool.acquire() as connection,
        connection.transaction(isolation="repeatable_read", readonly=True),
    ):
        initial = await connection.fetchval(_INITIAL_CASH_SQL, account_id)
        if initial is None:
            return None
        fills = [Fill(*row) for row in await connection.fetch(_FILLS_SQL, account_id, ts_to)]
        marks = [
            Mark(*row) for row in await connection.fetch(_MARKS_SQL, ts_to, MAX_CURVE_BARS + 1)
        ]
    if len(marks) > MAX_CURVE_BARS:
        raise BadUserInput(
            f"more than {MAX_CURVE_BARS:,} bars before `to`: pass a `to` (and `from`) closer "
            "together",
            field="to",
        )
    return initial, fills, marks


def _cut(
    stamps: list[int], equity: list[Decimal], exposure: list[Decimal], ts_from: int | None
) -> tuple[list[int], list[Decimal], list[Decimal]]:
    start = bisect.bisect_left(stamps, ts_from) if ts_from is not None else 0  # stamps sorted
    return stamps[start:], equity[start:], exposure[start:]


async def fetch_equity_curve(
    pool: asyncpg.Pool,
    account_id: str,
    *,
    ts_from: int | None,
    ts_to: int | None,
    interval: Interval,
) -> list[EquityPoint]:
    """Equity at the last bar close of each interval in ``[ts_from, ts_to)``."""
    record = await _trading_record(pool, account_id, ts_to)
    if record is None:
        return []
    initial, fills, marks = record

    def compute() -> list[EquityPoint]:
        stamps, equity, exposure = _cut(*equity_curve(initial, marks, fills), ts_from)
        width = interval.nanoseconds
        points: dict[int, EquityPoint] = {}
        for ts, value, gross in zip(stamps, equity, exposure, strict=True):
            points[ts // width] = EquityPoint(
                ts=Nanoseconds(ts),
                equity=decimals.money(value),  # type: ignore[arg-type]
                gross_exposure=decimals.money(gross),  # type: ignore[arg-type]
            )
        return list(points.values())

    return await anyio.to_thread.run_sync(compute)


async def fetch_performance(
    pool: asyncpg.Pool, account_id: str, *, ts_from: int | None, ts_to: int | None
) -> Performance | None:
    """The KPIs of the account between ``ts_from`` and ``ts_to``; null for an unknown account
    or a range with fewer than two bar closes."""
    record = await _trading_record(pool, account_id, ts_to)
    if record is None:
        return None
    initial, fills, marks = record

    def compute() -> Performance | None:
        stamps, equity, exposure = _cut(*equity_curve(initial, marks, fills), ts_from)
        if len(equity) < 2 or equity[0] <= 0:
            return None
        in_range = [f for f in fills if ts_from is None or f.ts >= ts_from]
        report = performance_report(
            equity,
            round_trips(in_range),
            periods_per_year=BARS_PER_YEAR,
            timestamps=stamps,
            positions=[float(e) for e in exposure],
            traded_notional=sum((f.quantity * f.price for f in in_range), Decimal(0)),
        )
        return Performance(
            account_id=account_id,
            ts_from=None if ts_from is None else Nanoseconds(ts_from),
            ts_to=None if ts_to is None else Nanoseconds(ts_to),
            periods=report.periods,
            start_equity=decimals.money(equity[0]),  # type: ignore[arg-type]
            end_equity=decimals.money(equity[-1]),  # type: ignore[arg-type]
            total_return=report.total_return,
            annualised_volatility=report.annualised_volatility,
            sharpe_ratio=report.sharpe_ratio,
            sortino_ratio=report.sortino_ratio,
            max_drawdown=report.max_drawdown,
            trade_count=report.trade_count,
            win_rate=report.win_rate,
            profit_factor=_finite(report.profit_factor),
            net_profit=decimals.money(Decimal(report.net_profit)),  # type: ignore[arg-type]
            fills=len(in_range),
        )

    return await anyio.to_thread.run_sync(compute)


def _finite(value: float | None) -> float | None:
    return None if value is None or value in (float("inf"), float("-inf")) else value
