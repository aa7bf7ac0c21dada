"""Known answers, reference comparisons and bad input for the performance KPIs."""

from __future__ import annotations

import math
from decimal import Decimal as D

import numpy as np
import pytest

from bounded_contexts.support.domain.performance import (
    ONE_MINUTE_BARS_PER_YEAR,
    InvalidParameter,
    InvalidSeries,
    InvalidTrade,
    PerformanceError,
    RoundTrip,
    Side,
    alpha_beta,
    annualised_return,
    annualised_volatility,
    calmar_ratio,
    downside_deviation,
    drawdown_series,
    exposure_time,
    max_drawdown,
    performance_report,
    sharpe_ratio,
    simple_returns,
    sortino_ratio,
    total_return,
    trade_statistics,
    turnover,
)

# --- straightforward references (plain Python loops, textbook formulas) --------------------


def reference_returns(equity: list[float]) -> list[float]:
    return [equity[i] / equity[i - 1] - 1 for i in range(1, len(equity))]


def reference_sharpe(returns: list[float], periods_per_year: float, rf_per_period: float) -> float:
    excess = [r - rf_per_period for r in returns]
    mean = sum(excess) / len(excess)
    variance = sum((x - mean) ** 2 for x in excess) / (len(excess) - 1)
    return mean / math.sqrt(variance) * math.sqrt(periods_per_year)


def reference_sortino(returns: list[float], periods_per_year: float, target: float) -> float:
    mean = sum(r - target for r in returns) / len(returns)
    downside = math.sqrt(sum(min(0.0, r - target) ** 2 for r in returns) / len(returns))
    return mean / downside * math.sqrt(periods_per_year)


def reference_max_drawdown(equity: list[float]) -> float:
    peak, worst = equity[0], 0.0
    for value in equity:
        peak = max(peak, value)
        worst = max(worst, (peak - value) / peak)
    return worst


def trip(
    pnl: str,
    fees: str = "0",
    *,
    quantity: str = "1",
    entry: str = "100",
    exit_: str = "101",
    side: Side = Side.LONG,
) -> RoundTrip:
    return RoundTrip(
        ts_entry=0,
        ts_exit=60_000_000_000,
        side=side,
        quantity=D(quantity),
        entry_price=D(entry),
        exit_price=D(exit_),
        pnl=D(pnl),
        fees=D(fees),
    )


# --- returns, volatility, ratios ------------------------------------------------------------


def test_simple_returns_are_ratios_of_consecutive_equity_minus_one() -> None:
    np.testing.assert_allclose(simple_returns([100.0, 110.0, 99.0]), [0.1, -0.1])


def test_total_and_annualised_return_of_a_doubling_over_two_years_of_days() -> None:
    equity = np.geomspace(100.0, 200.0, 2 * 252 + 1)
    assert total_return(equity) == pytest.approx(1.0)
    assert annualised_return(equity, periods_per_year=252) == pytest.approx(math.sqrt(2) - 1)


def test_annualising_a_tiny_sample_that_overflows_gives_infinity() -> None:
    growth = annualised_return([100.0, 101.0], periods_per_year=ONE_MINUTE_BARS_PER_YEAR * 10)
    assert growth == math.inf


def test_one_minute_bars_per_year_is_252_sessions_of_390_minutes() -> None:
    assert ONE_MINUTE_BARS_PER_YEAR == 98_280


def test_volatility_is_sample_std_scaled_by_root_periods() -> None:
    returns = [0.01, -0.02, 0.03, 0.0]
    expected = float(np.std(returns, ddof=1)) * math.sqrt(252)
    assert annualised_volatility(returns, periods_per_year=252) == pytest.approx(expected)
    assert annualised_volatility([0.01], periods_per_year=252) is None


