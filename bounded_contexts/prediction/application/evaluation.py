"""A registered model scored on a window of the stored bars, beside the champion on the same
rows (``quantvista models evaluate``).

The data is read as a training reads it — the intelligence events through the feature
builder, up to the store's head — and the model is restored from its content-addressed
weights, so the figures are what the model would have scored live on those bars. The default
window is the model's own out-of-sample block (``holdout_from_ts`` .. ``holdout_to_ts``), the
one the promotion rule compares on.
"""

from __future__ import annotations

from dataclasses import dataclass

from bounded_contexts.prediction.application.ports import WeightsStore
from bounded_contexts.prediction.application.registry_commands import (
    InvalidModelCommand,
    NoTrainingData,
    UnknownModel,
    latest_bar,
)
from bounded_contexts.prediction.application.registry_view import restore_model
from bounded_contexts.prediction.application.training_data import load_training_data
from bounded_contexts.prediction.domain.events import ModelTrained
from bounded_contexts.prediction.domain.models.direction import ModelInputError, TrainingData
from bounded_contexts.prediction.domain.models.metrics import HorizonScore
from bounded_contexts.prediction.domain.models.training import evaluate
from bounded_contexts.prediction.domain.registry import ModelRegistry
from events.store import EventStore

EVERY_BAR = 1 << 62
"""``window_bars`` that keeps every stored bar: an evaluation window may lie anywhere."""


@dataclass(frozen=True)
class Evaluation:
    model: ModelTrained
    start_ts: int
    end_ts: int
    scores: tuple[HorizonScore, ...]
    champion: ModelTrained | None
    champion_scores: tuple[HorizonScore, ...] | None
    comparison: str
    """Why the champion is not compared, when it is not ('' when it is)."""


def evaluate_registered(
    registry: ModelRegistry,
    model_id: str,
    intelligence: EventStore,
    weights: WeightsStore,
    *,
    start_ts: int | None = None,
    end_ts: int | None = None,
) -> Evaluation:
    if model_id not in registry.models:
        raise UnknownModel(f"no model {model_id!r} in the registry")
    trained = registry.models[model_id]
    start = trained.holdout_from_ts if start_ts is None else start_ts
    end = trained.holdout_to_ts if end_ts is None else end_ts
    if end <= start:
        raise InvalidModelCommand(
            f"the window must end after it starts ({start}..{end})", field="to"
        )
    upto = intelligence.head()
    window_end = latest_bar(intelligence, upto)
    if window_end is None:
        raise NoTrainingData("no bar has reached the intelligence store yet: nothing to score on")
    try:
        data = load_training_data(
            intelligence,
            window_end_ts=window_end,
            upto_position=upto,
            horizons=trained.horizons,
            neutral_band=trained.neutral_band,
            window_bars=EVERY_BAR,
        )
    except ModelInputError as exc:
        raise NoTrainingData(f"nothing to score on: {exc}") from None
    scores = _scores(trained, weights, data, start, end)
    champion = registry.champion_model()
    if champion is None:
        return Evaluation(trained, start, end, scores, None, None, "the registry has no champion")
    if champion.model_id == model_id:
        return Evaluation(trained, start, end, scores, champion, None, "it is the champion")
    differs = [
        what
        for what, same in (
            ("feature set", champion.feature_set == trained.feature_set),
            ("horizons", champion.horizons == trained.horizons),
            ("neutral band", champion.neutral_band == trained.neutral_band),
        )
        if not same
    ]
    if differs:
        return Evaluation(
            trained,
            start,
            end,
            scores,
            champion,
            None,
            f"the champion has another {', '.join(differs)}: its scores would not compare",
        )
    return Evaluation(
        trained, start, end, scores, champion, _scores(champion, weights, data, start, end), ""
    )


def _scores(
    trained: ModelTrained, weights: WeightsStore, data: TrainingData, start: int, end: int
) -> tuple[HorizonScore, ...]:
    model = restore_model(trained, weights)
    try:
        return evaluate(model, data, start, end)
    except ModelInputError as exc:
        raise NoTrainingData(
            f"no bar with a known outcome in the window {start}..{end}: {exc}"
        ) from None
