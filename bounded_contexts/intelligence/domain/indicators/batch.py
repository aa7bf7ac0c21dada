"""Batch form of every indicator: float64 arrays in, same-length arrays out, NaN in warm-up.

One import point over the family modules (averages, momentum, trend, volatility, volume,
rolling_statistics); see docs/quant/indicators.md for formulas and first valid indices.
"""

from __future__ import annotations

from .averages import dema, ema, sma, tema, wma
from .momentum import MacdLines, StochasticLines, macd, rsi, stochastic
from .rolling_statistics import rolling_beta, rolling_correlation, rolling_zscore
from .trend import DirectionalMovementLines, atr, directional_movement, true_range
from .volatility import (
    BollingerBandLines,
    bollinger_bands,
    close_to_close_volatility,
    parkinson_volatility,
)
from .volume import obv, vwap

__all__ = [
    "BollingerBandLines",
    "DirectionalMovementLines",
    "MacdLines",
    "StochasticLines",
    "atr",
    "bollinger_bands",
    "close_to_close_volatility",
    "dema",
    "directional_movement",
    "ema",
    "macd",
    "obv",
    "parkinson_volatility",
    "rolling_beta",
    "rolling_correlation",
    "rolling_zscore",
    "rsi",
    "sma",
    "stochastic",
    "tema",
    "true_range",
    "vwap",
    "wma",
]
