"""The price-direction forecaster of one instrument, as an aggregate.

Lifecycle: collect (features at t-1, did bar t close up?) pairs over a warm-up window; fit the
logistic model once the window is full (``DirectionModelTrained``); from then on predict the
next bar's direction after every bar (``PriceDirectionPredicted``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from bounded_contexts.prediction.domain.direction_model import (
    LogisticModel,
    features_from_indicators,
    fit_logistic,
)
from bounded_contexts.prediction.domain.events import DirectionModelTrained, PriceDirectionPredicted
from events.domain import Aggregate, DomainEvent

NAMESPACE = uuid.UUID("9a8d7c6b-5e4f-4a3b-8c2d-1e0f9a8b7c6d")


@dataclass(frozen=True)
class ForecasterConfig:
    warmup_samples: int = 120
    horizon_bars: int = 1
    volatility_key: str = "volatility"
    bars_per_year: float = 252 * 510


class DirectionForecaster(Aggregate):
    def __init__(self, instrument_id: str, config: ForecasterConfig) -> None:
        super().__init__(uuid.uuid5(NAMESPACE, instrument_id))
        self.instrument_id, self.config = instrument_id, config
        self.model: LogisticModel | None = None
        self._previous_features: np.ndarray | None = None
        self._previous_close: float | None = None
        self._x: list[np.ndarray] = []
        self._y: list[float] = []

    def observe(self, *, ts_end: int, close: Decimal, values: dict[str, float | None]) -> None:
        price = float(close)
        if (
            self._previous_features is not None
            and self._previous_close is not None
            and self.model is None
        ):
            self._x.append(self._previous_features)
            self._y.append(1.0 if price > self._previous_close else 0.0)
        features = features_from_indicators(values, price, self._previous_close)
        self._previous_features, self._previous_close = features, price
        if self.model is None and len(self._y) >= self.config.warmup_samples:
            model = fit_logistic(np.vstack(self._x), np.asarray(self._y), name=self.instrument_id)
            self._record(
                DirectionModelTrained(
                    self.instrument_id,
                    model.version,
                    model.feature_names,
                    model.weights,
                    model.bias,
                    model.means,
                    model.scales,
                    model.train_samples,
                    model.train_accuracy,
                )
            )
        if self.model is not None and features is not None:
            probability = float(self.model.probability_up(features[None, :])[0])
            self._record(
                PriceDirectionPredicted(
                    self.instrument_id,
                    ts_end,
                    round(probability, 12),
                    self.model.version,
                    self.config.horizon_bars,
                    close,
                    self._annualised_volatility(values),
                )
            )

    def _annualised_volatility(self, values: dict[str, float | None]) -> float | None:
        vol = values.get(self.config.volatility_key)
        return None if vol is None or vol <= 0 else float(vol)

    def apply(self, event: DomainEvent) -> None:
        match event:
            case DirectionModelTrained():
                self.model = LogisticModel(
                    version=event.model_version,
                    feature_names=event.feature_names,
                    weights=event.weights,
                    bias=event.bias,
                    means=event.feature_means,
                    scales=event.feature_scales,
                    train_samples=event.train_samples,
                    train_accuracy=event.train_accuracy,
                )
                self._x, self._y = [], []
            case PriceDirectionPredicted():
                pass
            case _:
                super().apply(event)
