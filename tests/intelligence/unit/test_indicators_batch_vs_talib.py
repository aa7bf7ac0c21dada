"""The batch form reproduces TA-Lib on long random series, warm-up positions included."""

from __future__ import annotations

import numpy as np
import pytest
import talib

from bounded_contexts.intelligence.domain.indicators import batch

LENGTH = 4_000
PERIODS = [2, 5, 14, 30]


def random_bars(seed: int, tick: float | None = None) -> dict[str, np.ndarray]:
    """Random-walk OHLCV bars; with ``tick`` the prices sit on a grid, so ties, unchanged closes
    and equal highs (the branches of +DM/-DM, RSI and OBV) occur often."""
    rng = np.random.default_rng(seed)
    close = 100.0 + np.cumsum(rng.normal(0.0, 1.0, LENGTH))
    high = close + rng.uniform(0.0, 2.0, LENGTH)
    low = close - rng.uniform(0.0, 2.0, LENGTH)
    if tick is not None:
        close, high, low = (np.round(x / tick) * tick for x in (close, high, low))
    volume = rng.uniform(0.0, 1_000.0, LENGTH)
    return {"high": high, "low": low, "close": close, "volume": volume}


SERIES = [random_bars(7), random_bars(8, tick=0.5)]


def assert_matches(ours: np.ndarray, reference: np.ndarray, atol: float = 0.0) -> None:
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(reference))
    np.testing.assert_allclose(ours, reference, rtol=1e-9, atol=atol, equal_nan=True)


@pytest.mark.parametrize("bars", SERIES)
@pytest.mark.parametrize("period", PERIODS)
def test_moving_averages_match_talib(bars: dict[str, np.ndarray], period: int) -> None:
    close = bars["close"]
    assert_matches(batch.sma(close, period), talib.SMA(close, period))
    assert_matches(batch.ema(close, period), talib.EMA(close, period))
    assert_matches(batch.wma(close, period), talib.WMA(close, period))
    assert_matches(batch.dema(close, period), talib.DEMA(close, period))
    assert_matches(batch.tema(close, period), talib.TEMA(close, period))


@pytest.mark.parametrize("bars", SERIES)
@pytest.mark.parametrize("period", PERIODS)
def test_rsi_matches_talib(bars: dict[str, np.ndarray], period: int) -> None:
    assert_matches(batch.rsi(bars["close"], period), talib.RSI(bars["close"], period))


@pytest.mark.parametrize("bars", SERIES)
@pytest.mark.parametrize(("fast", "slow", "signal"), [(12, 26, 9), (3, 10, 16), (5, 6, 1)])
def test_macd_matches_talib_including_its_alignment(
    bars: dict[str, np.ndarray], fast: int, slow: int, signal: int
) -> None:
    ours = batch.macd(bars["close"], fast, slow, signal)
    reference = talib.MACD(bars["close"], fast, slow, signal)
    # The MACD line is a difference of two ~100-sized EMAs, so compare it on an absolute scale.
    for line, expected in zip(ours, reference, strict=True):
        assert_matches(line, expected, atol=1e-10)


@pytest.mark.parametrize("bars", SERIES)
@pytest.mark.parametrize("period", PERIODS)
def test_bollinger_bands_match_talib_bbands(bars: dict[str, np.ndarray], period: int) -> None:
    middle, upper, lower = batch.bollinger_bands(bars["close"], period, 2.0, 1.5)
    reference_upper, reference_middle, reference_lower = talib.BBANDS(
        bars["close"], period, 2.0, 1.5, 0
    )
    assert_matches(middle, reference_middle)
    assert_matches(upper, reference_upper)
    assert_matches(lower, reference_lower)


@pytest.mark.parametrize("bars", SERIES)
@pytest.mark.parametrize("period", [1, *PERIODS])
def test_true_range_and_atr_match_talib(bars: dict[str, np.ndarray], period: int) -> None:
    h, lo, c = bars["high"], bars["low"], bars["close"]
    assert_matches(batch.true_range(h, lo, c), talib.TRANGE(h, lo, c))
    assert_matches(batch.atr(h, lo, c, period), talib.ATR(h, lo, c, period))


