"""The market's structure: which instruments move together (clusters) and which regime the
market is in, recomputed on a schedule from the closed bars.

A plain domain object, not an aggregate: its state is a function of the bars alone, so a
policy rebuilds it by feeding the same bars again, and each reading it returns is recorded as
a fact of its own (:class:`MarketFact`), keyed by what it is and the bar end it is stamped with.

Schedule. Every ``every_bars`` complete bar ends, and when a session closes (seen as the first
bar of the next session), the aggregate recomputes from the complete bar ends only, and stamps
what it found with the last of them: a reading is never stamped before the data it used, and
never uses a bar stamped after it.

Clusters. Hierarchical clustering (average linkage) on the correlation distance of the last
``cluster_window`` log returns; the cluster count is the one in 2 .. ``max_clusters`` with the
best silhouette (ties to the fewer clusters). Labels are stabilised against the previous
clustering, so "cluster 3" keeps its meaning while its members mostly stay.

Regime. A Gaussian hidden Markov model (Hamilton's regime-switching model) of the
equal-weighted universe's one-minute log return over the last ``regime_history`` bar ends,
with 1 or ``regimes`` states, whichever the BIC prefers — so a market that never changed is in
one regime, ``calm``, rather than split in two. The regime is the filtered (forward-only) most
probable state at the last bar. ``RegimeChanged`` is recorded when it
differs from the regime in force (and for the first reading). The fit is seeded, so a replay
of the same bars records the same regimes.

A computation that cannot be done (too few bars or instruments, a flat market, a fit that does
not converge) records nothing and leaves the previous reading in force; the reason is kept in
:attr:`MarketStructure.last_skipped` for the log.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bounded_contexts.intelligence.domain.clustering import (
    ClusteringError,
    ClusterResult,
    StableLabelling,
    cluster_by_correlation,
    current_hmm_regime,
    select_hmm_regimes,
    stabilise_result,
)
from bounded_contexts.intelligence.domain.events import (
    InstrumentCluster,
    InstrumentsClustered,
    RegimeChanged,
)
from bounded_contexts.intelligence.domain.market_window import MarketWindow
from events.facts import Fact

CLUSTER_METHOD = "hierarchical/average"
REGIME_MODEL = "hmm"
_DIGITS = 12  # figures are rounded so a replay on another BLAS stores the same event
_NUMERIC_FAILURES = (ClusteringError, np.linalg.LinAlgError, FloatingPointError)
"""What a degenerate window can raise: the reading is skipped, the bar's indicators go on."""


@dataclass(frozen=True)
class MarketStructureConfig:
    """When and over what the market structure is recomputed (bars are bar ends of the
    universe, 1 minute each in the demo)."""

    every_bars: int = 60
    cluster_window: int = 240
    min_cluster_bars: int = 30
    max_clusters: int = 6
    regime_history: int = 1000
    min_regime_bars: int = 100
    regimes: int = 2
    seed: int = 7

    def __post_init__(self) -> None:
        for name in ("every_bars", "cluster_window", "min_cluster_bars", "max_clusters"):
            if getattr(self, name) < 1:
                raise ValueError(f"market structure {name} must be >= 1, got {getattr(self, name)}")
        if self.max_clusters < 2:
            raise ValueError(f"max_clusters must be >= 2, got {self.max_clusters}")
        if self.regimes < 2:
            raise ValueError(f"regimes must be >= 2, got {self.regimes}")
        if not 10 <= self.min_regime_bars <= self.regime_history:
            raise ValueError(
                f"min_regime_bars must be in [10, regime_history={self.regime_history}], got "
                f"{self.min_regime_bars}"
            )

    @property
    def history(self) -> int:
        return max(self.cluster_window, self.regime_history)


class MarketFact(Fact):
    """One market-structure reading as a one-event aggregate, e.g. ``regime/<ts_end>``."""

    NAMESPACE = uuid.UUID("5b0e6a8c-1f7d-4d2a-9c3e-8a4f2b6d0e19")

    @classmethod
    def of(cls, event: InstrumentsClustered | RegimeChanged) -> MarketFact:
        kind = "clusters" if isinstance(event, InstrumentsClustered) else "regime"
        return cls(kind, str(event.ts_end), event)


