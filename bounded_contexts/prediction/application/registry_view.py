"""The registry as a serving process sees it: the aggregate, brought up to date from the
store on demand, and the champion's weights restored once per promotion."""

from __future__ import annotations

from bounded_contexts.prediction.application.ports import WeightsStore
from bounded_contexts.prediction.domain.events import ModelTrained
from bounded_contexts.prediction.domain.models.catalogue import model_class
from bounded_contexts.prediction.domain.models.codec import decode_weights
from bounded_contexts.prediction.domain.models.direction import DirectionModel, ModelSpec
from bounded_contexts.prediction.domain.registry import REGISTRY_ID, ModelRegistry
from events.store import EventStore


def load_registry(store: EventStore) -> ModelRegistry:
    return ModelRegistry.replay(REGISTRY_ID, (e.event for e in store.aggregate_events(REGISTRY_ID)))


def restore_model(trained: ModelTrained, weights: WeightsStore) -> DirectionModel:
    """The model a ``ModelTrained`` event describes, from its content-addressed weights."""
    spec = ModelSpec(
        trained.family,
        trained.feature_names,
        trained.horizons,
        trained.lookback,
        dict(trained.hyper_parameters),
        trained.temperatures,
    )
    return model_class(trained.family).restore(
        spec, decode_weights(weights.get(trained.weights_sha256))
    )


class RegistryView:
    def __init__(self, store: EventStore, weights: WeightsStore) -> None:
        self._store, self._weights = store, weights
        self.registry = ModelRegistry()
        self._served: tuple[ModelTrained, DirectionModel] | None = None

    def refresh(self) -> None:
        """Apply the registry events appended since the last look (one indexed query)."""
        for envelope in self._store.aggregate_events(
            REGISTRY_ID, after_version=self.registry.version
        ):
            self.registry.apply(envelope.event)
            self.registry.version += 1

    def champion(self) -> tuple[ModelTrained, DirectionModel] | None:
        trained = self.registry.champion_model()
        if trained is None:
            return None
        if self._served is None or self._served[0].model_id != trained.model_id:
            self._served = (trained, restore_model(trained, self._weights))
        return self._served
