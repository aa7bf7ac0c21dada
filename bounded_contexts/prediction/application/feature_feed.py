"""Intelligence events into the feature builder: the one reading shared by the live
predictor, the trainer's data loader and the features read model, so that all three see the
same vector (and the same hash) for the same bar."""

from __future__ import annotations

from bounded_contexts.intelligence.domain.events import IndicatorsUpdated, RegimeChanged
from bounded_contexts.prediction.domain.features import (
    FeatureBuilder,
    FeatureVector,
    RegimeReading,
)
from events.domain import DomainEvent


def feed(builder: FeatureBuilder, event: DomainEvent) -> FeatureVector | None:
    """Apply one intelligence event; the bar's vector when it is a bar with every required
    indicator warmed up, else None (a regime reading is taken in for the bars after it)."""
    if isinstance(event, RegimeChanged):
        builder.observe_regime(RegimeReading(event.ts_end, event.regime, event.rank, event.states))
        return None
    if isinstance(event, IndicatorsUpdated):
        return builder.observe_bar(
            event.instrument_id, event.ts_end, float(event.close), event.values
        )
    return None


def bar_of(event: DomainEvent) -> tuple[str, int, float] | None:
    """(instrument, bar end, close) of a bar event, else None."""
    if isinstance(event, IndicatorsUpdated):
        return event.instrument_id, event.ts_end, float(event.close)
    return None
