"""Feature vectors are built from events, point in time, with explicit absences and a hash."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bounded_contexts.prediction.domain.features import (
    FEATURE_NAMES,
    FEATURE_SET,
    REQUIRED_INDICATORS,
    FeatureBuilder,
    FutureDataError,
    RegimeReading,
    SentimentReading,
    assemble,
    feature_hash,
)

MINUTE = 60_000_000_000


def indicators(close: float) -> dict[str, float | None]:
    values: dict[str, float | None] = dict.fromkeys(REQUIRED_INDICATORS, 1.0)
    values.update(
        rsi=60.0, sma=close - 1, ema=close - 0.5, atr=2.0, bb_middle=close - 1, bb_upper=close + 3
    )
    values.update(plus_di=30.0, minus_di=20.0, stoch_k=70.0, zscore=0.5, macd_hist=0.2)
    return values


def warmed_builder(instrument: str = "SAP", bars: int = 6) -> FeatureBuilder:
    builder = FeatureBuilder()
    for i in range(bars):
        builder.observe_bar(instrument, i * MINUTE, 100.0 + i, indicators(100.0 + i))
    return builder


def test_a_bar_with_every_indicator_gives_the_fs2_vector_in_order() -> None:
    builder = warmed_builder()
    vector = builder.observe_bar("SAP", 6 * MINUTE, 106.0, indicators(106.0))
    assert vector is not None and vector.feature_set == FEATURE_SET == "fs-2"
    values = dict(zip(FEATURE_NAMES, vector.values, strict=True))
    assert values["rsi_centred"] == pytest.approx(0.2)
    assert values["close_vs_sma"] == pytest.approx(0.5)
    assert values["last_return"] == pytest.approx(math.log(106 / 105))
    assert values["return_5"] == pytest.approx(math.log(106 / 101))
    assert values["bb_position"] == pytest.approx(0.25)
    assert values["di_spread"] == pytest.approx(0.1)


def test_a_warming_indicator_gives_no_vector_never_a_zero() -> None:
    builder = warmed_builder()
    values = indicators(106.0)
    values["rsi"] = None
    assert builder.observe_bar("SAP", 6 * MINUTE, 106.0, values) is None
    assert FeatureBuilder().observe_bar("SAP", 0, 100.0, indicators(100.0)) is None  # no history


def test_absent_regime_and_sentiment_are_flagged_and_listed_not_silently_zero() -> None:
    vector = warmed_builder().observe_bar("SAP", 6 * MINUTE, 106.0, indicators(106.0))
    assert vector is not None
    values = dict(zip(FEATURE_NAMES, vector.values, strict=True))
    assert values["regime_known"] == 0.0 and values["sentiment_known"] == 0.0
    assert vector.absent == ("regime", "sentiment")


def test_a_regime_is_used_as_of_the_bar_and_a_later_one_is_not() -> None:
    builder = warmed_builder()
    builder.observe_regime(RegimeReading(3 * MINUTE, "volatile", 1, 3))
    builder.observe_regime(RegimeReading(60 * MINUTE, "crisis", 2, 3))  # stamped in the future
    vector = builder.observe_bar("SAP", 6 * MINUTE, 106.0, indicators(106.0))
    assert vector is not None
    values = dict(zip(FEATURE_NAMES, vector.values, strict=True))
    assert values["regime_level"] == 0.5 and values["regime_known"] == 1.0
    assert vector.absent == ("sentiment",)


def test_an_input_stamped_after_its_bar_is_refused() -> None:
    group = tuple(0.0 for _ in range(10))
    with pytest.raises(FutureDataError, match="regime reading is stamped"):
        assemble("SAP", 100, 1.0, group, RegimeReading(101, "calm", 0, 2), None)
    with pytest.raises(FutureDataError, match="sentiment reading is stamped"):
        assemble("SAP", 100, 1.0, group, None, SentimentReading(500, 0.3))
    assert assemble("SAP", 100, 1.0, group, RegimeReading(100, "calm", 0, 2), None).values


def test_the_hash_names_exactly_the_values_the_set_and_the_absences() -> None:
    values = (0.1, 0.2)
    base = feature_hash("fs-2", values, ("sentiment",))
    assert base == feature_hash("fs-2", (0.1, 0.2), ("sentiment",))
    assert base != feature_hash("fs-2", (0.1, np.nextafter(0.2, 1.0)), ("sentiment",))
    assert base != feature_hash("fs-3", values, ("sentiment",))
    assert base != feature_hash("fs-2", values, ())
    assert len(base) == 32
