"""intelligence.IndicatorsUpdated -> train / predict the instrument's direction model."""

from __future__ import annotations

from collections.abc import Sequence

from bounded_contexts.intelligence.domain.events import IndicatorsUpdated
from bounded_contexts.prediction.domain.direction_forecaster import (
    DirectionForecaster,
    ForecasterConfig,
)
from events.effects import Effects, EventsToAppend
from events.envelope import Cause, EventEnvelope
from events.policy import ReplayingPolicy
from events.store import EventStore

ACTOR = "algo:qv-direction-logreg-v1"


class OnIndicatorsUpdated(ReplayingPolicy):
    name = "prediction.direction"
    upstreams = ("intelligence",)

    def __init__(
        self,
        stores: dict[str, EventStore],
        effects: Effects,
        config: ForecasterConfig | None = None,
    ) -> None:
        super().__init__(stores, effects)
        self.config = config or ForecasterConfig()
        self.forecasters: dict[str, DirectionForecaster] = {}

    def clear(self) -> None:
        self.forecasters = {}

    def apply(self, upstream: str, events: Sequence[EventEnvelope], uow: EventsToAppend) -> None:
        for envelope in events:
            update = envelope.event
            if not isinstance(update, IndicatorsUpdated):
                continue
            forecaster = self.forecasters.get(update.instrument_id)
            if forecaster is None:
                forecaster = self.forecasters[update.instrument_id] = DirectionForecaster(
                    update.instrument_id, self.config
                )
            forecaster.observe(ts_end=update.ts_end, close=update.close, values=update.values)
            uow.save(forecaster, Cause.following(envelope, actor=ACTOR))
