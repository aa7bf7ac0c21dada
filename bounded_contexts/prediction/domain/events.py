"""Events of the prediction context (stream ``predictions``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from events.domain import DomainEvent


@dataclass(frozen=True)
class _PredictionEvent(DomainEvent):
    CONTEXT = "prediction"
    STREAM = "predictions"


@dataclass(frozen=True)
class DirectionModelTrained(_PredictionEvent):
    """A price-direction model was fitted; its version identifies it in every prediction
    (and, for MiFID II, in the algo id of the decisions it drives).

    Recorded by releases before the model registry (a per-instrument logistic model fitted
    inline); kept so that older logs still read. ``ModelTrained`` replaced it."""

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
class HorizonForecast:
    """Probabilities of a move down, within the neutral band, or up over ``horizon`` bars."""

    horizon: int
    down: float
    neutral: float
    up: float


@dataclass(frozen=True)
class PriceDirectionPredicted(_PredictionEvent):
    """A model's forecast for one instrument after one bar, and what it saw.

    ``forecasts`` holds down/neutral/up per horizon. ``probability_up`` is the directional
    reading of the ``horizon_bars`` forecast the strategy trades on: P(up) + P(neutral) / 2,
    a move within the band counting as a coin flip. ``model_id`` (content address of the
    weights) and ``model_version`` (the family's registry sequence) name the model;
    ``features`` and ``feature_hash`` are the vector it read (feature set ``feature_set``).
    ``annualised_volatility`` is the risk estimate the decision context sizes with.

    Version 2 added the registry's model id and version, the horizons and the features;
    version 1 (one up-probability from a per-instrument logistic model) is upcast with its
    model version as the id, version 1, feature set ``fs-1`` and no features.

    Version 3 added the market regime in force at the bar (``regime``, and ``regime_level``
    from 0 for the calmest to 1 for the most turbulent), which the strategy sizes with; both
    are None while no regime has been read, and in every version-2 payload."""

    SCHEMA_VERSION = 3

    instrument_id: str
    ts_end: int
    probability_up: float
    model_id: str
    model_version: int
    horizon_bars: int
    reference_price: Decimal
    annualised_volatility: float | None
    feature_set: str
    feature_hash: str
    features: tuple[float, ...]
    forecasts: tuple[HorizonForecast, ...]
    regime: str | None
    regime_level: float | None


def _prediction_v1_to_v2(payload: dict) -> dict:  # type: ignore[type-arg]
    p = float(payload["probability_up"])
    legacy = payload.pop("model_version")
    return {
        **payload,
        "model_id": legacy,
        "model_version": 1,
        "feature_set": "fs-1",
        "feature_hash": "",
        "features": [],
        "forecasts": [
            {"horizon": payload["horizon_bars"], "down": 1.0 - p, "neutral": 0.0, "up": p}
        ],
    }


def _prediction_v2_to_v3(payload: dict) -> dict:  # type: ignore[type-arg]
    return {**payload, "regime": None, "regime_level": None}


PriceDirectionPredicted.UPCASTERS = {1: _prediction_v1_to_v2, 2: _prediction_v2_to_v3}


@dataclass(frozen=True)
class HorizonMetrics:
    """Out-of-sample scores of one horizon (walk-forward, calibrated on earlier folds)."""

    horizon: int
    samples: int
    log_loss: float
    brier: float
    accuracy: float
    balanced_accuracy: float
    calibration_error: float
    #: top-label reliability: (bin upper edge, count, mean confidence, accuracy) per bin
    reliability: tuple[tuple[float, ...], ...]


RetrainReason = Literal["warm-up", "schedule", "drift", "manual"]


@dataclass(frozen=True)
class RetrainRequested(_PredictionEvent):
    """New models are wanted: the trainer fits ``families`` on the window ending at
    ``window_end_ts`` (every bar at or before it) and records what it learnt.

    Asked for by the model watch (warm-up, schedule, drift — the drift event's id in
    ``drift_id``) or by a person (``manual``; the actor is in the event's cause, their words
    in ``note``).

    Version 2 added ``note``; version-1 requests are upcast with an empty one (the model
    watch's requests carry none)."""

    SCHEMA_VERSION = 2

    request_id: str
    reason: RetrainReason
    families: tuple[str, ...]
    window_end_ts: int
    #: the intelligence store's position the window reads up to: a training sees exactly the
    #: events that were there when it was asked for, however late it runs
    upto_position: int
    drift_id: str | None
    #: why a person asked (empty for the model watch's requests)
    note: str = ""


def _retrain_v1_to_v2(payload: dict) -> dict:  # type: ignore[type-arg]
    return {**payload, "note": ""}


RetrainRequested.UPCASTERS = {1: _retrain_v1_to_v2}


@dataclass(frozen=True)
class ModelTrained(_PredictionEvent):
    """A model was fitted and scored out of sample; its weights are stored under
    ``weights_sha256`` (content-addressed) and ``model_id`` is ``<family>-<sha256[:12]>``."""

    model_id: str
    family: str
    model_version: int
    request_id: str
    hyper_parameters: dict[str, str | int | float | bool]
    seed: int
    feature_set: str
    feature_names: tuple[str, ...]
    horizons: tuple[int, ...]
    neutral_band: float
    lookback: int
    temperatures: tuple[float, ...]
    window_start_ts: int
    window_end_ts: int
    instruments: tuple[str, ...]
    samples: int
    folds: int
    embargo_bars: int
    metrics: tuple[HorizonMetrics, ...]
    #: the out-of-sample block the promotion rule compares on: [from, to)
    holdout_from_ts: int
    holdout_to_ts: int
    #: quantiles of every feature over the training window (what drift is measured against)
    feature_profile: dict[str, tuple[float, ...]]
    #: the independent rows those quantiles are worth, per feature (autocorrelation-adjusted)
    feature_effective_rows: dict[str, float]
    weights_sha256: str
    weights_bytes: int


PromotionRule = Literal["first", "beats-champion", "manual"]


@dataclass(frozen=True)
class ModelPromoted(_PredictionEvent):
    """``model_id`` is now the champion: every new prediction comes from it.

    ``rule`` says why: the first model (best of the first batch), a challenger that beat the
    champion's log loss on the same out-of-sample block by ``margin``, or a person
    (``manual``; who is in the cause). The log losses compared are recorded."""

    model_id: str
    previous_champion: str | None
    rule: PromotionRule
    challenger_log_loss: float | None
    champion_log_loss: float | None
    margin: float | None
    compared_from_ts: int | None
    compared_to_ts: int | None
    note: str


@dataclass(frozen=True)
class ModelRetired(_PredictionEvent):
    """``model_id`` may no longer be promoted or serve; why, in ``reason``."""

    model_id: str
    reason: str


@dataclass(frozen=True)
class ModelTrainingFailed(_PredictionEvent):
    """A family could not be trained for a request; ``reason`` says why (too little data,
    a window too short for its folds, a family error). The other families still ran."""

    request_id: str
    family: str
    reason: str


@dataclass(frozen=True)
class FeatureDriftFigure:
    feature: str
    psi: float
    ks: float
    ks_p_value: float
    drifted: bool
    #: independent rows the live window was worth, and the PSI its noise alone would show
    live_effective_rows: float
    psi_noise: float


@dataclass(frozen=True)
class DriftDetected(_PredictionEvent):
    """The champion's inputs or skill moved away from its training window.

    Feature figures (PSI, Kolmogorov-Smirnov against the training profile) over the last
    ``live_samples`` vectors; skill (accuracy, Brier of the horizon-1 forecasts resolved so
    far) against the training out-of-sample figures. ``reasons`` says which tests fired."""

    drift_id: str
    model_id: str
    ts_end: int
    live_samples: int
    features: tuple[FeatureDriftFigure, ...]
    resolved: int
    live_accuracy: float | None
    live_brier: float | None
    reference_accuracy: float
    reference_brier: float
    reasons: tuple[str, ...]