def test_sharpe_of_a_known_alternating_series() -> None:
    # returns +2 %, 0 % repeated: mean 1 %, sample std 0.01 * sqrt(n / (n - 1))
    returns = [0.02, 0.0] * 50
    expected = 0.01 / (0.01 * math.sqrt(100 / 99)) * math.sqrt(252)
    assert sharpe_ratio(returns, periods_per_year=252) == pytest.approx(expected, rel=1e-12)


def test_sharpe_matches_the_reference_with_a_risk_free_rate() -> None:
    rng = np.random.default_rng(7)
    returns = rng.normal(0.0005, 0.01, 500).tolist()
    rf = 0.04
    rf_period = (1 + rf) ** (1 / 252) - 1
    assert sharpe_ratio(returns, periods_per_year=252, risk_free_rate=rf) == pytest.approx(
        reference_sharpe(returns, 252, rf_period), rel=1e-10
    )


def test_sharpe_is_undefined_without_variation_or_with_a_single_return() -> None:
    constant_growth = [100.0 * 1.001**i for i in range(50)]
    assert sharpe_ratio(simple_returns(constant_growth), periods_per_year=252) is None
    assert sharpe_ratio([0.01], periods_per_year=252) is None


def test_sortino_matches_the_reference_over_all_periods() -> None:
    rng = np.random.default_rng(11)
    returns = rng.normal(0.0003, 0.012, 400).tolist()
    assert sortino_ratio(returns, periods_per_year=252) == pytest.approx(
        reference_sortino(returns, 252, 0.0), rel=1e-10
    )
    mar = 0.05
    target = (1 + mar) ** (1 / 252) - 1
    assert sortino_ratio(returns, periods_per_year=252, minimum_acceptable_return=mar) == (
        pytest.approx(reference_sortino(returns, 252, target), rel=1e-10)
    )


def test_downside_deviation_divides_by_all_periods_not_only_losing_ones() -> None:
    # shortfalls -0.02 and 0 over four periods: sqrt(0.0004 / 4) = 0.01
    assert downside_deviation([0.01, -0.02, 0.03, 0.0]) == pytest.approx(0.01)


def test_sortino_is_undefined_without_a_period_below_target() -> None:
    assert sortino_ratio([0.01, 0.02, 0.0], periods_per_year=252) is None


def test_calmar_is_annual_return_over_max_drawdown() -> None:
    assert calmar_ratio(0.3, 0.15) == pytest.approx(2.0)
    assert calmar_ratio(0.3, 0.0) is None


# --- drawdown -------------------------------------------------------------------------------


def test_max_drawdown_of_the_textbook_curve_is_a_quarter_lasting_two_periods() -> None:
    result = max_drawdown([100, 120, 90, 130], timestamps=[0, 60, 120, 180])
    assert result.max_drawdown == pytest.approx(0.25)
    assert (result.peak_index, result.trough_index, result.recovery_index) == (1, 2, 3)
    assert result.duration_periods == 2
    assert result.duration_ns == 120
    assert result.recovered


def test_unrecovered_drawdown_lasts_until_the_end_of_the_curve() -> None:
    result = max_drawdown([100.0, 120.0, 90.0, 100.0, 110.0], timestamps=[0, 5, 10, 20, 40])
    assert result.max_drawdown == pytest.approx(0.25)
    assert result.recovery_index is None
    assert not result.recovered
    assert result.duration_periods == 3
    assert result.duration_ns == 35


def test_drawdown_episode_starts_at_the_last_visit_of_the_high_water_mark() -> None:
    result = max_drawdown([100.0, 90.0, 100.0, 80.0, 100.0])
    assert result.max_drawdown == pytest.approx(0.2)
    assert (result.peak_index, result.trough_index, result.recovery_index) == (2, 3, 4)
    assert result.duration_periods == 2
    assert result.duration_ns is None


def test_a_curve_that_never_falls_has_no_drawdown() -> None:
    result = max_drawdown([100.0, 101.0, 101.0, 105.0], timestamps=[1, 2, 3, 4])
    assert result.max_drawdown == 0.0
    assert result.duration_periods == 0
    assert result.duration_ns == 0
    assert result.peak_index is None


