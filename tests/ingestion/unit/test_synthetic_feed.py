"""The seeded synthetic market: reproducible, valid by the feed's own rules, and correlated
as configured."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from itertools import pairwise

import numpy as np
import pytest

from bounded_contexts.ingestion.adapters.synthetic_feed import (
    MINUTE_NS,
    SyntheticFeedConfig,
    synthetic_bars,
    trading_days,
)
from bounded_contexts.ingestion.domain.bars import InstrumentFeed, parse_bar
from bounded_contexts.ingestion.domain.events import InstrumentListed

INSTRUMENTS = ("AAA", "BBB", "CCC")
SESSIONS = trading_days(date(2026, 11, 19), 2)


def closes_by_instrument(config: SyntheticFeedConfig, sessions: list[date]) -> np.ndarray:
    bars = list(synthetic_bars(INSTRUMENTS, sessions, config))
    return np.array([[float(b.close) for b in bars if b.instrument_id == i] for i in INSTRUMENTS])


def mean_pairwise_correlation(closes: np.ndarray) -> float:
    corr = np.corrcoef(np.diff(np.log(closes), axis=1))
    return float(corr[np.triu_indices(len(closes), k=1)].mean())


def test_the_same_seed_gives_the_same_bars() -> None:
    assert list(synthetic_bars(INSTRUMENTS, SESSIONS)) == list(
        synthetic_bars(INSTRUMENTS, SESSIONS)
    )


def test_a_different_seed_gives_a_different_market() -> None:
    other = SyntheticFeedConfig(seed=8)
    a = [b.close for b in synthetic_bars(INSTRUMENTS, SESSIONS)]
    b = [b.close for b in synthetic_bars(INSTRUMENTS, SESSIONS, other)]
    assert a != b


def test_every_minute_of_every_session_has_one_bar_per_instrument_in_order() -> None:
    bars = list(synthetic_bars(INSTRUMENTS, SESSIONS))
    assert len(bars) == len(SESSIONS) * 510 * len(INSTRUMENTS)
    first = bars[: len(INSTRUMENTS)]
    assert [b.instrument_id for b in first] == list(INSTRUMENTS)
    assert {b.timestamp for b in first} == {"2026-11-19T08:00:00Z"}
    assert bars[-1].timestamp == "2026-11-20T16:29:00Z"
    assert len({b.line for b in bars}) == len(bars)


def test_every_generated_bar_passes_validation_and_the_feed_accepts_them_all() -> None:
    # Valid reference data, on the 0.01 tick the generator rounds to: the feed checks it.
    isins = ("DE0007164600", "DE0007236101", "DE0008404005")
    feeds = {
        i: InstrumentFeed.list(
            InstrumentListed(i, isin, "XETR", "EUR", i, Decimal(1), Decimal("0.01"))
        )
        for isin, i in zip(isins, INSTRUMENTS, strict=True)
    }
    for raw in synthetic_bars(INSTRUMENTS, SESSIONS):
        bar = parse_bar(raw, MINUTE_NS)
        feeds[bar.instrument_id].close_bar(bar)
        assert bar.volume > 0
    assert all(len(f.collect_pending()) == 1 + len(SESSIONS) * 510 for f in feeds.values())


def test_prices_carry_two_decimals_as_text_and_each_open_is_the_previous_close() -> None:
    bars = [b for b in synthetic_bars(INSTRUMENTS, SESSIONS) if b.instrument_id == "BBB"]
    assert all(len(b.close.split(".")[1]) == 2 for b in bars)  # type: ignore[union-attr]
    assert bars[0].open == "100.00"
    assert all(later.open == earlier.close for earlier, later in pairwise(bars))


def test_start_prices_set_the_first_open_per_instrument() -> None:
    bars = synthetic_bars(["AAA", "BBB"], SESSIONS[:1], start_prices={"BBB": 42.5})
    first_two = [next(bars), next(bars)]
    assert [b.open for b in first_two] == ["100.00", "42.50"]


def test_a_session_resumed_from_the_last_closes_continues_the_same_market() -> None:
    both = list(synthetic_bars(INSTRUMENTS, SESSIONS))
    day_one, day_two = both[: 510 * 3], both[510 * 3 :]
    last_closes = {b.instrument_id: float(b.close) for b in day_one[-3:]}  # type: ignore[arg-type]
    resumed = list(synthetic_bars(INSTRUMENTS, SESSIONS[1:], start_prices=last_closes))
    assert resumed == day_two


@pytest.mark.parametrize("correlation", [0.0, 0.4, 0.8])
def test_returns_are_correlated_roughly_as_configured(correlation: float) -> None:
    config = dataclasses.replace(SyntheticFeedConfig(), correlation=correlation)
    closes = closes_by_instrument(config, trading_days(date(2026, 11, 16), 4))
    assert mean_pairwise_correlation(closes) == pytest.approx(correlation, abs=0.08)


@pytest.mark.parametrize("phi", [0.0, -0.3, 0.3])
def test_minute_returns_carry_the_planted_autocorrelation(phi: float) -> None:
    config = SyntheticFeedConfig(return_autocorrelation=phi)
    returns = np.diff(np.log(closes_by_instrument(config, SESSIONS[:1])), axis=1)
    lag_one = np.mean([np.corrcoef(r[:-1], r[1:])[0, 1] for r in returns])
    assert lag_one == pytest.approx(phi, abs=0.06)


def test_the_planted_autocorrelation_leaves_volatility_and_correlation_as_configured() -> None:
    walk = closes_by_instrument(SyntheticFeedConfig(return_autocorrelation=0.0), SESSIONS)
    reverting = closes_by_instrument(SyntheticFeedConfig(return_autocorrelation=-0.3), SESSIONS)
    for closes in (walk, reverting):
        assert np.diff(np.log(closes), axis=1).std() == pytest.approx(
            0.25 / np.sqrt(252 * 510), rel=0.08
        )
        assert mean_pairwise_correlation(closes) == pytest.approx(0.4, abs=0.08)


@pytest.mark.parametrize("phi", [1.0, -1.0, 1.5])
def test_an_autocorrelation_outside_the_open_unit_interval_is_refused(phi: float) -> None:
    with pytest.raises(ValueError, match="return_autocorrelation must lie strictly between"):
        SyntheticFeedConfig(return_autocorrelation=phi)


def test_per_minute_volatility_matches_the_annual_volatility() -> None:
    closes = closes_by_instrument(SyntheticFeedConfig(), trading_days(date(2026, 11, 16), 4))
    per_minute = np.diff(np.log(closes), axis=1).std()
    annualised = per_minute * np.sqrt(252 * 510)
    assert annualised == pytest.approx(0.25, rel=0.1)


def test_generating_bars_for_no_instruments_is_refused() -> None:
    with pytest.raises(ValueError, match="no instruments"):
        list(synthetic_bars([], SESSIONS))


def test_trading_days_skip_weekends() -> None:
    days = trading_days(date(2026, 11, 20), 3)  # a Friday
    assert days == [date(2026, 11, 20), date(2026, 11, 23), date(2026, 11, 24)]
    assert trading_days(date(2026, 11, 21), 1) == [date(2026, 11, 23)]
