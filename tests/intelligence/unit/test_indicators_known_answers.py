"""Known answers from closed forms and hand calculations, one per indicator convention."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bounded_contexts.intelligence.domain.indicators import batch

NAN = math.nan


def test_sma_of_a_ramp_is_the_middle_of_each_window() -> None:
    np.testing.assert_array_equal(batch.sma(np.arange(1.0, 7.0), 3), [NAN, NAN, 2.0, 3.0, 4.0, 5.0])


def test_ema_is_seeded_with_the_sma_of_the_first_period_values() -> None:
    # k = 2 / (3 + 1) = 0.5: seed mean(1, 2, 3) = 2, then 0.5 * 4 + 0.5 * 2 = 3, then 4.
    np.testing.assert_array_equal(
        batch.ema([1.0, 2.0, 3.0, 4.0, 5.0], 3), [NAN, NAN, 2.0, 3.0, 4.0]
    )


def test_ema_of_a_constant_series_is_that_constant() -> None:
    np.testing.assert_allclose(batch.ema(np.full(50, 7.25), 10)[9:], 7.25, rtol=1e-15)


def test_wma_weights_the_newest_value_most() -> None:
    np.testing.assert_allclose(batch.wma([1.0, 2.0, 3.0], 3), [NAN, NAN, 14.0 / 6.0])


@pytest.mark.parametrize("period", [2, 5, 9])
def test_dema_and_tema_track_a_linear_ramp_without_lag(period: int) -> None:
    # A seeded EMA lags a ramp by exactly (p - 1) / 2, so the lag terms cancel.
    ramp = np.arange(200.0)
    dema, tema = batch.dema(ramp, period), batch.tema(ramp, period)
    np.testing.assert_allclose(dema[2 * (period - 1) :], ramp[2 * (period - 1) :], rtol=1e-12)
    np.testing.assert_allclose(tema[3 * (period - 1) :], ramp[3 * (period - 1) :], rtol=1e-12)
    assert np.isnan(dema[2 * period - 3]) and np.isnan(tema[3 * period - 4])


def test_rsi_is_100_on_rises_0_on_falls_and_0_on_a_flat_series() -> None:
    np.testing.assert_array_equal(batch.rsi(np.arange(10.0), 3)[3:], 100.0)
    np.testing.assert_array_equal(batch.rsi(-np.arange(10.0), 3)[3:], 0.0)
    np.testing.assert_array_equal(batch.rsi(np.full(10, 5.0), 3)[3:], 0.0)


def test_rsi_of_equal_alternating_moves_is_50_and_first_valid_at_period() -> None:
    values = np.array([10.0, 11.0, 10.0, 11.0, 10.0])
    result = batch.rsi(values, 2)
    assert np.isnan(result[:2]).all()
    assert result[2] == pytest.approx(50.0)


def test_macd_fast_ema_is_seeded_at_the_slow_emas_first_index() -> None:
    values = np.array([1.0, 4.0, 2.0, 8.0, 5.0])
    lines = batch.macd(values, fast_period=2, slow_period=3, signal_period=1)
    # TA-Lib: fast seed = mean(values[1:3]), slow seed = mean(values[0:3]), both at index 2.
    assert lines.macd[2] == pytest.approx(3.0 - 7.0 / 3.0)
    assert lines.signal[2] == pytest.approx(lines.macd[2])
    assert lines.histogram[2] == pytest.approx(0.0)
    assert np.isnan(lines.macd[:2]).all()


def test_macd_of_a_constant_is_zero_from_index_slow_plus_signal_minus_two() -> None:
    lines = batch.macd(np.full(60, 3.0))
    assert np.isnan(lines.macd[:33]).all()
    np.testing.assert_allclose(np.column_stack(lines)[33:], 0.0, atol=1e-15)


def test_bollinger_bands_use_the_population_standard_deviation() -> None:
    bands = batch.bollinger_bands([1.0, 2.0, 3.0, 4.0], 4, 2.0, 1.0)
    deviation = math.sqrt(1.25)
    assert bands.middle[3] == pytest.approx(2.5)
    assert bands.upper[3] == pytest.approx(2.5 + 2.0 * deviation)
    assert bands.lower[3] == pytest.approx(2.5 - deviation)


def test_bollinger_bands_collapse_onto_the_middle_on_a_flat_window() -> None:
    bands = batch.bollinger_bands(np.full(30, 0.1), 20)
    np.testing.assert_array_equal(bands.upper[19:], bands.middle[19:])
    np.testing.assert_array_equal(bands.lower[19:], bands.middle[19:])


def test_atr_starts_with_the_mean_true_range_of_bars_one_to_period() -> None:
    high = np.array([10.0, 12.0, 11.0, 15.0, 14.0])
    low = np.array([9.0, 10.0, 8.0, 12.0, 13.0])
    close = np.array([9.5, 11.0, 10.0, 14.0, 13.5])
    # True ranges of bars 1..4: 2.5 (12 - 9.5), 3.0, 5.0 (15 - 10), 1.0
    np.testing.assert_allclose(batch.true_range(high, low, close), [NAN, 2.5, 3.0, 5.0, 1.0])
    result = batch.atr(high, low, close, 3)
    assert np.isnan(result[:3]).all()
    assert result[3] == pytest.approx(10.5 / 3.0)
    assert result[4] == pytest.approx((10.5 / 3.0 * 2.0 + 1.0) / 3.0)


def test_a_steady_uptrend_has_full_plus_di_zero_minus_di_and_adx_100() -> None:
    steps = np.arange(40.0)
    lines = batch.directional_movement(101.0 + steps, 99.0 + steps, 100.0 + steps, 5)
    assert np.isnan(lines.plus_di[:5]).all() and np.isnan(lines.adx[:9]).all()
    np.testing.assert_array_equal(lines.minus_di[5:], 0.0)
    # +DM = 1 and TR = 2 on every bar, so +DI = 50 whatever the smoothing.
    np.testing.assert_allclose(lines.plus_di[5:], 50.0)
    np.testing.assert_allclose(lines.adx[9:], 100.0)


def test_stochastic_is_100_at_the_window_high_and_0_on_a_flat_window() -> None:
    rising = np.arange(1.0, 21.0)
    k, d = batch.stochastic(rising + 1.0, rising - 1.0, rising + 1.0, 5, 3, 3)
    assert np.isnan(k[:8]).all() and np.isnan(d[:8]).all()
    np.testing.assert_allclose(k[8:], 100.0)
    np.testing.assert_allclose(d[8:], 100.0)
    flat = np.full(12, 4.0)
    np.testing.assert_array_equal(batch.stochastic(flat, flat, flat, 3, 2, 2).k[4:], 0.0)


def test_obv_adds_on_up_closes_subtracts_on_down_closes_and_holds_on_equal_ones() -> None:
    np.testing.assert_array_equal(
        batch.obv([1.0, 2.0, 2.0, 1.0], [10.0, 20.0, 30.0, 40.0]), [10.0, 30.0, 30.0, -10.0]
    )


def test_vwap_resets_on_a_new_session_key_and_continues_on_none() -> None:
    high = np.array([11.0, 13.0, 21.0, 23.0, 25.0])
    low = np.array([9.0, 11.0, 19.0, 21.0, 23.0])
    close = np.array([10.0, 12.0, 20.0, 22.0, 24.0])
    volume = np.array([1.0, 3.0, 0.0, 2.0, 2.0])
    sessions = ["d1", None, "d2", "d2", None]
    result = batch.vwap(high, low, close, volume, sessions)
    np.testing.assert_allclose(result[:2], [10.0, (10.0 + 36.0) / 4.0])
    assert np.isnan(result[2])  # the new session has traded no volume yet
    np.testing.assert_allclose(result[3:], [22.0, 23.0])


def test_vwap_without_sessions_is_anchored_at_the_first_bar() -> None:
    typical = np.array([10.0, 20.0, 30.0])
    result = batch.vwap(typical, typical, typical, [1.0, 1.0, 2.0])
    np.testing.assert_allclose(result, [10.0, 15.0, 22.5])


def test_close_to_close_volatility_is_the_sample_std_of_log_returns() -> None:
    close = np.array([100.0, 101.0, 99.0, 102.0, 100.0])
    returns = np.log(close[1:] / close[:-1])
    result = batch.close_to_close_volatility(close, 3)
    assert np.isnan(result[:3]).all()
    np.testing.assert_allclose(
        result[3:], [np.std(returns[:3], ddof=1), np.std(returns[1:], ddof=1)], rtol=1e-12
    )
    annual = batch.close_to_close_volatility(close, 3, periods_per_year=252)
    np.testing.assert_allclose(annual[3:], result[3:] * math.sqrt(252), rtol=1e-15)


def test_parkinson_volatility_of_a_constant_log_range() -> None:
    low = np.full(10, 50.0)
    high = low * math.exp(0.1)
    result = batch.parkinson_volatility(high, low, 4)
    assert np.isnan(result[:3]).all()
    np.testing.assert_allclose(result[3:], 0.1 / math.sqrt(4.0 * math.log(2.0)), rtol=1e-12)


def test_zscore_of_a_known_window_and_of_a_flat_window() -> None:
    result = batch.rolling_zscore([1.0, 2.0, 3.0, 3.0, 3.0, 3.0], 3)
    assert result[2] == pytest.approx(1.0 / math.sqrt(2.0 / 3.0))
    assert result[5] == 0.0


def test_correlation_is_one_for_an_affine_relation_and_zero_against_a_flat_series() -> None:
    x = np.random.default_rng(0).normal(size=50)
    np.testing.assert_allclose(batch.rolling_correlation(2.0 * x + 1.0, x, 10)[9:], 1.0)
    np.testing.assert_allclose(batch.rolling_correlation(-x, x, 10)[9:], -1.0)
    np.testing.assert_array_equal(batch.rolling_correlation(x, np.full(50, 0.01), 10)[9:], 0.0)


def test_beta_recovers_the_slope_and_is_zero_against_a_flat_benchmark() -> None:
    benchmark = np.random.default_rng(1).normal(0.0, 0.01, 60)
    np.testing.assert_allclose(
        batch.rolling_beta(1.5 * benchmark + 0.001, benchmark, 20)[19:], 1.5, rtol=1e-10
    )
    np.testing.assert_array_equal(batch.rolling_beta(benchmark, np.zeros(60), 20)[19:], 0.0)


def test_series_shorter_than_the_warm_up_are_all_nan_and_empty_series_are_empty() -> None:
    assert np.isnan(batch.ema([1.0, 2.0], 5)).all()
    assert np.isnan(batch.macd(np.ones(20)).macd).all()
    assert np.isnan(batch.directional_movement([2.0, 3.0], [1.0, 2.0], [1.5, 2.5], 5).adx).all()
    assert batch.sma([], 3).shape == (0,)
    assert batch.obv([], []).shape == (0,)
