"""Property tests: KPIs stay in their ranges and agree with plain-loop references."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bounded_contexts.support.domain.performance import (
    RoundTrip,
    Side,
    max_drawdown,
    performance_report,
    sharpe_ratio,
    simple_returns,
    sortino_ratio,
    trade_statistics,
)

equity_curves = st.lists(st.floats(min_value=1e-3, max_value=1e9), min_size=2, max_size=60)
decimal_pnls = st.decimals(
    min_value=Decimal("-1e6"),
    max_value=Decimal("1e6"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


@st.composite
def round_trips(draw: st.DrawFn) -> RoundTrip:
    return RoundTrip(
        ts_entry=0,
        ts_exit=draw(st.integers(0, 10**12)),
        side=draw(st.sampled_from(list(Side))),
        quantity=Decimal(draw(st.integers(1, 1000))),
        entry_price=Decimal("100"),
        exit_price=Decimal("101"),
        pnl=draw(decimal_pnls),
        fees=draw(st.decimals(min_value=0, max_value=100, places=2)),
    )


@settings(max_examples=150, deadline=None)
@given(equity=equity_curves)
def test_max_drawdown_lies_between_zero_and_one_and_matches_the_loop(equity: list[float]) -> None:
    result = max_drawdown(equity)
    assert 0.0 <= result.max_drawdown <= 1.0
    peak, worst = equity[0], 0.0
    for value in equity:
        peak = max(peak, value)
        worst = max(worst, 1 - value / peak)
    assert math.isclose(result.max_drawdown, worst, rel_tol=1e-12, abs_tol=1e-15)
    assert 0 <= result.duration_periods <= len(equity) - 1


@settings(max_examples=100, deadline=None)
@given(equity=equity_curves)
def test_drawdown_episode_indices_are_ordered_and_consistent(equity: list[float]) -> None:
    result = max_drawdown(equity)
    if result.max_drawdown > 0:
        assert result.peak_index is not None and result.trough_index is not None
        assert result.peak_index < result.trough_index
        if result.recovery_index is not None:
            assert result.trough_index < result.recovery_index
            assert equity[result.recovery_index] >= equity[result.peak_index]
            assert result.duration_periods == result.recovery_index - result.peak_index


@settings(max_examples=100, deadline=None)
@given(trades=st.lists(round_trips(), max_size=20))
def test_win_rate_lies_in_the_unit_interval(trades: list[RoundTrip]) -> None:
    stats = trade_statistics(trades)
    if trades:
        assert stats.win_rate is not None
        assert 0.0 <= stats.win_rate <= 1.0
        assert stats.expectancy == sum(t.net_pnl for t in trades) / len(trades)
    else:
        assert stats.win_rate is None
    assert stats.profit_factor is None or stats.profit_factor >= 0


@settings(max_examples=100, deadline=None)
@given(
    returns=st.lists(st.floats(min_value=-0.5, max_value=0.5), min_size=2, max_size=60),
    rf=st.floats(min_value=0.0, max_value=0.1),
)
def test_sharpe_and_sortino_agree_with_the_reference_formulas(
    returns: list[float], rf: float
) -> None:
    rf_period = (1 + rf) ** (1 / 252) - 1
    excess = [r - rf_period for r in returns]
    mean = sum(excess) / len(excess)
    sd = math.sqrt(sum((x - mean) ** 2 for x in excess) / (len(excess) - 1))
    sharpe = sharpe_ratio(returns, periods_per_year=252, risk_free_rate=rf)
    if sd > 1e-9:
        assert sharpe is not None
        assert math.isclose(sharpe, mean / sd * math.sqrt(252), rel_tol=1e-6, abs_tol=1e-6)
    downside = math.sqrt(sum(min(0.0, x) ** 2 for x in excess) / len(excess))
    sortino = sortino_ratio(returns, periods_per_year=252, minimum_acceptable_return=rf)
    if downside > 1e-9:
        assert sortino is not None
        assert math.isclose(sortino, mean / downside * math.sqrt(252), rel_tol=1e-6, abs_tol=1e-6)
    elif downside == 0.0:
        assert sortino is None


@settings(max_examples=60, deadline=None)
@given(equity=equity_curves, scale=st.floats(min_value=1e-3, max_value=1e3))
def test_report_ratios_do_not_depend_on_the_account_currency_scale(
    equity: list[float], scale: float
) -> None:
    base = performance_report(equity, [], periods_per_year=252)
    scaled = performance_report((np.asarray(equity) * scale).tolist(), [], periods_per_year=252)
    assert math.isclose(base.max_drawdown, scaled.max_drawdown, rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(base.total_return, scaled.total_return, rel_tol=1e-9, abs_tol=1e-12)
    assert 0.0 <= base.max_drawdown <= 1.0
    returns = simple_returns(equity)
    assert len(returns) == base.periods
