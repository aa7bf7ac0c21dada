"""Events of the prediction context (stream ``predictions``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from events.domain import DomainEvent


@dataclass(frozen=True)
class _PredictionEvent(DomainEvent):
    CONTEXT = "prediction"
    STREAM = "predictions"


@dataclass(frozen=True)
class DirectionModelTrained(_PredictionEvent):
    """A price-direction model was fitted; its version identifies it in every prediction
    (and, for MiFID II, in the algo id of the decisions it drives)."""

    instrument_id: str
    model_version: str
    feature_names: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    feature_means: tuple[float, ...]
    feature_scales: tuple[float, ...]
    train_samples: int
    train_accuracy: float


@dataclass(frozen=True)
class PriceDirectionPredicted(_PredictionEvent):
    """Probability that the next bar closes above this one, from a named model version.

    ``annualised_volatility`` is the risk estimate the decision context sizes with."""

    instrument_id: str
    ts_end: int
    probability_up: float
    model_version: str
    horizon_bars: int
    reference_price: Decimal
    annualised_volatility: float | None
