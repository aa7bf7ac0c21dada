"""The model registry through the real pipeline on the embedded PostgreSQL: the baseline
bootstraps at warm-up, predictions name model and feature hash, a requested retrain is
answered by the training component, and a bad request is recorded, not lost."""

from __future__ import annotations

import numpy as np
import pytest

from bounded_contexts.prediction.application.models_config import ModelsConfig
from bounded_contexts.prediction.application.registry_view import load_registry, restore_model
from bounded_contexts.prediction.application.training_data import load_training_data
from bounded_contexts.prediction.domain.events import (
    ModelTrained,
    PriceDirectionPredicted,
    RetrainRequested,
)
from bounded_contexts.prediction.domain.facts import Fact
from bounded_contexts.prediction.domain.models.training import TrainingConfig
from bounded_contexts.prediction.domain.registry import REGISTRY_ID, ModelRegistry
from events.envelope import Cause
from quantvista.platform import PipelineConfig, Platform
from tests.pipeline_helpers import feed_synthetic

pytestmark = [pytest.mark.integration]

MODELS = ModelsConfig(
    horizons=(1, 5),
    warmup_bars=200,
    training=TrainingConfig(folds=2, embargo_bars=5, min_train_bars=120),
)


def run(url: str) -> Platform:
    platform = Platform(url, None, config=PipelineConfig(models=MODELS))
    platform.create_tables()
    platform.build()
    feed_synthetic(platform, seed=5, instruments=3)
    platform.run_until_caught_up()
    return platform


def predictions(platform: Platform) -> list[PriceDirectionPredicted]:
    return [
        e.event
        for e in platform.stores["prediction"].iter_all()
        if isinstance(e.event, PriceDirectionPredicted)
    ]


def ask(platform: Platform, request_id: str, families: tuple[str, ...], upto: int) -> None:
    store = platform.stores["prediction"]
    last_bar = max(p.ts_end for p in predictions(platform))
    request = RetrainRequested(request_id, "manual", families, last_bar, upto, None)
    fact = Fact("retrain", request_id, request)
    store.append(
        [(p, Cause.origin(ts_event=last_bar, actor="user:quant", key=request_id))
         for p in fact.collect_pending()]
    )  # fmt: skip


def test_the_baseline_bootstraps_once_and_every_prediction_names_it_and_its_features(
    database_url: str,
) -> None:
    platform = run(database_url)
    try:
        registry = load_registry(platform.stores["prediction"])
        (model,) = registry.models.values()
        assert model.family == "logreg" and model.request_id.startswith("bootstrap/")
        assert registry.champion == model.model_id and registry.promotions[0].rule == "first"
        assert model.model_id == f"logreg-{model.weights_sha256[:12]}"
        assert [m.horizon for m in model.metrics] == [1, 5]
        assert all(m.samples > 0 and 0 < m.log_loss < 3 for m in model.metrics)

        made = predictions(platform)
        assert made and {p.model_id for p in made} == {model.model_id}
        assert min(p.ts_end for p in made) >= model.window_end_ts  # none before the model
        # what a prediction names is what the training data holds for that bar
        data = load_training_data(
            platform.stores["intelligence"],
            window_end_ts=max(p.ts_end for p in made),
            upto_position=platform.stores["intelligence"].head(),
            horizons=MODELS.horizons,
            neutral_band=MODELS.neutral_band,
            window_bars=MODELS.window_bars,
        )
        sample = made[len(made) // 2]
        series = next(s for s in data.series if s.instrument_id == sample.instrument_id)
        row = int(np.flatnonzero(series.ts == sample.ts_end)[0])
        assert np.array_equal(series.features[row], np.asarray(sample.features))
        served = restore_model(model, platform.model_weights)
        again = served.probabilities(series.features[: row + 1])[-1]
        assert [round(float(p), 12) for p in again[0]] == [
            sample.forecasts[0].down,
            sample.forecasts[0].neutral,
            sample.forecasts[0].up,
        ]
    finally:
        platform.close()


def test_a_requested_retrain_is_answered_and_promoted_only_by_the_rule(database_url: str) -> None:
    platform = run(database_url)
    try:
        head = platform.stores["intelligence"].head()
        ask(platform, "manual/again", ("logreg",), head)
        platform.run_until_caught_up()
        registry = load_registry(platform.stores["prediction"])
        assert registry.answered("manual/again")
        (challenger,) = [m for m in registry.models.values() if m.request_id == "manual/again"]
        first = next(m for m in registry.models.values() if m.model_version == 1)
        assert challenger.model_version == 2 and challenger.window_end_ts > first.window_end_ts
        promoted = [
            e.event
            for e in platform.stores["prediction"].aggregate_events(REGISTRY_ID)
            if e.event_type == "ModelPromoted" and e.event.model_id == challenger.model_id
        ]
        if promoted:  # only by the rule, with the figures that justified it
            (event,) = promoted
            assert event.rule == "beats-champion" and registry.champion == challenger.model_id
            assert event.challenger_log_loss < event.champion_log_loss - event.margin
        else:
            assert registry.champion == first.model_id
        # replaying the registry's stream gives the same registry
        events = [e.event for e in platform.stores["prediction"].aggregate_events(REGISTRY_ID)]
        assert ModelRegistry.replay(REGISTRY_ID, events).models == registry.models
        assert all(isinstance(m, ModelTrained) for m in registry.models.values())
    finally:
        platform.close()


def test_a_request_that_cannot_be_trained_is_recorded_with_its_reason(database_url: str) -> None:
    platform = run(database_url)
    try:
        ask(platform, "manual/unknown", ("nonsense",), platform.stores["intelligence"].head())
        ask(platform, "manual/empty", ("logreg",), 0)
        platform.run_until_caught_up()
        registry = load_registry(platform.stores["prediction"])
        reasons = {(f.request_id, f.family): f.reason for f in registry.failures}
        assert "unknown model family 'nonsense'" in reasons["manual/unknown", "nonsense"]
        assert "no training data" in reasons["manual/empty", "logreg"]
        # the pipeline goes on: predictions still come from the champion
        assert predictions(platform)[-1].model_id == registry.champion
    finally:
        platform.close()
