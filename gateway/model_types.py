"""GraphQL types of the model registry and the feature vectors: what a model is, how well it
scored out of sample per horizon, how it came to serve or stopped, and what a prediction saw.

Probabilities and scores are floats: they are statistics, not money (principle 5 concerns
money and quantities)."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.scalars import JSON

from gateway.scalars import Nanoseconds, StorePosition, UtcTimestamp


@strawberry.enum(description="Where a model stands in the registry.")
class ModelStatus(Enum):
    CANDIDATE = "candidate"
    CHAMPION = "champion"
    FORMER_CHAMPION = "former-champion"
    RETIRED = "retired"


@strawberry.type(
    description="One confidence bin of a horizon's top-label reliability: of the calls made "
    "with a confidence in (lower, upper], how many there were, their mean confidence and how "
    "often they were right. A calibrated model's accuracy matches its confidence."
)
class ReliabilityBin:
    lower: float
    upper: float
    count: int
    mean_confidence: float
    accuracy: float


@strawberry.type(
    description="Out-of-sample scores of one horizon: walk-forward, each fold calibrated on "
    "earlier folds only."
)
class HorizonMetrics:
    horizon: int = strawberry.field(description="Bars ahead.")
    samples: int
    log_loss: float
    brier: float = strawberry.field(description="Multi-class Brier score (0 is perfect).")
    accuracy: float
    balanced_accuracy: float = strawberry.field(
        description="Mean recall over the classes present: a model always calling the "
        "majority class cannot game it."
    )
    calibration_error: float = strawberry.field(
        description="Expected calibration error: the count-weighted gap between confidence "
        "and accuracy over the reliability bins."
    )
    reliability: list[ReliabilityBin]


@strawberry.type(
    description="A change of the registry, a training request or failure, or a drift "
    "reading (rm_model_changes), in store order."
)
class ModelChange:
    position: StorePosition = strawberry.field(description="Prediction store position.")
    type: str = strawberry.field(
        description="RetrainRequested, ModelTrained, ModelTrainingFailed, ModelPromoted, "
        "ModelRetired or DriftDetected."
    )
    model_id: str | None
    request_id: str | None
    reason: str = strawberry.field(
        description="A request's reason, a promotion's rule, a retirement's or failure's "
        "reason, the drift tests that fired ('' for a training)."
    )
    actor: str = strawberry.field(
        description="`person:<subject>` for what a person did, else the algorithm's id."
    )
    ts_event: Nanoseconds
    details: JSON = strawberry.field(
        description="The figures: a training's summary, the log losses a promotion compared, "
        "a drift reading's per-feature PSI and KS, a request's families and window."
    )

    @strawberry.field
    def ts_event_iso(self) -> UtcTimestamp:
        return UtcTimestamp(self.ts_event)


@strawberry.type(description="A direction model in the registry (rm_models).")
class Model:
    model_id: str = strawberry.field(
        description="`<family>-<first 12 hex of the weights' sha256>`: what predictions name."
    )
    family: str
    version: int = strawberry.field(description="The family's sequence in the registry.")
    status: ModelStatus
    champion: bool = strawberry.field(description="Whether it serves predictions now.")
    request_id: str = strawberry.field(description="The training request it answers.")
    feature_set: str
    feature_names: list[str]
    horizons: list[int]
    neutral_band: float = strawberry.field(
        description="One-bar log-return band of `neutral`; a horizon's is this x sqrt(horizon)."
    )
    lookback: int = strawberry.field(description="Rows of history one prediction reads.")
    hyper_parameters: JSON = strawberry.field(description="The family's settings, name -> value.")
    seed: int
    temperatures: list[float] = strawberry.field(description="Calibration, one per horizon.")
    window_start_ts: Nanoseconds = strawberry.field(description="First bar of the training.")
    window_end_ts: Nanoseconds = strawberry.field(description="Last bar of the training.")
    instruments: list[str]
    samples: int = strawberry.field(description="Feature rows in the window.")
    folds: int
    embargo_bars: int
    holdout_from_ts: Nanoseconds = strawberry.field(
        description="The last fold's block, which a promotion compares champion and "
        "challenger on: [from, to)."
    )
    holdout_to_ts: Nanoseconds
    metrics: list[HorizonMetrics]
    mean_log_loss: float | None = strawberry.field(
        description="Mean log loss over the horizons (what the promotion rule compares)."
    )
    weights_sha256: str
    weights_bytes: int
    trained_at: Nanoseconds = strawberry.field(description="When the training was recorded.")
    promoted_at: Nanoseconds | None = strawberry.field(description="Of its last promotion.")
    promotion_rule: str | None = strawberry.field(
        description="`first`, `beats-champion` or `manual`."
    )
    promoted_by: str | None
    promotion_note: str | None
    retired_at: Nanoseconds | None
    retired_reason: str | None
    retired_by: str | None

    @strawberry.field(
        description="Its request, training, promotions (its own and the one that replaced "
        "it), drift readings and retirement, in store order."
    )
    async def history(self, info: strawberry.Info) -> list[ModelChange]:
        from gateway.resolvers.models import fetch_history

        return await fetch_history(info.context.pool, self.model_id, self.request_id)


@strawberry.type(
    description="The feature vector of one instrument at one bar, as the prediction context "
    "builds it (point in time: nothing stamped after the bar)."
)
class FeatureVector:
    instrument_id: str
    ts_end: Nanoseconds
    feature_set: str
    names: list[str] = strawberry.field(
        description="The feature set's names, in the order of `values` (empty for a feature "
        "set this release does not know)."
    )
    values: list[float]
    absent: list[str] = strawberry.field(
        description="Optional inputs not known at the bar (`regime`, `sentiment`): their "
        "values are 0 and their `*_known` flags 0, never a silent zero."
    )
    hash: str = strawberry.field(
        description="What a prediction's `featureHash` names: sha256 of the feature set, the "
        "values as float64 and the absent inputs (32 hex)."
    )


@strawberry.type(description="What a promoteModel or retireModel recorded.")
class ModelPayload:
    model_id: str
    status: ModelStatus
    position: StorePosition = strawberry.field(
        description="Prediction store position of the event written: pass it as "
        "`minPosition` to `models` or `model` to read the change."
    )


@strawberry.type(description="A training request as recorded (requestRetrain).")
class RetrainPayload:
    request_id: str = strawberry.field(
        description="`manual/<uuid>`: the models trained for it name it, and so does a failure."
    )
    families: list[str]
    window_end_ts: Nanoseconds = strawberry.field(
        description="The latest bar when asked: the training reads every bar up to it."
    )
    upto_position: StorePosition = strawberry.field(
        description="The intelligence store position the training reads up to."
    )
    position: StorePosition = strawberry.field(
        description="Prediction store position of the request: `modelChanges` and `models` "
        "with this `minPosition` show it, and its answer once trained."
    )
