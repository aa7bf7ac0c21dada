"""Benchmark of the technical indicators (bounded_contexts/intelligence/domain/indicators).

(a) Streaming: cost per bar of ``IndicatorBank.update`` (all 23 outputs together) over 200,000
    bars, beside a reference measured in the same run: recomputing the latest value of the
    TA-Lib-covered indicators with ``talib.stream`` over a trailing 300-bar window each bar (what a
    live loop without incremental state would do).
(b) Batch: ``compute_batch`` of everything on 1,000,000 bars, and our batch functions for the
    indicators TA-Lib also has, beside TA-Lib's time for that same set on the same arrays.

Run: .venv/bin/python bench/bench_indicators.py
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import talib
from talib import stream

from bounded_contexts.intelligence.domain.indicators import batch
from bounded_contexts.intelligence.domain.indicators.bank import (
    IndicatorBank,
    IndicatorBankConfig,
    compute_batch,
)

STREAM_BARS = 200_000
REFERENCE_STREAM_BARS = 20_000
REFERENCE_WINDOW = 300
BATCH_BARS = 1_000_000
CONFIG = IndicatorBankConfig()


def make_bars(length: int, seed: int = 42) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.001, length)))
    high = close * (1.0 + rng.uniform(0.0, 0.002, length))
    low = close * (1.0 - rng.uniform(0.0, 0.002, length))
    return {
        "open": close.copy(),
        "high": high,
        "low": low,
        "close": close,
        "volume": rng.uniform(1.0, 1_000.0, length),
    }


def best_of(repeats: int, run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def stream_bank(bars: dict[str, np.ndarray], sessions: list[str]) -> None:
    bank = IndicatorBank(CONFIG)
    columns = [bars[name].tolist() for name in ("open", "high", "low", "close", "volume")]
    for o, h, lo, c, v, s in zip(*columns, sessions, strict=True):
        bank.update(o, h, lo, c, v, s)


def stream_talib_reference(bars: dict[str, np.ndarray]) -> None:
    h, lo, c, v = bars["high"], bars["low"], bars["close"], bars["volume"]
    for end in range(REFERENCE_WINDOW, REFERENCE_WINDOW + REFERENCE_STREAM_BARS):
        start = end - REFERENCE_WINDOW
        hw, lw, cw, vw = h[start:end], lo[start:end], c[start:end], v[start:end]
        stream.SMA(cw, 20)
        stream.EMA(cw, 20)
        stream.WMA(cw, 20)
        stream.DEMA(cw, 20)
        stream.TEMA(cw, 20)
        stream.RSI(cw, 14)
        stream.MACD(cw, 12, 26, 9)
        stream.BBANDS(cw, 20, 2.0, 2.0, 0)
        stream.ATR(hw, lw, cw, 14)
        stream.ADX(hw, lw, cw, 14)
        stream.PLUS_DI(hw, lw, cw, 14)
        stream.MINUS_DI(hw, lw, cw, 14)
        stream.STOCH(hw, lw, cw, 14, 3, 0, 3, 0)
        stream.OBV(cw, vw)


def ours_talib_subset(bars: dict[str, np.ndarray]) -> None:
    h, lo, c, v = bars["high"], bars["low"], bars["close"], bars["volume"]
    batch.sma(c, 20)
    batch.ema(c, 20)
    batch.wma(c, 20)
    batch.dema(c, 20)
    batch.tema(c, 20)
    batch.rsi(c, 14)
    batch.macd(c, 12, 26, 9)
    batch.bollinger_bands(c, 20, 2.0, 2.0)
    batch.atr(h, lo, c, 14)
    batch.directional_movement(h, lo, c, 14)
    batch.stochastic(h, lo, c, 14, 3, 3)
    batch.obv(c, v)


def talib_subset(bars: dict[str, np.ndarray]) -> None:
    h, lo, c, v = bars["high"], bars["low"], bars["close"], bars["volume"]
    talib.SMA(c, 20)
    talib.EMA(c, 20)
    talib.WMA(c, 20)
    talib.DEMA(c, 20)
    talib.TEMA(c, 20)
    talib.RSI(c, 14)
    talib.MACD(c, 12, 26, 9)
    talib.BBANDS(c, 20, 2.0, 2.0, 0)
    talib.ATR(h, lo, c, 14)
    talib.ADX(h, lo, c, 14)
    talib.PLUS_DI(h, lo, c, 14)
    talib.MINUS_DI(h, lo, c, 14)
    talib.STOCH(h, lo, c, 14, 3, 0, 3, 0)
    talib.OBV(c, v)


def main() -> None:
    stream_bars = make_bars(STREAM_BARS)
    sessions = [f"s{i // 390}" for i in range(STREAM_BARS)]
    bank_seconds = best_of(1, lambda: stream_bank(stream_bars, sessions))
    bank_us = bank_seconds / STREAM_BARS * 1e6
    reference_bars = make_bars(REFERENCE_STREAM_BARS + REFERENCE_WINDOW)
    reference_seconds = best_of(1, lambda: stream_talib_reference(reference_bars))
    reference_us = reference_seconds / REFERENCE_STREAM_BARS * 1e6
    print(f"(a) streaming, {STREAM_BARS:,} bars, default IndicatorBankConfig")
    print(f"    IndicatorBank.update, all 23 outputs:             {bank_us:8.2f} us/bar")
    print(
        f"    talib.stream, 14 TA-Lib indicators, {REFERENCE_WINDOW}-bar window: "
        f"{reference_us:8.2f} us/bar"
    )
    print(f"    ratio bank / talib.stream recompute:              {bank_us / reference_us:8.2f}")

    bars = make_bars(BATCH_BARS)
    batch_sessions = [f"s{i // 390}" for i in range(BATCH_BARS)]
    everything = best_of(
        3,
        lambda: compute_batch(
            CONFIG,
            bars["open"],
            bars["high"],
            bars["low"],
            bars["close"],
            bars["volume"],
            batch_sessions,
        ),
    )
    ours = best_of(3, lambda: ours_talib_subset(bars))
    reference = best_of(3, lambda: talib_subset(bars))
    print(f"(b) batch, {BATCH_BARS:,} bars (best of 3)")
    print(f"    compute_batch, all 23 outputs:                    {everything * 1e3:8.1f} ms")
    print(f"    our batch, the 14 indicators TA-Lib has:          {ours * 1e3:8.1f} ms")
    print(f"    TA-Lib, the same 14 indicators:                   {reference * 1e3:8.1f} ms")
    print(f"    ratio ours / TA-Lib (same set):                   {ours / reference:8.2f}")
    print(f"    ratio compute_batch (all) / TA-Lib (its subset):  {everything / reference:8.2f}")


if __name__ == "__main__":
    main()