def test_max_drawdown_matches_the_loop_reference_on_a_random_walk() -> None:
    rng = np.random.default_rng(3)
    equity = (1000.0 * np.cumprod(1 + rng.normal(0, 0.02, 2000))).tolist()
    assert max_drawdown(equity).max_drawdown == pytest.approx(
        reference_max_drawdown(equity), rel=1e-12
    )
    assert float(drawdown_series(equity).max()) == pytest.approx(reference_max_drawdown(equity))


def test_datetime64_timestamps_are_read_as_nanoseconds() -> None:
    stamps = np.array(
        ["2024-01-02T09:30", "2024-01-02T09:31", "2024-01-02T09:32", "2024-01-02T09:33"],
        dtype="datetime64[m]",
    )
    result = max_drawdown([100, 120, 90, 130], timestamps=stamps)
    assert result.duration_ns == 2 * 60 * 1_000_000_000


# --- trades ---------------------------------------------------------------------------------


def test_trade_statistics_use_net_pnl_after_fees() -> None:
    trades = [trip("30", "2"), trip("-10", "2"), trip("20", "0"), trip("2", "2")]
    stats = trade_statistics(trades)
    # net: 28, -12, 20, 0
    assert (stats.trade_count, stats.win_count, stats.loss_count) == (4, 2, 1)
    assert stats.win_rate == pytest.approx(0.5)
    assert stats.gross_profit == D("48")
    assert stats.gross_loss == D("12")
    assert stats.profit_factor == pytest.approx(4.0)
    assert stats.expectancy == D("9")
    assert stats.average_win == D("24")
    assert stats.average_loss == D("-12")
    assert stats.payoff_ratio == pytest.approx(2.0)
    assert stats.net_profit == D("36")


def test_profit_factor_is_infinite_without_losses_and_undefined_without_results() -> None:
    assert trade_statistics([trip("5"), trip("1")]).profit_factor == math.inf
    assert trade_statistics([trip("0")]).profit_factor is None
    assert trade_statistics([trip("-3")]).profit_factor == 0.0


def test_no_trades_give_undefined_trade_statistics() -> None:
    stats = trade_statistics([])
    assert stats.trade_count == 0
    assert stats.win_rate is None
    assert stats.expectancy is None
    assert stats.profit_factor is None


def test_round_trip_knows_its_net_pnl_and_traded_notional() -> None:
    trade = trip("10", "1.5", quantity="2", entry="100", exit_="105", side=Side.SHORT)
    assert trade.net_pnl == D("8.5")
    assert trade.traded_notional == D("410")
    assert trade.side is Side.SHORT


# --- activity and benchmark -----------------------------------------------------------------


def test_turnover_is_traded_notional_over_mean_equity() -> None:
    assert turnover([100.0, 100.0, 100.0], D("500")) == pytest.approx(5.0)
    assert turnover([100.0, 300.0], [100.0, 300.0]) == pytest.approx(2.0)


def test_exposure_time_is_the_share_of_bars_with_a_position() -> None:
    assert exposure_time([0, 1, -2, 0]) == pytest.approx(0.5)
    assert exposure_time([D("0"), D("0.5")]) == pytest.approx(0.5)


def test_alpha_and_beta_recover_a_known_linear_relation() -> None:
    rng = np.random.default_rng(5)
    benchmark = rng.normal(0.0004, 0.01, 300)
    strategy = 0.0002 + 1.5 * benchmark
    result = alpha_beta(strategy, benchmark, periods_per_year=252)
    assert result.beta == pytest.approx(1.5)
    assert result.alpha == pytest.approx(0.0002 * 252)


