"""GraphQL types of the market's structure: which instruments move together, and which
regime the market is in — the intelligence context's readings, as recorded."""

from __future__ import annotations

import strawberry

from gateway.scalars import Nanoseconds, UtcTimestamp


@strawberry.type(description="One cluster of instruments whose returns moved together.")
class InstrumentCluster:
    label: int = strawberry.field(
        description="Stable across recomputations: a cluster that mostly persists keeps its "
        "label, and a retired label never returns with another meaning."
    )
    members: list[str]
    silhouette: float | None = strawberry.field(
        description="Mean silhouette of the members (-1..1, higher is tighter); 0 for a "
        "cluster of one (the usual convention)."
    )


@strawberry.type(
    description="A clustering of the universe: hierarchical (average linkage) on the "
    "correlation distance of the last `windowBars` one-minute log returns, the cluster count "
    "chosen by silhouette."
)
class Clustering:
    ts_end: Nanoseconds = strawberry.field(description="The last bar end it used.")
    session: str
    method: str
    window_bars: int
    silhouette: float = strawberry.field(description="Mean silhouette over all instruments.")
    clusters: list[InstrumentCluster]

    @strawberry.field
    def ts_end_iso(self) -> UtcTimestamp:
        return UtcTimestamp(self.ts_end)


@strawberry.type(description="The filtered probability of one regime.")
class RegimeProbability:
    regime: str
    probability: float


@strawberry.type(
    description="A market regime as read by a hidden Markov model of the universe's rolling "
    "volatility and mean return, fitted on bars up to `tsEnd` only; in force from `tsEnd` "
    "until the next change."
)
class Regime:
    ts_end: Nanoseconds = strawberry.field(description="When the market entered it.")
    session: str
    model: str
    regime: str = strawberry.field(description="calm / turbulent (or normal between them).")
    rank: int = strawberry.field(description="0 is the calmest of `states` regimes.")
    states: int
    previous: str | None
    probability: float
    probabilities: list[RegimeProbability]
    expected_duration_bars: float | None = strawberry.field(
        description="The model's mean stay in this regime, 1 / (1 - p_stay), in bars."
    )
    observations: int = strawberry.field(description="Feature rows the model was fitted on.")

    @strawberry.field
    def ts_end_iso(self) -> UtcTimestamp:
        return UtcTimestamp(self.ts_end)
