"""IndicatorBank (the live pipeline's entry point) and compute_batch agree name by name."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from bounded_contexts.intelligence.domain.indicators.bank import (
    BANK_OUTPUT_NAMES,
    IndicatorBank,
    IndicatorBankConfig,
    compute_batch,
)
from bounded_contexts.intelligence.domain.indicators.errors import (
    InvalidBarError,
    InvalidParameterError,
    InvalidPeriodError,
    InvalidSeriesError,
    InvalidSnapshotError,
)


def random_bars(seed: int, length: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, length)))
    high = close * (1.0 + rng.uniform(0.0, 0.01, length))
    low = close * (1.0 - rng.uniform(0.0, 0.01, length))
    open_ = np.clip(close * (1.0 + rng.normal(0.0, 0.003, length)), low, high)
    return {
        "open": open_,
        "high": high,
        "low": low,
        "close": close,
        "volume": rng.integers(0, 1_000, length).astype(np.float64),
        "sessions": [f"2024-03-{1 + i // 390:02d}" for i in range(length)],
    }


def feed(bank: IndicatorBank, bars: dict[str, Any], start: int, stop: int) -> list[dict[str, Any]]:
    return [
        bank.update(
            bars["open"][i],
            bars["high"][i],
            bars["low"][i],
            bars["close"][i],
            bars["volume"][i],
            bars["sessions"][i],
        )
        for i in range(start, stop)
    ]


CONFIGS = [
    IndicatorBankConfig(),
    IndicatorBankConfig(
        sma_period=3,
        ema_period=4,
        rsi_period=2,
        atr_period=1,
        wma_period=1,
        dema_period=5,
        tema_period=2,
        macd_fast_period=2,
        macd_slow_period=3,
        macd_signal_period=1,
        bollinger_period=2,
        bollinger_deviations=0.0,
        adx_period=2,
        stoch_fastk_period=1,
        stoch_slowk_period=1,
        stoch_slowd_period=1,
        volatility_period=2,
        periods_per_year=252.0,
        zscore_period=2,
    ),
]


@pytest.mark.parametrize("config", CONFIGS)
def test_feeding_the_bank_bar_by_bar_equals_compute_batch(config: IndicatorBankConfig) -> None:
    bars = random_bars(1, 2_000)
    expected = compute_batch(
        config,
        bars["open"],
        bars["high"],
        bars["low"],
        bars["close"],
        bars["volume"],
        bars["sessions"],
    )
    rows = feed(IndicatorBank(config), bars, 0, 2_000)
    assert set(expected) == set(BANK_OUTPUT_NAMES)
    for name in BANK_OUTPUT_NAMES:
        streamed = np.array([math.nan if row[name] is None else row[name] for row in rows])
        np.testing.assert_array_equal(np.isnan(streamed), np.isnan(expected[name]), err_msg=name)
        np.testing.assert_allclose(
            streamed, expected[name], rtol=1e-9, atol=1e-10, equal_nan=True, err_msg=name
        )


def test_update_returns_every_stable_name_in_order() -> None:
    values = IndicatorBank().update(100.0, 101.0, 99.0, 100.5, 10.0, "2024-01-02")
    assert tuple(values) == BANK_OUTPUT_NAMES


def test_default_bank_values_appear_at_their_documented_first_valid_bars() -> None:
    bars = random_bars(2, 80)
    rows = feed(IndicatorBank(), bars, 0, 80)
    first_valid = {
        name: next(i for i, row in enumerate(rows) if row[name] is not None)
        for name in BANK_OUTPUT_NAMES
    }
    assert first_valid == {
        "sma": 19,
        "ema": 19,
        "wma": 19,
        "dema": 38,
        "tema": 57,
        "rsi": 14,
        "macd": 33,
        "macd_signal": 33,
        "macd_hist": 33,
        "bb_middle": 19,
        "bb_upper": 19,
        "bb_lower": 19,
        "atr": 14,
        "plus_di": 14,
        "minus_di": 14,
        "adx": 27,
        "stoch_k": 17,
        "stoch_d": 17,
        "obv": 0,
        "vwap": next(i for i, v in enumerate(bars["volume"]) if v > 0),
        "volatility": 20,
        "parkinson_volatility": 19,
        "zscore": 19,
    }


def test_a_restored_bank_continues_exactly_like_the_original() -> None:
    bars = random_bars(3, 300)
    original = IndicatorBank(CONFIGS[1])
    feed(original, bars, 0, 120)
    restored = IndicatorBank.restore(json.loads(json.dumps(original.snapshot(), allow_nan=False)))
    assert restored.config == original.config
    assert feed(restored, bars, 120, 300) == feed(original, bars, 120, 300)


@pytest.mark.parametrize(
    ("bar", "message"),
    [
        ((math.nan, 101.0, 99.0, 100.0, 1.0), "open is nan"),
        ((100.0, math.inf, 99.0, 100.0, 1.0), "high is inf"),
        ((100.0, 101.0, 99.0, -math.inf, 1.0), "close is -inf"),
        ((100.0, 101.0, 99.0, 100.0, math.nan), "volume is nan"),
        ((100.0, 98.0, 99.0, 100.0, 1.0), r"high \(98\.0\) is below low \(99\.0\)"),
        ((100.0, 101.0, 99.0, 100.0, -5.0), r"volume is -5\.0"),
        ((1.0, 1.0, 0.0, 0.5, 1.0), r"low is 0\.0; prices must be positive"),
    ],
)
def test_a_bad_bar_raises_naming_the_field_and_leaves_the_whole_bank_unchanged(
    bar: tuple[float, ...], message: str
) -> None:
    bank = IndicatorBank()
    feed(bank, random_bars(4, 50), 0, 50)
    before = bank.snapshot()
    with pytest.raises(InvalidBarError, match=message):
        bank.update(*bar)
    assert bank.snapshot() == before


def test_a_session_key_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(InvalidBarError, match="session must be a string or None"):
        IndicatorBank().update(100.0, 101.0, 99.0, 100.0, 1.0, session=1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        ({"sma_period": 0}, InvalidPeriodError, "sma_period must be an integer >= 1, got 0"),
        ({"rsi_period": 2.5}, InvalidPeriodError, "rsi_period must be an integer"),
        ({"zscore_period": 1}, InvalidPeriodError, "zscore_period must be an integer >= 2"),
        ({"macd_fast_period": 26}, InvalidPeriodError, "must be shorter than slow_period"),
        ({"bollinger_deviations": -1.0}, InvalidParameterError, "bollinger_deviations"),
        ({"periods_per_year": 0.0}, InvalidParameterError, "periods_per_year"),
    ],
)
def test_an_invalid_configuration_is_refused_on_construction(
    overrides: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        IndicatorBankConfig(**overrides)


def test_compute_batch_names_the_array_and_position_of_a_bad_value() -> None:
    bars = random_bars(5, 2_000)
    bars["close"][1234] = math.nan
    with pytest.raises(InvalidSeriesError, match=r"close\[1234\] is NaN"):
        compute_batch(
            IndicatorBankConfig(),
            bars["open"],
            bars["high"],
            bars["low"],
            bars["close"],
            bars["volume"],
        )


def test_compute_batch_refuses_mismatched_lengths_and_a_wrong_config() -> None:
    bars = random_bars(6, 100)
    with pytest.raises(InvalidSeriesError, match="open has 99, high has 100"):
        compute_batch(
            IndicatorBankConfig(),
            bars["open"][:-1],
            bars["high"],
            bars["low"],
            bars["close"],
            bars["volume"],
        )
    with pytest.raises(InvalidParameterError, match="config must be an IndicatorBankConfig"):
        compute_batch({}, bars["open"], bars["high"], bars["low"], bars["close"], bars["volume"])  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="config must be an IndicatorBankConfig"):
        IndicatorBank({})  # type: ignore[arg-type]


def test_compute_batch_refuses_a_sessions_list_of_the_wrong_length() -> None:
    bars = random_bars(7, 100)
    with pytest.raises(InvalidSeriesError, match="sessions has 99 entries"):
        compute_batch(
            IndicatorBankConfig(),
            bars["open"],
            bars["high"],
            bars["low"],
            bars["close"],
            bars["volume"],
            bars["sessions"][:-1],
        )


def test_restore_refuses_a_snapshot_that_is_not_a_bank() -> None:
    snapshot = IndicatorBank().snapshot()
    with pytest.raises(InvalidSnapshotError, match="expects an IndicatorBank snapshot"):
        IndicatorBank.restore({**snapshot, "kind": "Other"})
    missing = {
        **snapshot,
        "indicators": {k: v for k, v in snapshot["indicators"].items() if k != "rsi"},
    }
    with pytest.raises(InvalidSnapshotError, match="exactly the indicators"):
        IndicatorBank.restore(missing)
    with pytest.raises(InvalidSnapshotError, match="config is invalid"):
        IndicatorBank.restore({**snapshot, "config": {"unknown_period": 3}})
