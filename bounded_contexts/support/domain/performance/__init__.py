"""Performance KPIs of an equity curve and its round-trip trades (support context).

Pure, vectorised NumPy; money from trades stays ``Decimal``. See ``docs/quant/performance.md``.
"""

from .activity import exposure_time, traded_notional_of, turnover
from .benchmark import AlphaBeta, alpha_beta
from .drawdown import Drawdown, drawdown_series, max_drawdown
from .errors import InvalidParameter, InvalidSeries, InvalidTrade, PerformanceError
from .report import PerformanceReport, performance_report
from .returns import (
    ZERO_DISPERSION_TOLERANCE,
    annualised_return,
    annualised_volatility,
    calmar_ratio,
    downside_deviation,
    sharpe_ratio,
    sortino_ratio,
    total_return,
)
from .series import (
    MINUTES_PER_TRADING_DAY,
    ONE_MINUTE_BARS_PER_YEAR,
    TRADING_DAYS_PER_YEAR,
    simple_returns,
)
from .trades import RoundTrip, Side, TradeStatistics, trade_statistics

__all__ = [
    "MINUTES_PER_TRADING_DAY",
    "ONE_MINUTE_BARS_PER_YEAR",
    "TRADING_DAYS_PER_YEAR",
    "ZERO_DISPERSION_TOLERANCE",
    "AlphaBeta",
    "Drawdown",
    "InvalidParameter",
    "InvalidSeries",
    "InvalidTrade",
    "PerformanceError",
    "PerformanceReport",
    "RoundTrip",
    "Side",
    "TradeStatistics",
    "alpha_beta",
    "annualised_return",
    "annualised_volatility",
    "calmar_ratio",
    "downside_deviation",
    "drawdown_series",
    "exposure_time",
    "max_drawdown",
    "performance_report",
    "sharpe_ratio",
    "simple_returns",
    "sortino_ratio",
    "total_return",
    "trade_statistics",
    "traded_notional_of",
    "turnover",
]
