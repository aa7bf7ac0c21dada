"""The performance report the live pipeline publishes: every KPI from one call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from .activity import exposure_time, traded_notional_of, turnover
from .benchmark import alpha_beta
from .drawdown import max_drawdown
from .returns import (
    annualised_return,
    annualised_volatility,
    calmar_ratio,
    sharpe_ratio,
    sortino_ratio,
    total_return,
)
from .series import (
    Number,
    NumberSeries,
    TimestampSeries,
    as_equity_curve,
    require_annual_rate,
    require_periods_per_year,
)
from .trades import RoundTrip, trade_statistics


@dataclass(frozen=True, slots=True)
class PerformanceReport:
    """Every KPI of one equity curve and its trades. ``None`` means *undefined*, never 0.

    Return and risk (fractions: 0.1 = 10 %):
        periods: number of return periods (equity points - 1).
        total_return, annualised_return: simple cumulative return and CAGR.
        annualised_volatility: sample std of period returns * sqrt(periods_per_year).
        sharpe_ratio, sortino_ratio, calmar_ratio: see ``returns.py``.
    Drawdown:
        max_drawdown in [0, 1]; max_drawdown_peak_index / _trough_index / _recovery_index;
        max_drawdown_duration_periods and _duration_ns (peak to recovery, or to the end);
        max_drawdown_recovered.
    Trades (net of fees, money in Decimal):
        trade_count, win_rate, profit_factor (``inf`` without losses), expectancy,
        average_win, average_loss (negative), payoff_ratio, net_profit.
    Activity:
        turnover (traded notional / mean equity, whole sample), annualised_turnover,
        exposure_time (fraction of bars with a position; ``None`` without positions).
    Benchmark:
        alpha (annualised, arithmetic) and beta; ``None`` without benchmark returns.
    """

    periods: int
    total_return: float
    annualised_return: float
    annualised_volatility: float | None
    sharpe_ratio: float | None
    sortino_ratio: float | None
    calmar_ratio: float | None
    max_drawdown: float
    max_drawdown_peak_index: int | None
    max_drawdown_trough_index: int | None
    max_drawdown_recovery_index: int | None
    max_drawdown_duration_periods: int
    max_drawdown_duration_ns: int | None
    max_drawdown_recovered: bool
    trade_count: int
    win_rate: float | None
    profit_factor: float | None
    expectancy: Decimal | None
    average_win: Decimal | None
    average_loss: Decimal | None
    payoff_ratio: float | None
    net_profit: Decimal
    turnover: float
    annualised_turnover: float
    exposure_time: float | None
    alpha: float | None
    beta: float | None


def performance_report(
    equity: Sequence[float | Decimal] | NumberSeries,
    trades: Sequence[RoundTrip],
    *,
    periods_per_year: float,
    risk_free_rate: float = 0.0,
    benchmark_returns: NumberSeries | None = None,
    positions: NumberSeries | None = None,
    traded_notional: Number | NumberSeries | None = None,
    timestamps: TimestampSeries | None = None,
    minimum_acceptable_return: float | None = None,
) -> PerformanceReport:
    """Compute every KPI of ``equity`` (one value per bar) and its round-trip ``trades``.

    Args:
        equity: account equity at each bar, floats or Decimals, > 0 and finite.
        trades: closed round trips over the same span.
        periods_per_year: bars per year — 252 for daily bars, ``ONE_MINUTE_BARS_PER_YEAR``
            (252 * 390 = 98 280, regular US session) for 1-minute bars, 365 * 1440 for a
            24/7 crypto minute series.
        risk_free_rate: annual rate for Sharpe and alpha.
        benchmark_returns: one benchmark simple return per period (``len(equity) - 1``).
        positions: position at each bar (``len(equity)``), for exposure time.
        traded_notional: total or per-period traded notional; default: both legs of every
            round trip, ``sum(quantity * (entry_price + exit_price))``.
        timestamps: UTC nanoseconds per bar, for the drawdown duration in time.
        minimum_acceptable_return: annual Sortino target; default ``risk_free_rate``.
    """
    curve = as_equity_curve(equity)
    per_year = require_periods_per_year(periods_per_year)
    rate = require_annual_rate("risk_free_rate", risk_free_rate)
    target = (
        rate
        if minimum_acceptable_return is None
        else require_annual_rate("minimum_acceptable_return", minimum_acceptable_return)
    )
    returns = curve[1:] / curve[:-1] - 1.0
    periods = int(returns.size)

    growth = annualised_return(curve, periods_per_year=per_year)
    drawdown = max_drawdown(curve, timestamps=timestamps)
    stats = trade_statistics(trades)
    notional = traded_notional_of(trades) if traded_notional is None else traded_notional
    whole_turnover = turnover(curve, notional)
    relative = (
        alpha_beta(returns, benchmark_returns, periods_per_year=per_year, risk_free_rate=rate)
        if benchmark_returns is not None
        else None
    )

    return PerformanceReport(
        periods=periods,
        total_return=total_return(curve),
        annualised_return=growth,
        annualised_volatility=annualised_volatility(returns, periods_per_year=per_year),
        sharpe_ratio=sharpe_ratio(returns, periods_per_year=per_year, risk_free_rate=rate),
        sortino_ratio=sortino_ratio(
            returns, periods_per_year=per_year, minimum_acceptable_return=target
        ),
        calmar_ratio=calmar_ratio(growth, drawdown.max_drawdown),
        max_drawdown=drawdown.max_drawdown,
        max_drawdown_peak_index=drawdown.peak_index,
        max_drawdown_trough_index=drawdown.trough_index,
        max_drawdown_recovery_index=drawdown.recovery_index,
        max_drawdown_duration_periods=drawdown.duration_periods,
        max_drawdown_duration_ns=drawdown.duration_ns,
        max_drawdown_recovered=drawdown.recovered,
        trade_count=stats.trade_count,
        win_rate=stats.win_rate,
        profit_factor=stats.profit_factor,
        expectancy=stats.expectancy,
        average_win=stats.average_win,
        average_loss=stats.average_loss,
        payoff_ratio=stats.payoff_ratio,
        net_profit=stats.net_profit,
        turnover=whole_turnover,
        annualised_turnover=whole_turnover * per_year / periods,
        exposure_time=(
            exposure_time(positions, expected_length=curve.size) if positions is not None else None
        ),
        alpha=None if relative is None else relative.alpha,
        beta=None if relative is None else relative.beta,
    )
