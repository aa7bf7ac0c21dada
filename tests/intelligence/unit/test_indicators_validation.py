"""Every public batch function rejects bad input with an error naming the cause and position."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from bounded_contexts.intelligence.domain.indicators import batch, streaming
from bounded_contexts.intelligence.domain.indicators.errors import (
    IndicatorError,
    InvalidParameterError,
    InvalidPeriodError,
    InvalidSeriesError,
)

N = 50
RNG = np.random.default_rng(0)
CLOSE = 100.0 + np.cumsum(RNG.normal(0.0, 1.0, N))
HIGH = CLOSE + 1.0
LOW = CLOSE - 1.0
VOLUME = RNG.uniform(1.0, 10.0, N)

# name -> (call with a dict of inputs, the input names it reads, whether it takes a period)
Call = Callable[[dict[str, Any], Any], Any]
FUNCTIONS: dict[str, tuple[Call, tuple[str, ...]]] = {
    "sma": (lambda a, p: batch.sma(a["values"], p), ("values",)),
    "ema": (lambda a, p: batch.ema(a["values"], p), ("values",)),
    "wma": (lambda a, p: batch.wma(a["values"], p), ("values",)),
    "dema": (lambda a, p: batch.dema(a["values"], p), ("values",)),
    "tema": (lambda a, p: batch.tema(a["values"], p), ("values",)),
    "rsi": (lambda a, p: batch.rsi(a["values"], p), ("values",)),
    "macd": (lambda a, p: batch.macd(a["values"], p, 26, 9), ("values",)),
    "bollinger_bands": (lambda a, p: batch.bollinger_bands(a["values"], p), ("values",)),
    "rolling_zscore": (lambda a, p: batch.rolling_zscore(a["values"], p), ("values",)),
    "atr": (lambda a, p: batch.atr(a["high"], a["low"], a["close"], p), ("high", "low", "close")),
    "directional_movement": (
        lambda a, p: batch.directional_movement(a["high"], a["low"], a["close"], p),
        ("high", "low", "close"),
    ),
    "stochastic": (
        lambda a, p: batch.stochastic(a["high"], a["low"], a["close"], p, 3, 3),
        ("high", "low", "close"),
    ),
    "close_to_close_volatility": (
        lambda a, p: batch.close_to_close_volatility(a["close"], p),
        ("close",),
    ),
    "parkinson_volatility": (
        lambda a, p: batch.parkinson_volatility(a["high"], a["low"], p),
        ("high", "low"),
    ),
    "rolling_correlation": (
        lambda a, p: batch.rolling_correlation(a["asset_returns"], a["benchmark_returns"], p),
        ("asset_returns", "benchmark_returns"),
    ),
    "rolling_beta": (
        lambda a, p: batch.rolling_beta(a["asset_returns"], a["benchmark_returns"], p),
        ("asset_returns", "benchmark_returns"),
    ),
}
WITHOUT_PERIOD: dict[str, tuple[Call, tuple[str, ...]]] = {
    "true_range": (
        lambda a, _: batch.true_range(a["high"], a["low"], a["close"]),
        ("high", "low", "close"),
    ),
    "obv": (lambda a, _: batch.obv(a["close"], a["volume"]), ("close", "volume")),
    "vwap": (
        lambda a, _: batch.vwap(a["high"], a["low"], a["close"], a["volume"]),
        ("high", "low", "close", "volume"),
    ),
}
ALL_FUNCTIONS = {**FUNCTIONS, **WITHOUT_PERIOD}
HIGH_LOW_FUNCTIONS = [
    name for name, (_, inputs) in ALL_FUNCTIONS.items() if {"high", "low"} <= set(inputs)
]


def good_inputs() -> dict[str, np.ndarray]:
    return {
        "values": CLOSE.copy(),
        "close": CLOSE.copy(),
        "high": HIGH.copy(),
        "low": LOW.copy(),
        "volume": VOLUME.copy(),
        "asset_returns": RNG.normal(0.0, 0.01, N),
        "benchmark_returns": RNG.normal(0.0, 0.01, N),
    }


@pytest.mark.parametrize("name", sorted(ALL_FUNCTIONS))
@pytest.mark.parametrize(
    ("bad", "shown"), [(math.nan, "NaN"), (math.inf, r"\+inf"), (-math.inf, "-inf")]
)
def test_a_non_finite_input_is_reported_with_its_array_and_position(
    name: str, bad: float, shown: str
) -> None:
    call, inputs = ALL_FUNCTIONS[name]
    for input_name in inputs:
        arrays = good_inputs()
        arrays[input_name][17] = bad
        with pytest.raises(InvalidSeriesError, match=rf"^{input_name}\[17\] is {shown}$"):
            call(arrays, 5)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("period", [0, -3, 2.0, True, "5", None])
def test_a_period_that_is_not_a_positive_integer_is_refused(name: str, period: object) -> None:
    call, _ = FUNCTIONS[name]
    with pytest.raises(InvalidPeriodError, match="must be an integer >="):
        call(good_inputs(), period)


@pytest.mark.parametrize(
    "name", ["rolling_zscore", "close_to_close_volatility", "rolling_correlation", "rolling_beta"]
)
def test_sample_statistics_need_a_period_of_at_least_two(name: str) -> None:
    call, _ = FUNCTIONS[name]
    with pytest.raises(InvalidPeriodError, match=">= 2, got 1"):
        call(good_inputs(), 1)


MULTI_INPUT_FUNCTIONS = [name for name, (_, inputs) in ALL_FUNCTIONS.items() if len(inputs) > 1]


@pytest.mark.parametrize("name", sorted(MULTI_INPUT_FUNCTIONS))
def test_arrays_of_different_lengths_are_refused(name: str) -> None:
    call, inputs = ALL_FUNCTIONS[name]
    arrays = good_inputs()
    arrays[inputs[-1]] = arrays[inputs[-1]][:-1]
    with pytest.raises(InvalidSeriesError, match=f"same length: .*{inputs[-1]} has {N - 1}"):
        call(arrays, 5)


@pytest.mark.parametrize("name", sorted(HIGH_LOW_FUNCTIONS))
def test_a_bar_whose_high_is_below_its_low_is_refused_at_its_position(name: str) -> None:
    call, _ = ALL_FUNCTIONS[name]
    arrays = good_inputs()
    arrays["high"][23] = arrays["low"][23] - 0.5
    expected = (
        f"high[23] ({float(arrays['high'][23])!r}) is below low[23] ({float(arrays['low'][23])!r})"
    )
    with pytest.raises(InvalidSeriesError, match=f"^{re.escape(expected)}$"):
        call(arrays, 5)


@pytest.mark.parametrize("name", ["obv", "vwap"])
def test_a_negative_volume_is_refused(name: str) -> None:
    call, _ = ALL_FUNCTIONS[name]
    arrays = good_inputs()
    arrays["volume"][4] = -1.0
    with pytest.raises(InvalidSeriesError, match=r"volume\[4\] is -1\.0; it must not be negative"):
        call(arrays, 5)


def test_logarithmic_volatilities_refuse_non_positive_prices() -> None:
    close = CLOSE.copy()
    close[8] = 0.0
    with pytest.raises(InvalidSeriesError, match=r"close\[8\] is 0\.0; prices must be positive"):
        batch.close_to_close_volatility(close, 5)
    with pytest.raises(InvalidSeriesError, match=r"low\[2\] is -1\.0"):
        batch.parkinson_volatility(np.full(5, 1.0), np.array([0.5, 0.5, -1.0, 0.5, 0.5]), 2)


def test_two_dimensional_and_non_numeric_inputs_are_refused() -> None:
    with pytest.raises(
        InvalidSeriesError, match=r"values must be one-dimensional, got shape \(2, 2\)"
    ):
        batch.sma(np.ones((2, 2)), 2)
    with pytest.raises(InvalidSeriesError, match="values cannot be read as float64 numbers"):
        batch.ema(["a", "b"], 2)


def test_macd_refuses_a_fast_period_not_shorter_than_the_slow_one() -> None:
    with pytest.raises(
        InvalidPeriodError, match=r"fast_period \(26\) must be shorter than slow_period \(12\)"
    ):
        batch.macd(CLOSE, 26, 12, 9)
    with pytest.raises(InvalidPeriodError, match="fast_period"):
        streaming.Macd(5, 5, 3)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: batch.bollinger_bands(CLOSE, 5, -1.0),
            "deviations_up must be a finite number >= 0",
        ),
        (lambda: batch.bollinger_bands(CLOSE, 5, 2.0, math.nan), "deviations_down"),
        (lambda: batch.close_to_close_volatility(CLOSE, 5, 0.0), "periods_per_year must be"),
        (lambda: batch.parkinson_volatility(HIGH, LOW, 5, -252.0), "periods_per_year"),
        (lambda: streaming.ParkinsonVolatility(5, math.inf), "periods_per_year"),
        (lambda: streaming.BollingerBands(5, "2"), "deviations_up must be a real number"),
    ],
)
def test_out_of_range_parameters_are_refused(call: Callable[[], object], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        call()


def test_vwap_refuses_a_sessions_list_of_the_wrong_length() -> None:
    with pytest.raises(
        InvalidSeriesError, match=f"sessions has 3 entries but the price arrays have {N}"
    ):
        batch.vwap(HIGH, LOW, CLOSE, VOLUME, ["a", "b", "c"])


@pytest.mark.parametrize(
    "make",
    [
        streaming.SimpleMovingAverage,
        streaming.ExponentialMovingAverage,
        streaming.WeightedMovingAverage,
        streaming.DoubleExponentialMovingAverage,
        streaming.TripleExponentialMovingAverage,
        streaming.RelativeStrengthIndex,
        streaming.BollingerBands,
        streaming.AverageTrueRange,
        streaming.DirectionalMovementIndex,
        streaming.Stochastic,
        streaming.CloseToCloseVolatility,
        streaming.ParkinsonVolatility,
        streaming.RollingZScore,
        streaming.RollingCorrelation,
        streaming.RollingBeta,
    ],
)
def test_streaming_constructors_refuse_a_zero_period(make: Callable[[int], object]) -> None:
    with pytest.raises(InvalidPeriodError, match="got 0"):
        make(0)


def test_every_error_is_a_value_error() -> None:
    assert issubclass(IndicatorError, ValueError)
    with pytest.raises(ValueError, match="period"):
        batch.sma(CLOSE, 0)
