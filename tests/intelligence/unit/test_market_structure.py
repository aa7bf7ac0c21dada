"""The market's structure from closed bars: the aligned window, the schedule, the clusters
(stable labels, planted groups found) and the regime (a planted switch read after it happens,
never before)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from bounded_contexts.intelligence.domain.events import InstrumentsClustered, RegimeChanged
from bounded_contexts.intelligence.domain.market_structure import (
    MarketFact,
    MarketStructure,
    MarketStructureConfig,
)
from bounded_contexts.intelligence.domain.market_window import MarketWindow

MINUTE = 60_000_000_000
GROUP_A = ("A1", "A2", "A3", "A4")
GROUP_B = ("B1", "B2", "B3", "B4")


def _universe(
    bars: int, *, seed: int = 3, turbulent_from: int | None = None
) -> list[tuple[str, int, float, str]]:
    """Closes of two groups of four instruments, each group driven by its own factor; from
    bar ``turbulent_from`` on, every return is five times as volatile."""
    rng = np.random.default_rng(seed)
    ids = GROUP_A + GROUP_B
    prices = np.full(len(ids), 100.0)
    feed = []
    for t in range(bars):
        scale = 5.0 if turbulent_from is not None and t >= turbulent_from else 1.0
        factors = rng.normal(0, 1e-3, 2)
        noise = rng.normal(0, 4e-4, len(ids))
        returns = scale * (np.repeat(factors, 4) + noise)
        prices = prices * np.exp(returns)
        feed.extend(
            (i, (t + 1) * MINUTE, float(p), "2026-11-20") for i, p in zip(ids, prices, strict=True)
        )
    return feed


def _run(
    structure: MarketStructure, feed
) -> list[tuple[int, InstrumentsClustered | RegimeChanged]]:  # type: ignore[no-untyped-def]
    """Every reading, with the bar end of the bar that made it due."""
    out = []
    for instrument, ts, close, session in feed:
        out.extend((ts, r) for r in structure.bar_closed(instrument, ts, close, session))
    return out


CONFIG = MarketStructureConfig(
    every_bars=50, cluster_window=120, regime_history=600, min_regime_bars=60
)


# -- the window ---------------------------------------------------------------------------
def test_a_bar_end_is_complete_once_a_later_bar_arrives() -> None:
    window = MarketWindow(10)
    assert not window.add("X", 1, 10.0)
    assert not window.add("Y", 1, 20.0)
    assert window.complete_ends() == []
    assert window.add("X", 2, 11.0)  # completes bar end 1
    assert window.complete_ends() == [1]
    assert not window.add("Y", 2, 21.0)


def test_a_missing_close_keeps_the_previous_one_and_late_comers_are_left_out() -> None:
    window = MarketWindow(10)
    for ts, row in enumerate([{"X": 10.0, "Y": 20.0}, {"X": 11.0}, {"X": 12.0, "Y": 22.0}], 1):
        for instrument, close in row.items():
            window.add(instrument, ts, close)
    window.add("Z", 4, 5.0)  # opens bar end 4; Z has no close at the window's first bar end
    instruments, returns = window.log_returns(5)
    assert instruments == ("X", "Y")
    np.testing.assert_allclose(returns[:, 1], [0.0, np.log(22 / 20)])
    np.testing.assert_allclose(returns[:, 0], [np.log(1.1), np.log(12 / 11)])


def test_the_window_keeps_only_its_capacity() -> None:
    window = MarketWindow(3)
    for ts in range(1, 10):
        window.add("X", ts, float(ts))
    assert window.complete_ends() == [5, 6, 7, 8]  # capacity + 1 closes give capacity returns
    with pytest.raises(ValueError, match="at least 2"):
        MarketWindow(1)


# -- clusters ---------------------------------------------------------------------------
def test_the_planted_groups_are_found_and_keep_their_labels() -> None:
    readings = _run(MarketStructure(CONFIG), _universe(400))
    clusterings = [r for _, r in readings if isinstance(r, InstrumentsClustered)]
    assert len(clusterings) == 7  # every 50 complete bar ends from bar 50 on
    for clustering in clusterings:
        groups = {frozenset(c.members) for c in clustering.clusters}
        assert groups == {frozenset(GROUP_A), frozenset(GROUP_B)}
        assert clustering.silhouette > 0.5
        assert clustering.method == "hierarchical/average"
    first = clusterings[0].assignments
    assert all(c.assignments == first for c in clusterings)  # stable labels
    assert clusterings[-1].next_fresh_label == 2


def test_a_reading_is_stamped_with_the_last_complete_bar_end_before_the_bar_that_made_it_due() -> (
    None
):
    for due_at, reading in _run(MarketStructure(CONFIG), _universe(200)):
        assert reading.ts_end == due_at - MINUTE
        if isinstance(reading, InstrumentsClustered):
            assert reading.window_bars == min(CONFIG.cluster_window, reading.ts_end // MINUTE - 1)


def test_a_reading_never_depends_on_later_bars() -> None:
    feed = _universe(300, turbulent_from=200)
    full = _run(MarketStructure(CONFIG), feed)
    cut = _run(MarketStructure(CONFIG), feed[: 8 * 151])  # up to and including bar end 151
    assert cut == [(ts, r) for ts, r in full if ts <= 151 * MINUTE]


def test_a_new_session_closes_the_old_one() -> None:
    feed = _universe(80)
    feed += [(i, 81 * MINUTE + 10**12, c, "2026-11-21") for i, _, c, _ in feed[-8:]]
    readings = _run(MarketStructure(CONFIG), feed)
    last_due, last = readings[-1]
    assert last_due == 81 * MINUTE + 10**12
    assert last.ts_end == 80 * MINUTE
    assert last.session == "2026-11-20"


# -- regimes ----------------------------------------------------------------------------
def test_a_planted_turbulent_spell_is_read_after_it_starts_and_not_before() -> None:
    readings = _run(MarketStructure(CONFIG), _universe(500, turbulent_from=300))
    changes = [r for _, r in readings if isinstance(r, RegimeChanged)]
    assert changes[0].previous is None
    assert changes[0].regime == "calm" and changes[0].rank == 0
    turbulent = [c for c in changes if c.regime == "turbulent"]
    assert turbulent, changes
    assert turbulent[0].ts_end >= 300 * MINUTE
    assert turbulent[0].rank == 1 and turbulent[0].states == 2
    assert turbulent[0].previous == "calm"
    assert turbulent[0].probability == max(turbulent[0].probabilities.values())
    assert sum(turbulent[0].probabilities.values()) == pytest.approx(1.0)
    assert turbulent[0].model == "hmm"
    assert turbulent[0].expected_duration_bars is None or turbulent[0].expected_duration_bars > 1


def test_a_regime_that_holds_is_not_recorded_again() -> None:
    readings = _run(MarketStructure(CONFIG), _universe(500))
    changes = [r for _, r in readings if isinstance(r, RegimeChanged)]
    names = [c.regime for c in changes]
    assert all(a != b for a, b in itertools.pairwise(names))


def test_the_same_bars_give_the_same_readings() -> None:
    feed = _universe(400, seed=11, turbulent_from=250)
    assert _run(MarketStructure(CONFIG), feed) == _run(MarketStructure(CONFIG), feed)


# -- what cannot be computed ------------------------------------------------------------
def test_too_few_instruments_or_a_flat_market_record_nothing_and_say_why() -> None:
    structure = MarketStructure(CONFIG)
    two = [(i, (t + 1) * MINUTE, 100.0 + t, "s") for t in range(120) for i in ("X", "Y")]
    readings = _run(structure, two)
    assert not [r for _, r in readings if isinstance(r, InstrumentsClustered)]
    flat = MarketStructure(CONFIG)
    quiet = [(i, (t + 1) * MINUTE, 100.0, "s") for t in range(700) for i in GROUP_A]
    assert _run(flat, quiet) == []
    assert flat.last_skipped is not None and "moved" in flat.last_skipped


def test_the_config_refuses_what_cannot_work() -> None:
    with pytest.raises(ValueError, match="every_bars"):
        MarketStructureConfig(every_bars=0)
    with pytest.raises(ValueError, match="max_clusters"):
        MarketStructureConfig(max_clusters=1)
    with pytest.raises(ValueError, match="min_regime_bars"):
        MarketStructureConfig(regime_history=60, min_regime_bars=100)
    with pytest.raises(ValueError, match="regimes"):
        MarketStructureConfig(regimes=1)


def test_each_reading_is_its_own_fact() -> None:
    readings = [r for _, r in _run(MarketStructure(CONFIG), _universe(200))]
    ids = {MarketFact.of(r).id for r in readings}
    assert len(ids) == len(readings)
    again = MarketFact.of(readings[0])
    assert again.id == MarketFact.of(readings[0]).id
