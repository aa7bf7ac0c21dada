"""Fulfilling a training request: fit every family walk-forward, store the weights, register
the models, and promote one when the rule says so.

Runs in its own component (``prediction.training``), never in the bar-by-bar handler: a
training takes seconds to minutes, and the predictor keeps serving the champion meanwhile.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from bounded_contexts.prediction.application.models_config import ModelsConfig
from bounded_contexts.prediction.application.ports import WeightsStore
from bounded_contexts.prediction.application.registry_view import restore_model
from bounded_contexts.prediction.application.training_data import load_training_data
from bounded_contexts.prediction.domain.events import HorizonMetrics, ModelTrained, RetrainRequested
from bounded_contexts.prediction.domain.features import FEATURE_SET
from bounded_contexts.prediction.domain.models.catalogue import family_named
from bounded_contexts.prediction.domain.models.codec import encode_weights
from bounded_contexts.prediction.domain.models.direction import ModelInputError, TrainingData
from bounded_contexts.prediction.domain.models.drift import FeatureProfile, profile_features
from bounded_contexts.prediction.domain.models.metrics import HorizonScore, score
from bounded_contexts.prediction.domain.models.training import (
    TrainingReport,
    evaluate,
    held_out_temperatures,
    mean_log_loss,
    softmax,
    train_walk_forward,
)
from bounded_contexts.prediction.domain.registry import ModelRegistry
from events.store import EventStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Challenger:
    trained: ModelTrained
    report: TrainingReport
    holdout_log_loss: float


def horizon_metrics(scores: tuple[HorizonScore, ...]) -> tuple[HorizonMetrics, ...]:
    return tuple(
        HorizonMetrics(
            s.horizon,
            s.samples,
            s.log_loss,
            s.brier,
            s.accuracy,
            s.balanced_accuracy,
            s.calibration_error,
            tuple(
                (b.upper, float(b.count), round(b.mean_confidence, 12), round(b.accuracy, 12))
                for b in s.reliability
            ),
        )
        for s in scores
    )


def feature_profile(data: TrainingData) -> FeatureProfile:
    """The training window's quantiles per feature and the effective rows behind them (each
    instrument a series), as drift reads them back."""
    groups = [s.instrument_id for s in data.series for _ in range(len(s.features))]
    return profile_features(data.feature_names, data.stacked()[0], groups)


def holdout_score(report: TrainingReport, horizons: tuple[int, ...]) -> float:
    """Mean log loss of the last fold's block, calibrated on the earlier folds only."""
    last = report.last_fold
    temperatures = held_out_temperatures(report.held_out[:-1], len(horizons))
    return mean_log_loss(score(horizons, softmax(last.logits, temperatures), last.labels))


class ModelTrainer:
    def __init__(
        self, intelligence: EventStore, weights: WeightsStore, config: ModelsConfig
    ) -> None:
        self._intelligence, self._weights, self.config = intelligence, weights, config

    def fulfil(self, request: RetrainRequested, registry: ModelRegistry) -> list[Challenger]:
        """Train, register and maybe promote, all recorded on ``registry``; a request already
        fulfilled (a model names it) records nothing."""
        if registry.answered(request.request_id):
            return []
        config = self.config
        try:
            data = load_training_data(
                self._intelligence,
                window_end_ts=request.window_end_ts,
                upto_position=request.upto_position,
                horizons=config.horizons,
                neutral_band=config.neutral_band,
                window_bars=config.window_bars,
            )
        except ModelInputError as exc:
            for name in request.families:
                registry.fail(request.request_id, name, f"no training data: {exc}")
            return []
        challengers = []
        for name in request.families:
            try:
                challenger = self._train(name, data, request, registry)
            except ModelInputError as exc:
                registry.fail(request.request_id, name, str(exc))
                continue
            if challenger is not None:
                challengers.append(challenger)
        self._promote(challengers, data, registry)
        return challengers

    def _train(
        self, name: str, data: TrainingData, request: RetrainRequested, registry: ModelRegistry
    ) -> Challenger | None:
        family = family_named(name)
        started = time.perf_counter()
        report = train_walk_forward(family, data, self.config.training)
        # wall time is for operators, not the log: two runs of the same input record the
        # same events, however long each took
        log.info("trained %s in %.1f s", name, time.perf_counter() - started)
        blob = encode_weights(report.model.weights())
        sha = self._weights.put(blob, family=name)
        model_id = f"{name}-{sha[:12]}"
        if model_id in registry.models:
            registry.fail(
                request.request_id, name, f"reproduced {model_id} exactly: nothing new to register"
            )
            return None
        spec = report.model.spec
        last = report.last_fold.fold
        profile = feature_profile(data)
        trained = ModelTrained(
            model_id=model_id,
            family=name,
            model_version=registry.next_version(name),
            request_id=request.request_id,
            hyper_parameters=dict(spec.hyper_parameters),
            seed=self.config.training.seed,
            feature_set=FEATURE_SET,
            feature_names=data.feature_names,
            horizons=data.horizons,
            neutral_band=self.config.neutral_band,
            lookback=spec.lookback,
            temperatures=spec.temperatures,
            window_start_ts=report.window_start,
            window_end_ts=report.window_end,
            instruments=report.instruments,
            samples=report.samples,
            folds=self.config.training.folds,
            embargo_bars=self.config.training.embargo_bars,
            metrics=horizon_metrics(report.scores),
            holdout_from_ts=last.test_start,
            holdout_to_ts=last.test_end,
            feature_profile=dict(profile.quantiles),
            feature_effective_rows=dict(profile.effective_rows),
            weights_sha256=sha,
            weights_bytes=len(blob),
        )
        holdout = holdout_score(report, data.horizons)  # before registering: all or nothing
        registry.register(trained)
        return Challenger(trained, report, holdout)

    def _promote(
        self, challengers: list[Challenger], data: TrainingData, registry: ModelRegistry
    ) -> None:
        if not challengers:
            return
        champion = registry.champion_model()
        if champion is None:
            best = min(
                challengers, key=lambda c: (mean_log_loss(c.report.scores), c.trained.model_id)
            )
            registry.promote(
                best.trained.model_id,
                rule="first",
                challenger_log_loss=round(mean_log_loss(best.report.scores), 12),
                note=f"best walk-forward log loss of {len(challengers)} model(s) trained first",
            )
            return
        if champion.feature_set != FEATURE_SET or champion.horizons != data.horizons:
            log.warning("champion %s reads another feature set or horizons", champion.model_id)
            return
        served = restore_model(champion, self._weights)
        margin = self.config.promotion_margin
        winners = []
        for c in challengers:
            t = c.trained
            champion_loss = mean_log_loss(
                evaluate(served, data, t.holdout_from_ts, t.holdout_to_ts)
            )
            if c.holdout_log_loss < champion_loss - margin:
                winners.append((c.holdout_log_loss - champion_loss, c, champion_loss))
        if winners:
            _, best, champion_loss = min(winners, key=lambda w: (w[0], w[1].trained.model_id))
            registry.promote(
                best.trained.model_id,
                rule="beats-champion",
                challenger_log_loss=round(best.holdout_log_loss, 12),
                champion_log_loss=round(champion_loss, 12),
                margin=margin,
                compared=(best.trained.holdout_from_ts, best.trained.holdout_to_ts),
                note="out-of-sample log loss on the challenger's last walk-forward block",
            )
