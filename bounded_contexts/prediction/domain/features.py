"""The feature vector a direction model sees for one instrument at one bar — built only from
events, point in time, versioned and hashed.

Inputs come in three groups. The indicators of the bar itself are required: until every one
has warmed up there is no vector (the bar is *warming*, not zero). The market regime and the
news sentiment are optional: while unknown their value is 0 **and** a ``*_known`` flag is 0,
and the vector lists them as ``absent`` — never a silent zero a model could mistake for a
reading. Each optional input is taken *as of* the bar: the latest reading stamped at or before
the bar's end; a reading stamped later is refused (:class:`FutureDataError`), so no vector can
carry data from after the bar it belongs to.

``FEATURE_SET`` names this layout; a change of names, order or formulas is a new feature set,
and the registry never serves a model to a feature set it was not trained on. The hash of a
vector (feature set, values as float64 bytes, absent inputs) is what a prediction names, so
an auditor can trace it to exactly what the model saw.
"""

from __future__ import annotations

import bisect
import hashlib
import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

FEATURE_SET = "fs-2"

INDICATOR_FEATURES = (
    "rsi_centred",
    "close_vs_sma",
    "ema_vs_sma",
    "macd_hist",
    "last_return",
    "return_5",
    "bb_position",
    "di_spread",
    "stoch_k_centred",
    "zscore",
)
REGIME_FEATURES = ("regime_level", "regime_known")
SENTIMENT_FEATURES = ("sentiment", "sentiment_known")
FEATURE_NAMES: tuple[str, ...] = INDICATOR_FEATURES + REGIME_FEATURES + SENTIMENT_FEATURES

#: indicator keys (IndicatorsUpdated.values) the vector needs
REQUIRED_INDICATORS = (
    "rsi",
    "sma",
    "ema",
    "atr",
    "macd_hist",
    "bb_middle",
    "bb_upper",
    "plus_di",
    "minus_di",
    "stoch_k",
    "zscore",
)
RETURN_LOOKBACK = 5


T = TypeVar("T", "RegimeReading", "SentimentReading")


class FutureDataError(ValueError):
    """An input stamped after the bar it would feed: using it would leak the future."""


@dataclass(frozen=True)
class RegimeReading:
    """The market regime from ``ts`` on: ``rank`` 0 is the calmest of ``states`` regimes."""

    ts: int
    name: str
    rank: int
    states: int

    @property
    def level(self) -> float:
        return self.rank / (self.states - 1) if self.states > 1 else 0.0


@dataclass(frozen=True)
class SentimentReading:
    ts: int
    score: float  # -1 (negative) .. 1 (positive)


@dataclass(frozen=True)
class FeatureVector:
    instrument_id: str
    ts_end: int
    close: float
    values: tuple[float, ...]
    absent: tuple[str, ...]
    feature_set: str = FEATURE_SET

    @property
    def hash(self) -> str:
        return feature_hash(self.feature_set, self.values, self.absent)

    def array(self) -> np.ndarray:
        return np.asarray(self.values, dtype=np.float64)


def feature_hash(feature_set: str, values: tuple[float, ...], absent: tuple[str, ...]) -> str:
    digest = hashlib.sha256(feature_set.encode())
    digest.update(np.asarray(values, dtype="<f8").tobytes())
    digest.update(",".join(absent).encode())
    return digest.hexdigest()[:32]


def indicator_features(
    values: Mapping[str, float | None], closes: tuple[float, ...]
) -> tuple[float, ...] | None:
    """The indicator group from one bar's indicators and the last closes (oldest first, this
    bar's last), or None while any input is warming up or degenerate."""
    if len(closes) < RETURN_LOOKBACK + 1 or any(values.get(k) is None for k in REQUIRED_INDICATORS):
        return None
    v = {k: float(values[k]) for k in REQUIRED_INDICATORS}  # type: ignore[arg-type]
    close = closes[-1]
    atr, band = v["atr"], v["bb_upper"] - v["bb_middle"]
    if atr <= 0 or band <= 0:
        return None
    features = (
        (v["rsi"] - 50.0) / 50.0,
        (close - v["sma"]) / atr,
        (v["ema"] - v["sma"]) / atr,
        v["macd_hist"] / atr,
        math.log(close / closes[-2]),
        math.log(close / closes[-1 - RETURN_LOOKBACK]),
        (close - v["bb_middle"]) / band,
        (v["plus_di"] - v["minus_di"]) / 100.0,
        (v["stoch_k"] - 50.0) / 50.0,
        v["zscore"],
    )
    return features if all(math.isfinite(f) for f in features) else None


def assemble(
    instrument_id: str,
    ts_end: int,
    close: float,
    indicators: tuple[float, ...],
    regime: RegimeReading | None,
    sentiment: SentimentReading | None,
) -> FeatureVector:
    """The vector of one bar; refuses any input stamped after ``ts_end``."""
    for what, reading in (("regime", regime), ("sentiment", sentiment)):
        if reading is not None and reading.ts > ts_end:
            raise FutureDataError(
                f"{instrument_id} bar {ts_end}: the {what} reading is stamped {reading.ts}, "
                "after the bar"
            )
    absent = []
    if regime is None:
        absent.append("regime")
    if sentiment is None:
        absent.append("sentiment")
    values = (
        *indicators,
        regime.level if regime else 0.0,
        1.0 if regime else 0.0,
        sentiment.score if sentiment else 0.0,
        1.0 if sentiment else 0.0,
    )
    return FeatureVector(instrument_id, ts_end, close, values, tuple(absent))


class Timeline(Generic[T]):
    """Readings in stamp order, asked for the one in force at a time."""

    def __init__(self) -> None:
        self._stamps: list[int] = []
        self._readings: list[T] = []

    def add(self, reading: T) -> None:
        at = bisect.bisect_right(self._stamps, reading.ts)
        self._stamps.insert(at, reading.ts)
        self._readings.insert(at, reading)

    def as_of(self, ts: int) -> T | None:
        at = bisect.bisect_right(self._stamps, ts)
        return self._readings[at - 1] if at else None


class FeatureBuilder:
    """Builds the vectors of a universe bar by bar, from the intelligence events in order."""

    def __init__(self) -> None:
        self.regimes: Timeline[RegimeReading] = Timeline()
        self.sentiment: dict[str, Timeline[SentimentReading]] = {}
        self._closes: dict[str, deque[float]] = {}

    def observe_regime(self, reading: RegimeReading) -> None:
        self.regimes.add(reading)

    def observe_sentiment(self, instrument_id: str, reading: SentimentReading) -> None:
        self.sentiment.setdefault(instrument_id, Timeline()).add(reading)

    def observe_bar(
        self, instrument_id: str, ts_end: int, close: float, values: Mapping[str, float | None]
    ) -> FeatureVector | None:
        closes = self._closes.setdefault(instrument_id, deque(maxlen=RETURN_LOOKBACK + 1))
        closes.append(close)
        group = indicator_features(values, tuple(closes))
        if group is None:
            return None
        timeline = self.sentiment.get(instrument_id)
        return assemble(
            instrument_id,
            ts_end,
            close,
            group,
            self.regimes.as_of(ts_end),
            timeline.as_of(ts_end) if timeline else None,
        )
