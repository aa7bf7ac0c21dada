"""Invariants that must hold for any input: bounds, orderings and scale or shift symmetries."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bounded_contexts.intelligence.domain.indicators import batch

PRICES = arrays(
    np.float64,
    st.integers(min_value=1, max_value=120),
    elements=st.floats(min_value=1.0, max_value=1_000.0, allow_nan=False),
)
PERIODS = st.integers(min_value=1, max_value=15)
SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def ohlc(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    close = draw(PRICES)
    spread = draw(arrays(np.float64, len(close), elements=st.floats(min_value=0.0, max_value=0.2)))
    position = draw(arrays(np.float64, len(close), elements=st.floats(0.0, 1.0)))
    high = close * (1.0 + spread * position)
    low = close * (1.0 - spread * (1.0 - position))
    return high, low, close


def finite(values: np.ndarray) -> np.ndarray:
    return values[~np.isnan(values)]


@SETTINGS
@given(PRICES, PERIODS)
def test_rsi_stays_between_0_and_100(close: np.ndarray, period: int) -> None:
    values = finite(batch.rsi(close, period))
    assert ((values >= 0.0) & (values <= 100.0)).all()


@SETTINGS
@given(ohlc(), PERIODS)
def test_stochastic_and_directional_indicators_stay_between_0_and_100(
    bars: tuple[np.ndarray, np.ndarray, np.ndarray], period: int
) -> None:
    high, low, close = bars
    for line in (
        *batch.stochastic(high, low, close, period, 3, 3),
        *batch.directional_movement(high, low, close, period),
    ):
        values = finite(line)
        assert ((values >= -1e-9) & (values <= 100.0 + 1e-9)).all()


@SETTINGS
@given(ohlc(), PERIODS)
def test_atr_and_both_volatilities_are_never_negative(
    bars: tuple[np.ndarray, np.ndarray, np.ndarray], period: int
) -> None:
    high, low, close = bars
    assert (finite(batch.atr(high, low, close, period)) >= 0.0).all()
    assert (finite(batch.parkinson_volatility(high, low, period)) >= 0.0).all()
    assert (finite(batch.close_to_close_volatility(close, period + 1)) >= 0.0).all()


@SETTINGS
@given(PRICES, PERIODS)
def test_bollinger_bands_are_ordered_and_the_sma_lies_inside_the_window_range(
    close: np.ndarray, period: int
) -> None:
    middle, upper, lower = batch.bollinger_bands(close, period)
    valid = ~np.isnan(middle)
    assert (lower[valid] <= middle[valid]).all() and (middle[valid] <= upper[valid]).all()
    for i in np.flatnonzero(valid):
        window = close[i - period + 1 : i + 1]
        assert window.min() - 1e-9 <= middle[i] <= window.max() + 1e-9


@SETTINGS
@given(ohlc(), st.lists(st.sampled_from(["a", "b", None]), min_size=120, max_size=120))
def test_vwap_lies_between_the_lowest_low_and_highest_high_seen(
    bars: tuple[np.ndarray, np.ndarray, np.ndarray], keys: list[str | None]
) -> None:
    high, low, close = bars
    volume = np.linspace(1.0, 2.0, len(close))
    result = batch.vwap(high, low, close, volume, keys[: len(close)])
    assert (result >= low.min() - 1e-9).all() and (result <= high.max() + 1e-9).all()


@SETTINGS
@given(PRICES, PERIODS, st.integers(min_value=-50, max_value=50))
def test_shifting_prices_shifts_averages_and_leaves_rsi_unchanged(
    close: np.ndarray, period: int, shift: int
) -> None:
    # Prices on a 1/64 grid and whole shifts keep every price change exact, so a change of one
    # ulp cannot turn into no change (which would flip the RSI between 100 and 0).
    close = np.round(close * 64.0) / 64.0
    np.testing.assert_allclose(
        batch.ema(close + shift, period), batch.ema(close, period) + shift, rtol=1e-9, atol=1e-9
    )
    np.testing.assert_allclose(
        batch.rsi(close + shift, period), batch.rsi(close, period), rtol=1e-6, atol=1e-6
    )


@SETTINGS
@given(
    arrays(np.float64, 60, elements=st.floats(-0.05, 0.05)),
    arrays(np.float64, 60, elements=st.floats(-0.05, 0.05)),
    st.integers(min_value=2, max_value=30),
    st.floats(min_value=0.5, max_value=4.0),
)
# Cases Hypothesis found (the test failed about one run in five): a flat asset's co-moment
# residue divided by a small benchmark variance (beta -9.5e-6 vs 0), and by a denormal-range one
# (beta 1.5e138 vs 0).
@example(np.full(60, 0.0390625), np.array([1e-12] + [0.0] * 59), 3, 1.5)
@example(np.full(60, 0.0390625), np.array([1e-155] + [0.0] * 59), 3, 1.5)
@example(np.full(60, 0.01), np.array([3e-158] + [0.0] * 59), 3, 1.5)
def test_correlation_is_bounded_and_beta_scales_with_the_asset(
    asset: np.ndarray, benchmark: np.ndarray, period: int, scale: float
) -> None:
    correlation = finite(batch.rolling_correlation(asset, benchmark, period))
    assert ((correlation >= -1.0) & (correlation <= 1.0)).all()
    np.testing.assert_allclose(
        batch.rolling_beta(scale * asset, benchmark, period),
        scale * batch.rolling_beta(asset, benchmark, period),
        rtol=1e-7,
        atol=1e-9,
    )


@SETTINGS
@given(PRICES, PERIODS)
def test_every_output_has_the_input_length_and_nan_only_in_its_warm_up(
    close: np.ndarray, period: int
) -> None:
    for line, first_valid in (
        (batch.sma(close, period), period - 1),
        (batch.ema(close, period), period - 1),
        (batch.wma(close, period), period - 1),
        (batch.dema(close, period), 2 * (period - 1)),
        (batch.tema(close, period), 3 * (period - 1)),
        (batch.rsi(close, period), period),
    ):
        assert len(line) == len(close)
        assert np.isnan(line[:first_valid]).all()
        assert not np.isnan(line[first_valid:]).any()
