"""prediction.RetrainRequested -> train the requested families, register, maybe promote.

The training component: it follows the prediction store and answers every request with
registry events (``ModelTrained``, ``ModelPromoted`` when the rule says so,
``ModelTrainingFailed`` with the reason otherwise), appended atomically with its position.
It keeps no state of its own: the registry is read fresh from the store for every request,
so a person promoting by hand meanwhile is seen, and a conflicting append is re-decided.
"""

from __future__ import annotations

from collections.abc import Sequence

from bounded_contexts.prediction.application.models_config import ModelsConfig
from bounded_contexts.prediction.application.ports import WeightsStore
from bounded_contexts.prediction.application.registry_view import load_registry
from bounded_contexts.prediction.application.trainer import ModelTrainer
from bounded_contexts.prediction.domain.events import RetrainRequested
from events.effects import EventsToAppend
from events.envelope import Cause, EventEnvelope
from events.store import EventStore

ACTOR = "algo:qv-model-trainer"


class OnRetrainRequested:
    name = "prediction.training"
    upstreams = ("prediction",)

    def __init__(
        self, stores: dict[str, EventStore], weights: WeightsStore, config: ModelsConfig
    ) -> None:
        self._store = stores["prediction"]
        self.trainer = ModelTrainer(stores["intelligence"], weights, config)

    def reset(self) -> None:
        """Nothing cached: every request reads the registry afresh."""

    def handle(self, upstream: str, events: Sequence[EventEnvelope], uow: EventsToAppend) -> None:
        registry = None  # read once per batch: later requests see the earlier ones' models
        for envelope in events:
            request = envelope.event
            if not isinstance(request, RetrainRequested) or not request.families:
                continue
            registry = registry or load_registry(self._store)
            self.trainer.fulfil(request, registry)
            uow.save(registry, Cause.following(envelope, actor=ACTOR))
