"""The streaming form equals the batch form bar for bar, and snapshots restore exactly."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bounded_contexts.intelligence.domain.indicators import batch, streaming
from bounded_contexts.intelligence.domain.indicators.errors import (
    InvalidBarError,
    InvalidSnapshotError,
)

LENGTH = 3_000


def random_bars(seed: int, length: int = LENGTH, tick: float | None = None) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, length)))
    high = close * (1.0 + rng.uniform(0.0, 0.01, length))
    low = close * (1.0 - rng.uniform(0.0, 0.01, length))
    if tick is not None:
        close, high, low = (np.round(x / tick) * tick for x in (close, high, low))
    benchmark = rng.normal(0.0, 0.01, length)
    return {
        "high": high,
        "low": low,
        "close": close,
        "volume": rng.uniform(0.0, 1_000.0, length),
        "session": [f"2024-01-{1 + i // 250:02d}" for i in range(length)],
        "benchmark": benchmark,
        "asset": 1.3 * benchmark + rng.normal(0.0, 0.01, length),
    }


@dataclass(frozen=True)
class Case:
    """One streaming class, the batch function it must equal, and the columns it consumes."""

    make: Callable[[], streaming.StreamingIndicator]
    compute: Callable[[dict[str, Any]], Sequence[np.ndarray] | np.ndarray]
    columns: tuple[str, ...]


OHLC = ("high", "low", "close")
CASES: dict[str, Case] = {
    "sma": Case(
        lambda: streaming.SimpleMovingAverage(9), lambda b: batch.sma(b["close"], 9), ("close",)
    ),
    "ema": Case(
        lambda: streaming.ExponentialMovingAverage(9),
        lambda b: batch.ema(b["close"], 9),
        ("close",),
    ),
    "wma": Case(
        lambda: streaming.WeightedMovingAverage(9), lambda b: batch.wma(b["close"], 9), ("close",)
    ),
    "dema": Case(
        lambda: streaming.DoubleExponentialMovingAverage(7),
        lambda b: batch.dema(b["close"], 7),
        ("close",),
    ),
    "tema": Case(
        lambda: streaming.TripleExponentialMovingAverage(7),
        lambda b: batch.tema(b["close"], 7),
        ("close",),
    ),
    "rsi": Case(
        lambda: streaming.RelativeStrengthIndex(14), lambda b: batch.rsi(b["close"], 14), ("close",)
    ),
    "macd": Case(
        lambda: streaming.Macd(12, 26, 9), lambda b: batch.macd(b["close"], 12, 26, 9), ("close",)
    ),
    "bollinger": Case(
        lambda: streaming.BollingerBands(20, 2.0, 1.0),
        lambda b: batch.bollinger_bands(b["close"], 20, 2.0, 1.0),
        ("close",),
    ),
    "atr": Case(
        lambda: streaming.AverageTrueRange(14),
        lambda b: batch.atr(b["high"], b["low"], b["close"], 14),
        OHLC,
    ),
    "dmi": Case(
        lambda: streaming.DirectionalMovementIndex(14),
        lambda b: batch.directional_movement(b["high"], b["low"], b["close"], 14),
        OHLC,
    ),
    "stochastic": Case(
        lambda: streaming.Stochastic(14, 3, 3),
        lambda b: batch.stochastic(b["high"], b["low"], b["close"], 14, 3, 3),
        OHLC,
    ),
    "obv": Case(
        streaming.OnBalanceVolume, lambda b: batch.obv(b["close"], b["volume"]), ("close", "volume")
    ),
    "vwap": Case(
        streaming.SessionVwap,
        lambda b: batch.vwap(b["high"], b["low"], b["close"], b["volume"], b["session"]),
        (*OHLC, "volume", "session"),
    ),
    "close_to_close_volatility": Case(
        lambda: streaming.CloseToCloseVolatility(20, 252.0),
        lambda b: batch.close_to_close_volatility(b["close"], 20, 252.0),
        ("close",),
    ),
    "parkinson_volatility": Case(
        lambda: streaming.ParkinsonVolatility(20, 252.0),
        lambda b: batch.parkinson_volatility(b["high"], b["low"], 20, 252.0),
        ("high", "low"),
    ),
    "zscore": Case(
        lambda: streaming.RollingZScore(20),
        lambda b: batch.rolling_zscore(b["close"], 20),
        ("close",),
    ),
    "correlation": Case(
        lambda: streaming.RollingCorrelation(30),
        lambda b: batch.rolling_correlation(b["asset"], b["benchmark"], 30),
        ("asset", "benchmark"),
    ),
    "beta": Case(
        lambda: streaming.RollingBeta(30),
        lambda b: batch.rolling_beta(b["asset"], b["benchmark"], 30),
        ("asset", "benchmark"),
    ),
}


def as_row(output: object, width: int) -> list[float]:
    if output is None:
        return [math.nan] * width
    if isinstance(output, tuple):
        return [math.nan if value is None else float(value) for value in output]
    return [float(output)]  # type: ignore[arg-type]


def run_stream(
    indicator: streaming.StreamingIndicator,
    bars: dict[str, Any],
    columns: tuple[str, ...],
    start: int = 0,
    stop: int | None = None,
) -> list[object]:
    stop = len(bars["close"]) if stop is None else stop
    return [indicator.update(*(bars[c][i] for c in columns)) for i in range(start, stop)]  # type: ignore[attr-defined]


def batch_matrix(case: Case, bars: dict[str, Any]) -> np.ndarray:
    result = case.compute(bars)
    return np.column_stack(result if isinstance(result, tuple) else [result])


def stream_matrix(outputs: list[object], width: int) -> np.ndarray:
    return np.array([as_row(output, width) for output in outputs])


@pytest.mark.parametrize("tick", [None, 0.05])
@pytest.mark.parametrize("name", sorted(CASES))
def test_streaming_equals_batch_over_a_long_random_series(name: str, tick: float | None) -> None:
    case = CASES[name]
    bars = random_bars(21, tick=tick)
    expected = batch_matrix(case, bars)
    actual = stream_matrix(run_stream(case.make(), bars, case.columns), expected.shape[1])
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    # z-score and MACD are differences of nearly equal numbers: compare on an absolute scale too.
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-10, equal_nan=True)


@settings(max_examples=8, deadline=None)
@given(split=st.integers(min_value=0, max_value=120))
@pytest.mark.parametrize("name", sorted(CASES))
def test_a_restored_snapshot_continues_exactly_like_the_original(name: str, split: int) -> None:
    case = CASES[name]
    bars = random_bars(5, length=160)
    original = case.make()
    run_stream(original, bars, case.columns, 0, split)
    text = json.dumps(original.snapshot(), allow_nan=False)
    restored = type(original).restore(json.loads(text))
    assert run_stream(restored, bars, case.columns, split) == run_stream(
        original, bars, case.columns, split
    )


SINGLE_VALUE_INPUT = {"sma", "ema", "wma", "dema", "tema", "rsi", "macd", "bollinger", "zscore"}


def field_name(name: str, column: str) -> str:
    """The parameter name the streaming class reports for a column of the test bars."""
    if name in SINGLE_VALUE_INPUT:
        return "value"
    return {"asset": "asset_return", "benchmark": "benchmark_return"}.get(column, column)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_rejected_bar_names_the_field_and_leaves_the_state_unchanged(name: str) -> None:
    case = CASES[name]
    bars = random_bars(6, length=60)
    indicator = case.make()
    run_stream(indicator, bars, case.columns, 0, 40)
    before = indicator.snapshot()
    numeric = [column for column in case.columns if column != "session"]
    for bad_column in numeric:
        values = [bars[c][40] for c in case.columns]
        values[case.columns.index(bad_column)] = math.nan
        with pytest.raises(InvalidBarError, match=f"{field_name(name, bad_column)} is nan"):
            indicator.update(*values)  # type: ignore[attr-defined]
        assert indicator.snapshot() == before


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_snapshot_size_does_not_grow_with_the_number_of_bars(name: str) -> None:
    case = CASES[name]
    bars = random_bars(9, length=2_000)
    indicator = case.make()
    run_stream(indicator, bars, case.columns, 0, 200)
    early = len(json.dumps(indicator.snapshot()))
    run_stream(indicator, bars, case.columns, 200, 2_000)
    # Only integer counters gain digits; the window state itself is bounded.
    assert len(json.dumps(indicator.snapshot())) <= early + 200


def test_restore_refuses_a_snapshot_of_another_indicator() -> None:
    snapshot = streaming.SimpleMovingAverage(5).snapshot()
    with pytest.raises(InvalidSnapshotError, match="cannot restore a ExponentialMovingAverage"):
        streaming.ExponentialMovingAverage.restore(snapshot)


def test_restore_refuses_an_unknown_format_and_missing_fields() -> None:
    snapshot = streaming.RelativeStrengthIndex(5).snapshot()
    with pytest.raises(InvalidSnapshotError, match="format"):
        streaming.RelativeStrengthIndex.restore({**snapshot, "format": "other"})
    damaged = {**snapshot, "state": {k: v for k, v in snapshot["state"].items() if k != "period"}}
    with pytest.raises(InvalidSnapshotError, match="exactly the fields"):
        streaming.RelativeStrengthIndex.restore(damaged)


def test_restore_refuses_a_nested_state_of_an_unknown_kind() -> None:
    snapshot = streaming.SimpleMovingAverage(5).snapshot()
    snapshot["state"]["_window"]["kind"] = "SomethingElse"
    with pytest.raises(InvalidSnapshotError, match="unknown state kind"):
        streaming.SimpleMovingAverage.restore(snapshot)


def test_streaming_rejects_high_below_low_and_negative_volume_without_changing_state() -> None:
    atr = streaming.AverageTrueRange(3)
    atr.update(10.0, 9.0, 9.5)
    before = atr.snapshot()
    with pytest.raises(InvalidBarError, match=r"high \(8\.0\) is below low \(9\.0\)"):
        atr.update(8.0, 9.0, 8.5)
    assert atr.snapshot() == before
    vwap = streaming.SessionVwap()
    with pytest.raises(InvalidBarError, match=r"volume is -1\.0"):
        vwap.update(10.0, 9.0, 9.5, -1.0)
    with pytest.raises(InvalidBarError, match="session must be a string or None"):
        vwap.update(10.0, 9.0, 9.5, 1.0, session=20240102)  # type: ignore[arg-type]


def test_streaming_rejects_non_positive_prices_where_logarithms_are_taken() -> None:
    with pytest.raises(InvalidBarError, match=r"close is 0\.0; prices must be positive"):
        streaming.CloseToCloseVolatility(5).update(0.0)
    with pytest.raises(InvalidBarError, match=r"low is -1\.0"):
        streaming.ParkinsonVolatility(5).update(1.0, -1.0)


def test_streaming_rejects_a_non_number() -> None:
    with pytest.raises(InvalidBarError, match=r"value must be a real number, got '1\.0'"):
        streaming.SimpleMovingAverage(3).update("1.0")  # type: ignore[arg-type]
