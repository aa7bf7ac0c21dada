"""intelligence events -> feature vectors -> the champion's forecast for every bar.

The bar-by-bar path of the prediction context. Per bar it builds the instrument's feature
vector (point in time, :mod:`..domain.features`) and, once the registry has a champion, asks
it for down/neutral/up over every horizon (``PriceDirectionPredicted``, naming the model and
the vector's hash).

Training is not done here, with one exception: when the universe has warmed up and the
registry is empty, the baseline family is fitted inline, once — a deterministic point from
which predictions start, the same in every run of the same input. Every other training (the
challenger families, scheduled and drift-driven retrains) is *requested* here
(``RetrainRequested``) and done by the training component; a model it promotes serves from
the first bar this policy handles after the promotion is stored.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence

import numpy as np

from bounded_contexts.intelligence.domain.events import IndicatorsUpdated
from bounded_contexts.prediction.application.feature_feed import bar_of, feed
from bounded_contexts.prediction.application.models_config import ModelsConfig
from bounded_contexts.prediction.application.ports import WeightsStore
from bounded_contexts.prediction.application.registry_view import RegistryView
from bounded_contexts.prediction.application.trainer import ModelTrainer
from bounded_contexts.prediction.domain.drift_monitor import DriftMonitor
from bounded_contexts.prediction.domain.events import (
    HorizonForecast,
    ModelTrained,
    PriceDirectionPredicted,
    RetrainReason,
    RetrainRequested,
)
from bounded_contexts.prediction.domain.facts import Fact
from bounded_contexts.prediction.domain.features import FeatureBuilder, FeatureVector
from bounded_contexts.prediction.domain.models.drift import DriftThresholds
from bounded_contexts.prediction.domain.models.logistic import FAMILY as BASELINE
from events.effects import Effects, EventsToAppend
from events.envelope import Cause, EventEnvelope
from events.policy import ReplayingPolicy
from events.store import EventStore

ACTOR = "algo:qv-direction"
TRAINER_ACTOR = "algo:qv-model-trainer"
MAX_LOOKBACK = 128  # rows of history kept per instrument for sequence models


class OnIndicatorsUpdated(ReplayingPolicy):
    name = "prediction.direction"
    upstreams = ("intelligence",)

    def __init__(
        self,
        stores: dict[str, EventStore],
        effects: Effects,
        weights: WeightsStore,
        config: ModelsConfig | None = None,
    ) -> None:
        super().__init__(stores, effects)
        self.config = config or ModelsConfig()
        self._weights = weights
        self.trainer = ModelTrainer(stores["intelligence"], weights, self.config)
        self.clear()

    def clear(self) -> None:
        # the registry too: a failed append may have left unstored events applied to it
        self.registry = RegistryView(self._stores["prediction"], self._weights)
        self.builder = FeatureBuilder()
        self.windows: dict[str, deque[np.ndarray]] = {}
        self.vectors_seen: dict[str, int] = {}
        self.warmed_up_at: int | None = None  # vectors seen (universe) when warm-up was reached
        self.last_scheduled = 0
        self.last_drift_retrain: int | None = None
        # in memory only: after a restart the drift monitor starts a fresh observation window
        self.drift = DriftMonitor(
            window=self.config.drift_window,
            check_every=self.config.drift_check_every,
            thresholds=DriftThresholds(min_resolved=self.config.drift_min_resolved),
        )

    def apply(self, upstream: str, events: Sequence[EventEnvelope], uow: EventsToAppend) -> None:
        if not self.rebuilding:
            self.registry.refresh()
        band = self.config.neutral_band * math.sqrt(self.config.horizons[0])
        for envelope in events:
            bar = bar_of(envelope.event)
            if bar is not None and not self.rebuilding:
                self.drift.observe_bar(bar[0], bar[2], band)
            vector = feed(self.builder, envelope.event)
            if vector is None:
                continue
            window = self.windows.setdefault(vector.instrument_id, deque(maxlen=MAX_LOOKBACK))
            window.append(vector.array())
            self.vectors_seen[vector.instrument_id] = (
                self.vectors_seen.get(vector.instrument_id, 0) + 1
            )
            self._schedule(envelope, vector, uow)
            if not self.rebuilding:
                self._predict(envelope, vector, uow)

    # -- training requests ---------------------------------------------------------
    def _universe_bars(self) -> int:
        return sum(self.vectors_seen.values())

    def _schedule(
        self, envelope: EventEnvelope, vector: FeatureVector, uow: EventsToAppend
    ) -> None:
        seen = self.vectors_seen
        if self.warmed_up_at is None:
            if sum(seen.values()) / len(seen) < self.config.warmup_bars:
                return
            self.warmed_up_at = self.last_scheduled = self._universe_bars()
            if self.rebuilding:
                return
            self.registry.refresh()
            if self.registry.registry.champion is None:
                self._bootstrap(envelope, vector, uow)
            if self.config.challengers:
                self._request("warm-up", self.config.challengers, envelope, vector, uow)
            return
        every = self.config.retrain_every_bars
        if every and self._universe_bars() - self.last_scheduled >= every:
            self.last_scheduled = self._universe_bars()
            if not self.rebuilding:
                self._request("schedule", self.config.families(), envelope, vector, uow)

    def _request(
        self,
        reason: RetrainReason,
        families: tuple[str, ...],
        envelope: EventEnvelope,
        vector: FeatureVector,
        uow: EventsToAppend,
        drift_id: str | None = None,
    ) -> RetrainRequested:
        request_id = f"{reason}/{vector.ts_end}/{envelope.position}"
        request = RetrainRequested(
            request_id, reason, families, vector.ts_end, envelope.position, drift_id
        )
        uow.save(Fact("retrain", request_id, request), Cause.following(envelope, actor=ACTOR))
        return request

    def _bootstrap(
        self, envelope: EventEnvelope, vector: FeatureVector, uow: EventsToAppend
    ) -> None:
        """Fit the baseline inline, once: the first champion, at the same bar in every run.

        Its id names the bar, not the store position: a run killed and restarted may have
        burnt positions, and must still record the very same model."""
        request = RetrainRequested(
            f"bootstrap/{vector.ts_end}",
            "warm-up",
            (BASELINE,),
            vector.ts_end,
            envelope.position,
            None,
        )
        registry = self.registry.registry
        self.trainer.fulfil(request, registry)
        uow.save(registry, Cause.following(envelope, actor=TRAINER_ACTOR))

    # -- serving -------------------------------------------------------------------
    def _predict(self, envelope: EventEnvelope, vector: FeatureVector, uow: EventsToAppend) -> None:
        served = self.registry.champion()
        if served is None:
            return
        trained, model = served
        window = self.windows[vector.instrument_id]
        rows = np.vstack(list(window)[-model.spec.lookback :])
        probabilities = model.probabilities(rows)[-1]
        forecasts = tuple(
            HorizonForecast(h, *(round(float(p), 12) for p in probabilities[i]))
            for i, h in enumerate(trained.horizons)
        )
        first = forecasts[0]
        event = envelope.event
        assert isinstance(event, IndicatorsUpdated)
        regime = self.builder.regimes.as_of(vector.ts_end)
        prediction = PriceDirectionPredicted(
            instrument_id=vector.instrument_id,
            ts_end=vector.ts_end,
            probability_up=round(first.up + first.neutral / 2, 12),
            model_id=trained.model_id,
            model_version=trained.model_version,
            horizon_bars=first.horizon,
            reference_price=event.close,
            annualised_volatility=_volatility(event.values.get(self.config.volatility_key)),
            feature_set=vector.feature_set,
            feature_hash=vector.hash,
            features=vector.values,
            forecasts=forecasts,
            regime=regime.name if regime else None,
            regime_level=regime.level if regime else None,
        )
        uow.save(
            Fact("forecast", f"{vector.instrument_id}/{vector.ts_end}", prediction),
            Cause.following(envelope, actor=f"{ACTOR}/{trained.model_id}"),
        )
        self._watch(envelope, vector, trained, probabilities[0], uow)

    # -- drift ---------------------------------------------------------------------
    def _watch(
        self,
        envelope: EventEnvelope,
        vector: FeatureVector,
        trained: ModelTrained,
        first_horizon: np.ndarray,
        uow: EventsToAppend,
    ) -> None:
        self.drift.observe_prediction(
            trained, vector.instrument_id, vector.close, vector.array(), first_horizon
        )
        drifted = self.drift.check(trained, vector.ts_end)
        if drifted is None:
            return
        cause = Cause.following(envelope, actor=f"{ACTOR}/drift-monitor")
        uow.save(Fact("drift", drifted.drift_id, drifted), cause)
        bars = self._universe_bars()
        cooled = (
            self.last_drift_retrain is None
            or bars - self.last_drift_retrain >= self.config.retrain_cooldown_bars
        )
        if self.config.retrain_on_drift and cooled:
            self.last_drift_retrain = bars
            self._request("drift", self.config.families(), envelope, vector, uow, drifted.drift_id)


def _volatility(value: float | None) -> float | None:
    return None if value is None or value <= 0 else float(value)