class MarketStructure:
    """The clusters and the regime in force for one universe, and the bars behind them."""

    def __init__(self, config: MarketStructureConfig) -> None:
        self.config = config
        self.window = MarketWindow(config.history)
        self.session: str | None = None
        self.completed_since = 0  # complete bar ends since the last computation
        self.labelling: StableLabelling | None = None
        self.regime: str | None = None
        self.last_skipped: str | None = None

    def bar_closed(
        self, instrument_id: str, ts_end: int, close: float, session: str
    ) -> list[InstrumentsClustered | RegimeChanged]:
        """Take one closed bar; the readings it made due (a scheduled bar end completed, or a
        new session opened), to be recorded before the bar's own indicators."""
        completed = self.window.add(instrument_id, ts_end, close)
        if completed:
            self.completed_since += 1
        closing = self.session  # the session of every complete bar end so far
        new_session = completed and closing is not None and session != closing
        if closing is None or new_session:
            self.session = session
        due = self.completed_since >= self.config.every_bars
        if self.completed_since and (due or new_session):
            return self._recompute(closing or session)
        return []

    # -- computations --------------------------------------------------------------
    def _recompute(self, session: str) -> list[InstrumentsClustered | RegimeChanged]:
        self.completed_since = 0
        self.last_skipped = None
        ts_end = self.window.last_complete()
        assert ts_end is not None
        readings: list[InstrumentsClustered | RegimeChanged] = []
        clustered = self._cluster(ts_end, session)
        if clustered is not None:
            self.labelling = StableLabelling(
                tuple(clustered.assignments),
                tuple(clustered.assignments.values()),
                clustered.next_fresh_label,
            )
            readings.append(clustered)
        changed = self._read_regime(ts_end, session)
        if changed is not None:
            self.regime = changed.regime
            readings.append(changed)
        return readings

    def _cluster(self, ts_end: int, session: str) -> InstrumentsClustered | None:
        config = self.config
        instruments, returns = self.window.log_returns(config.cluster_window)
        if len(instruments) < 3 or returns.shape[0] < config.min_cluster_bars:
            return self._skip(
                f"clusters need 3 instruments and {config.min_cluster_bars} bars, have "
                f"{len(instruments)} and {returns.shape[0]}"
            )
        moving = np.ptp(returns, axis=0) > 0
        instruments = tuple(i for i, m in zip(instruments, moving, strict=True) if m)
        if len(instruments) < 3:
            return self._skip("fewer than 3 instruments moved in the clustering window")
        try:
            best = _best_partition(returns[:, moving], instruments, config.max_clusters)
        except _NUMERIC_FAILURES as error:
            return self._skip(f"clustering failed: {error}")
        if best is None:
            return self._skip("no partition has a defined silhouette")
        stable, labelling = stabilise_result(best, self.labelling)
        assert stable.quality is not None
        by_label = stable.quality.silhouette_by_cluster
        clusters = tuple(
            InstrumentCluster(
                label, members, _rounded(by_label[label]) if label in by_label else None
            )
            for label, members in stable.clusters().items()
        )
        return InstrumentsClustered(
            ts_end=ts_end,
            session=session,
            method=CLUSTER_METHOD,
            window_bars=int(returns.shape[0]),
            assignments=dict(stable.assignments),
            clusters=clusters,
            silhouette=_rounded(stable.quality.silhouette),
            next_fresh_label=labelling.next_fresh_label,
        )

    def _read_regime(self, ts_end: int, session: str) -> RegimeChanged | None:
        config = self.config
        _, returns = self.window.log_returns(config.regime_history)
        if returns.shape[1] == 0 or returns.shape[0] < config.min_regime_bars:
            return self._skip(
                f"the regime needs {config.min_regime_bars} bars, has {returns.shape[0]}"
            )
        market = returns.mean(axis=1)[:, np.newaxis]
        try:
            model = select_hmm_regimes(market, max_regimes=config.regimes, seed=config.seed)
            reading = current_hmm_regime(model, market)
        except _NUMERIC_FAILURES as error:
            return self._skip(f"regime fit failed: {error}")
        if reading.name == self.regime:
            return None
        duration = float(model.expected_durations[reading.regime])
        return RegimeChanged(
            ts_end=ts_end,
            session=session,
            model=REGIME_MODEL,
            regime=reading.name,
            rank=reading.regime,
            states=model.n_regimes,
            previous=self.regime,
            probability=_rounded(reading.probability),
            probabilities={k: _rounded(v) for k, v in reading.probabilities.items()},
            expected_duration_bars=_rounded(duration) if math.isfinite(duration) else None,
            observations=int(market.shape[0]),
        )

    def _skip(self, reason: str) -> None:
        self.last_skipped = (
            reason if self.last_skipped is None else f"{self.last_skipped}; {reason}"
        )


def _best_partition(
    returns: NDArray[np.float64], instruments: tuple[str, ...], max_clusters: int
) -> ClusterResult | None:
    """The partition into 2 .. max_clusters groups with the highest silhouette."""
    best: ClusterResult | None = None
    for count in range(2, min(max_clusters, len(instruments) - 1) + 1):
        result = cluster_by_correlation(returns, instruments, n_clusters=count)
        if result.quality is None:
            continue
        if best is None or result.quality.silhouette > best.quality.silhouette:  # type: ignore[union-attr]
            best = result
    return best


def _rounded(value: float) -> float:
    return round(float(value), _DIGITS)