def test_alpha_is_measured_on_excess_returns_over_the_risk_free_rate() -> None:
    rng = np.random.default_rng(9)
    benchmark = rng.normal(0.0004, 0.01, 300)
    strategy = 2.0 * benchmark
    rf = 0.03
    rf_period = (1 + rf) ** (1 / 252) - 1
    result = alpha_beta(strategy, benchmark, periods_per_year=252, risk_free_rate=rf)
    # r - rf = 2 b - rf = 2 (b - rf) + rf  ->  alpha = rf per period
    assert result.beta == pytest.approx(2.0)
    assert result.alpha == pytest.approx(rf_period * 252)


def test_alpha_and_beta_are_undefined_against_a_flat_benchmark() -> None:
    result = alpha_beta([0.01, 0.02, 0.0], [0.001, 0.001, 0.001], periods_per_year=252)
    assert result.alpha is None
    assert result.beta is None


# --- the report -----------------------------------------------------------------------------


def test_report_of_the_textbook_curve_collects_every_figure() -> None:
    equity = [D("100"), D("120"), D("90"), D("130")]
    trades = [
        trip("20", "1", quantity="1", entry="100", exit_="120"),
        trip("-35", "1", quantity="1", entry="120", exit_="85"),
    ]
    report = performance_report(
        equity,
        trades,
        periods_per_year=252,
        benchmark_returns=[0.1, -0.1, 0.2],
        positions=[0, 1, 1, 0],
        timestamps=[0, 1, 2, 3],
    )
    returns = reference_returns([100.0, 120.0, 90.0, 130.0])
    assert report.periods == 3
    assert report.total_return == pytest.approx(0.3)
    assert report.annualised_return == pytest.approx(1.3 ** (252 / 3) - 1)
    assert report.max_drawdown == pytest.approx(0.25)
    assert report.max_drawdown_duration_periods == 2
    assert report.max_drawdown_duration_ns == 2
    assert report.sharpe_ratio == pytest.approx(reference_sharpe(returns, 252, 0.0))
    assert report.sortino_ratio == pytest.approx(reference_sortino(returns, 252, 0.0))
    assert report.calmar_ratio == pytest.approx(report.annualised_return / 0.25)
    assert report.trade_count == 2
    assert report.win_rate == pytest.approx(0.5)
    assert report.profit_factor == pytest.approx(19 / 36)
    assert report.expectancy == D("-8.5")
    assert report.turnover == pytest.approx((220 + 205) / 110.0)
    assert report.annualised_turnover == pytest.approx(report.turnover * 252 / 3)
    assert report.exposure_time == pytest.approx(0.5)
    assert report.beta is not None
    assert report.alpha is not None


def test_report_accepts_numpy_float_equity_and_leaves_optional_figures_undefined() -> None:
    report = performance_report(np.array([100.0, 101.0, 100.5]), [], periods_per_year=252)
    assert report.exposure_time is None
    assert report.alpha is None
    assert report.beta is None
    assert report.max_drawdown_duration_ns is None
    assert report.turnover == 0.0


def test_report_uses_an_explicit_traded_notional_when_given() -> None:
    report = performance_report(
        [100.0, 100.0], [trip("1")], periods_per_year=252, traded_notional=D("50")
    )
    assert report.turnover == pytest.approx(0.5)


def test_report_sortino_target_defaults_to_the_risk_free_rate() -> None:
    rng = np.random.default_rng(1)
    equity = (100 * np.cumprod(1 + rng.normal(0.001, 0.01, 100))).tolist()
    report = performance_report(equity, [], periods_per_year=252, risk_free_rate=0.05)
    expected = sortino_ratio(
        simple_returns(equity), periods_per_year=252, minimum_acceptable_return=0.05
    )
    assert report.sortino_ratio == pytest.approx(expected)


def test_report_of_two_points_has_no_volatility_and_no_sharpe() -> None:
    report = performance_report([100.0, 110.0], [], periods_per_year=252)
    assert report.annualised_volatility is None
    assert report.sharpe_ratio is None
    assert report.sortino_ratio is None
    assert report.calmar_ratio is None