@pytest.mark.parametrize("bars", SERIES)
@pytest.mark.parametrize("period", PERIODS)
def test_directional_movement_matches_talib_plus_di_minus_di_and_adx(
    bars: dict[str, np.ndarray], period: int
) -> None:
    h, lo, c = bars["high"], bars["low"], bars["close"]
    plus_di, minus_di, adx = batch.directional_movement(h, lo, c, period)
    assert_matches(plus_di, talib.PLUS_DI(h, lo, c, period))
    assert_matches(minus_di, talib.MINUS_DI(h, lo, c, period))
    assert_matches(adx, talib.ADX(h, lo, c, period))


def test_adx_matches_talib_when_the_series_starts_flat_and_dx_is_undefined() -> None:
    bars = random_bars(11)
    h, lo, c = (bars[name].copy() for name in ("high", "low", "close"))
    h[:40], lo[:40], c[:40] = 101.0, 99.0, 100.0
    plus_di, minus_di, adx = batch.directional_movement(h, lo, c, 14)
    assert_matches(adx, talib.ADX(h, lo, c, 14))
    assert_matches(plus_di, talib.PLUS_DI(h, lo, c, 14))
    assert_matches(minus_di, talib.MINUS_DI(h, lo, c, 14))


@pytest.mark.parametrize("bars", SERIES)
@pytest.mark.parametrize(("fastk", "slowk", "slowd"), [(5, 3, 3), (14, 3, 3), (1, 1, 1), (9, 1, 4)])
def test_stochastic_matches_talib_stoch_with_sma_smoothing(
    bars: dict[str, np.ndarray], fastk: int, slowk: int, slowd: int
) -> None:
    h, lo, c = bars["high"], bars["low"], bars["close"]
    k, d = batch.stochastic(h, lo, c, fastk, slowk, slowd)
    reference_k, reference_d = talib.STOCH(h, lo, c, fastk, slowk, 0, slowd, 0)
    # Percent scale: TA-Lib's running sums leave ~1e-14 residue where the exact value is 0.
    assert_matches(k, reference_k, atol=1e-10)
    assert_matches(d, reference_d, atol=1e-10)


@pytest.mark.parametrize("bars", SERIES)
def test_obv_matches_talib(bars: dict[str, np.ndarray]) -> None:
    assert_matches(
        batch.obv(bars["close"], bars["volume"]), talib.OBV(bars["close"], bars["volume"])
    )


def simple_returns(prices: np.ndarray) -> np.ndarray:
    return np.diff(prices) / prices[:-1]


@pytest.mark.parametrize("period", [5, 20, 60])
def test_rolling_correlation_matches_talib_correl(period: int) -> None:
    rng = np.random.default_rng(3)
    benchmark = rng.normal(0.0, 0.02, LENGTH)
    asset = 0.6 * benchmark + rng.normal(0.0, 0.02, LENGTH)
    assert_matches(
        batch.rolling_correlation(asset, benchmark, period), talib.CORREL(asset, benchmark, period)
    )


@pytest.mark.parametrize("period", [5, 20, 60])
def test_rolling_beta_matches_talib_beta_on_the_same_simple_returns(period: int) -> None:
    rng = np.random.default_rng(4)
    benchmark_prices = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, LENGTH)))
    asset_prices = 50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.015, LENGTH)))
    ours = batch.rolling_beta(
        simple_returns(asset_prices), simple_returns(benchmark_prices), period
    )
    # TA-Lib differences the prices itself; its first argument is the benchmark (regressor).
    assert_matches(ours, talib.BETA(benchmark_prices, asset_prices, period)[1:])


def test_flat_windows_give_zero_in_both_libraries() -> None:
    flat = np.full(60, 0.1)
    ramp = np.arange(60.0)
    middle, upper, _ = batch.bollinger_bands(flat, 20)
    reference_upper, reference_middle, _ = talib.BBANDS(flat, 20, 2.0, 2.0, 0)
    np.testing.assert_array_equal((upper - middle)[19:], 0.0)
    np.testing.assert_array_equal((reference_upper - reference_middle)[19:], 0.0)
    np.testing.assert_array_equal(batch.rsi(flat, 14)[14:], talib.RSI(flat, 14)[14:])
    np.testing.assert_array_equal(
        batch.rolling_correlation(flat, ramp, 20)[19:], talib.CORREL(flat, ramp, 20)[19:]
    )
    high, low = flat + 0.05, flat - 0.05
    np.testing.assert_array_equal(
        batch.directional_movement(high, low, flat, 5).adx[9:], talib.ADX(high, low, flat, 5)[9:]
    )
