"""Events of the intelligence context (stream ``indicators``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from events.domain import DomainEvent


@dataclass(frozen=True)
class IndicatorsUpdated(DomainEvent):
    """Every streaming indicator of one instrument after a bar closed (None while warming up).

    The values equal a batch computation over the same bars (tested)."""

    CONTEXT = "intelligence"
    STREAM = "indicators"

    instrument_id: str
    ts_end: int
    close: Decimal
    values: dict[str, float | None]


@dataclass(frozen=True)
class InstrumentCluster:
    """One cluster of an :class:`InstrumentsClustered`: its stable label, its members and how
    tight it is (mean silhouette of its members; 0 for a cluster of one, the usual convention;
    None if unscored)."""

    label: int
    members: tuple[str, ...]
    silhouette: float | None


@dataclass(frozen=True)
class InstrumentsClustered(DomainEvent):
    """The universe regrouped by how instruments' returns moved together over the last
    ``window_bars`` bars up to ``ts_end`` (hierarchical clustering on the correlation distance,
    the cluster count chosen by silhouette).

    Labels are stable: a cluster that mostly persists keeps its label from the previous
    clustering, and a label once retired never comes back with another meaning
    (``next_fresh_label`` is the next one to be handed out)."""

    CONTEXT = "intelligence"
    STREAM = "market-structure"

    ts_end: int
    session: str
    method: str
    window_bars: int
    assignments: dict[str, int]
    clusters: tuple[InstrumentCluster, ...]
    silhouette: float
    next_fresh_label: int


@dataclass(frozen=True)
class RegimeChanged(DomainEvent):
    """The market entered another regime at ``ts_end``, as read by a Gaussian hidden Markov
    model of the equal-weighted universe's one-minute log return, fitted on the bars up to
    ``ts_end`` only (the filtered probability, no look-ahead). ``states`` is 1 when one regime
    explains the bars best (by BIC): the market is then ``calm``, with nothing to compare.

    ``rank`` 0 is the calmest of ``states`` regimes; ``probabilities`` maps every regime name
    to its filtered probability; ``expected_duration_bars`` is the model's mean stay in this
    regime (1 / (1 - p_stay)). ``previous`` is None for the first reading."""

    CONTEXT = "intelligence"
    STREAM = "market-structure"

    ts_end: int
    session: str
    model: str
    regime: str
    rank: int
    states: int
    previous: str | None
    probability: float
    probabilities: dict[str, float]
    expected_duration_bars: float | None
    observations: int