def test_report_is_immutable() -> None:
    report = performance_report([100.0, 110.0], [], periods_per_year=252)
    with pytest.raises(AttributeError):
        report.sharpe_ratio = 1.0  # type: ignore[misc]


# --- bad input ------------------------------------------------------------------------------


def test_every_performance_error_is_a_value_error() -> None:
    for error in (InvalidSeries, InvalidTrade, InvalidParameter):
        assert issubclass(error, PerformanceError)
    assert issubclass(PerformanceError, ValueError)


@pytest.mark.parametrize(
    ("equity", "message"),
    [
        ([100.0], "at least 2 points"),
        ([], "at least 2 points"),
        ([100.0, float("nan"), 101.0], r"equity\[1\] is nan"),
        ([100.0, 101.0, math.inf], r"equity\[2\] is inf"),
        ([D("100"), D("NaN")], r"equity\[1\] is nan"),
        ([D("100"), D("sNaN")], r"equity\[1\] is sNaN"),
        ([100.0, 0.0, 101.0], r"equity\[1\] is 0.0: equity must be > 0"),
        ([100.0, -5.0], r"equity\[1\] is -5.0: equity must be > 0"),
        (["100", "101"], r"equity\[0\] is '100'"),
        (np.array(["100", "101"]), "must hold numbers"),
        ([100.0, "101"], r"equity\[1\] is '101'"),
        ([True, False], r"equity\[0\] is True"),
        ("100", "must be a sequence"),
        (np.ones((2, 2)), "one-dimensional"),
    ],
)
def test_equity_curves_are_validated_with_the_offending_position(
    equity: object, message: str
) -> None:
    with pytest.raises(InvalidSeries, match=message):
        performance_report(equity, [], periods_per_year=252)  # type: ignore[arg-type]
    with pytest.raises(InvalidSeries, match=message):
        max_drawdown(equity)  # type: ignore[arg-type]
    with pytest.raises(InvalidSeries, match=message):
        total_return(equity)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"periods_per_year": 0}, InvalidParameter, "periods_per_year must be > 0"),
        ({"periods_per_year": math.nan}, InvalidParameter, "periods_per_year must be finite"),
        (
            {"periods_per_year": 252, "risk_free_rate": -1.0},
            InvalidParameter,
            "risk_free_rate must be > -1",
        ),
        (
            {"periods_per_year": 252, "minimum_acceptable_return": math.inf},
            InvalidParameter,
            "minimum_acceptable_return must be finite",
        ),
        (
            {"periods_per_year": 252, "benchmark_returns": [0.1, 0.2]},
            InvalidSeries,
            "one return per strategy period",
        ),
        (
            {"periods_per_year": 252, "benchmark_returns": [0.1, math.nan, 0.2]},
            InvalidSeries,
            r"benchmark_returns\[1\] is nan",
        ),
        (
            {"periods_per_year": 252, "positions": [0, 1, 1]},
            InvalidSeries,
            "one entry per equity point",
        ),
        (
            {"periods_per_year": 252, "positions": [0, 1, math.nan, 1]},
            InvalidSeries,
            r"positions\[2\] is nan",
        ),
        (
            {"periods_per_year": 252, "traded_notional": -1.0},
            InvalidParameter,
            "traded_notional must be >= 0",
        ),
        (
            {"periods_per_year": 252, "traded_notional": [1.0, -1.0]},
            InvalidSeries,
            r"traded_notional\[1\] is -1.0",
        ),
        (
            {"periods_per_year": 252, "timestamps": [0, 1, 1, 2]},
            InvalidSeries,
            r"timestamps\[2\] \(1\) is not after timestamps\[1\]",
        ),
        (
            {"periods_per_year": 252, "timestamps": [0, 1, 2]},
            InvalidSeries,
            "one entry per equity point",
        ),
        (
            {"periods_per_year": 252, "timestamps": [0, 1.5, 2, 3]},
            InvalidSeries,
            r"timestamps\[1\] is 1.5",
        ),
    ],
)
def test_report_parameters_are_validated(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        performance_report([100.0, 110.0, 105.0, 120.0], [], **kwargs)  # type: ignore[arg-type]


def test_report_rejects_something_that_is_not_a_round_trip() -> None:
    with pytest.raises(InvalidTrade, match=r"trades\[1\] is a dict"):
        performance_report(
            [100.0, 110.0],
            [trip("1"), {"pnl": 1}],  # type: ignore[list-item]
            periods_per_year=252,
        )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ts_exit": -1}, r"ts_exit \(-1\) is before ts_entry"),
        ({"ts_entry": 1.0}, "ts_entry must be integer UTC nanoseconds"),
        ({"side": "flat"}, "side must be 'long' or 'short'"),
        ({"quantity": D("0")}, "quantity must be > 0"),
        ({"entry_price": D("-1")}, "entry_price must be > 0"),
        ({"exit_price": 101.0}, "exit_price must be a decimal.Decimal"),
        ({"pnl": D("NaN")}, "pnl must be finite"),
        ({"fees": D("-0.01")}, "fees must be >= 0"),
    ],
)
def test_round_trips_reject_inconsistent_fields(overrides: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {
        "ts_entry": 0,
        "ts_exit": 10,
        "side": Side.LONG,
        "quantity": D("1"),
        "entry_price": D("100"),
        "exit_price": D("101"),
        "pnl": D("1"),
        "fees": D("0"),
    }
    fields.update(overrides)
    with pytest.raises(InvalidTrade, match=message):
        RoundTrip(**fields)  # type: ignore[arg-type]


def test_round_trip_side_accepts_its_string_value() -> None:
    trade = RoundTrip(
        ts_entry=0,
        ts_exit=1,
        side="short",
        quantity=D(1),  # type: ignore[arg-type]
        entry_price=D(10),
        exit_price=D(9),
        pnl=D(1),
        fees=D(0),
    )
    assert trade.side is Side.SHORT


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: sharpe_ratio([0.1, math.nan], periods_per_year=252),
            InvalidSeries,
            r"returns\[1\] is nan",
        ),
        (
            lambda: sharpe_ratio([0.1, 0.2], periods_per_year=-1),
            InvalidParameter,
            "periods_per_year must be > 0",
        ),
        (
            lambda: sortino_ratio([0.1, math.inf], periods_per_year=252),
            InvalidSeries,
            r"returns\[1\] is inf",
        ),
        (
            lambda: sortino_ratio([0.1, 0.2], periods_per_year=252, minimum_acceptable_return=-2),
            InvalidParameter,
            "minimum_acceptable_return must be > -1",
        ),
        (
            lambda: annualised_volatility([0.1, None], periods_per_year=252),
            InvalidSeries,
            r"returns\[1\] is None",
        ),
        (
            lambda: annualised_return([100.0, 110.0], periods_per_year=0),
            InvalidParameter,
            "periods_per_year must be > 0",
        ),
        (lambda: downside_deviation([]), InvalidSeries, "returns is empty"),
        (
            lambda: downside_deviation([0.1], target=math.nan),
            InvalidParameter,
            "target must be finite",
        ),
        (lambda: calmar_ratio(0.1, 1.5), InvalidParameter, r"max_drawdown must lie in \[0, 1\]"),
        (lambda: calmar_ratio(math.nan, 0.1), InvalidParameter, "annual_return must not be NaN"),
        (lambda: exposure_time([]), InvalidSeries, "positions is empty"),
        (
            lambda: turnover([100.0, 110.0], math.inf),
            InvalidParameter,
            "traded_notional must be finite",
        ),
        (
            lambda: alpha_beta([0.1, 0.2], [0.1], periods_per_year=252),
            InvalidSeries,
            "one return per strategy period",
        ),
        (lambda: trade_statistics([1.0]), InvalidTrade, r"trades\[0\] is a float"),
    ],
)
def test_component_functions_reject_bad_input(
    call: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call()  # type: ignore[operator]
