"""The end-of-session report: activity counts from the read models, the performance KPIs
of the account's equity curve and round trips, and the transaction costs per strategy."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

import psycopg

from bounded_contexts.support.application.tca import transaction_costs
from bounded_contexts.support.domain.performance import PerformanceReport, performance_report
from bounded_contexts.support.domain.tca import StrategyCost
from bounded_contexts.support.domain.trading_record import Fill, Mark, equity_curve, round_trips

BARS_PER_YEAR = 252 * 510  # 1-minute bars, 08:00-16:30 sessions


@dataclass(frozen=True)
class SessionReport:
    account_id: str
    bars: int
    quarantined: int
    predictions: int
    decisions: int
    orders: int
    fills: int
    rejects: int
    initial_cash: Decimal
    final_equity: Decimal
    performance: PerformanceReport | None
    transaction_costs: list[StrategyCost]

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return data


def session_report(database_url: str, account_id: str) -> SessionReport:
    with psycopg.connect(database_url) as conn:
        one = lambda sql, *a: conn.execute(sql, a).fetchone()[0]  # noqa: E731
        bars = one("SELECT count(*) FROM rm_bars")
        quarantined = one("SELECT count(*) FROM rm_quarantine")
        predictions = one("SELECT count(*) FROM rm_predictions")
        decisions = one("SELECT count(*) FROM decision_events WHERE topic = 'TradeDecided'")
        orders = one("SELECT count(*) FROM rm_orders WHERE account_id = %s", account_id)
        rejects = one(
            "SELECT count(*) FROM rm_orders WHERE account_id = %s AND status = 'REJECTED'",
            account_id,
        )
        row = conn.execute(
            "SELECT initial_cash FROM rm_portfolio WHERE account_id = %s", (account_id,)
        ).fetchone()
        initial_cash = row[0] if row else Decimal(0)
        fills = [
            Fill(*r)
            for r in conn.execute(
                "SELECT ts_event, instrument_id, side, quantity, price, fee FROM rm_fills "
                "WHERE account_id = %s ORDER BY ts_event, order_id, fill_seq",
                (account_id,),
            )
        ]
        marks = [
            Mark(*r)
            for r in conn.execute(
                "SELECT ts_event, instrument_id, close FROM rm_bars ORDER BY ts_event"
            )
        ]
        costs = transaction_costs(conn, account_id).by_strategy
    stamps, equity, exposure = equity_curve(initial_cash, marks, fills)
    performance = None
    if len(equity) >= 2 and initial_cash > 0:
        performance = performance_report(
            equity,
            round_trips(fills),
            periods_per_year=BARS_PER_YEAR,
            timestamps=stamps,
            positions=[float(e) for e in exposure],
            traded_notional=sum((f.quantity * f.price for f in fills), Decimal(0)),
        )
    return SessionReport(
        account_id=account_id,
        bars=bars,
        quarantined=quarantined,
        predictions=predictions,
        decisions=decisions,
        orders=orders,
        fills=len(fills),
        rejects=rejects,
        initial_cash=initial_cash,
        final_equity=equity[-1] if equity else initial_cash,
        performance=performance,
        transaction_costs=costs,
    )
