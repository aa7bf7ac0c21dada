"""The model registry as people read it: one row per model with its status, figures and
promotion, and the history of every registry change, training request, training failure and
drift reading (``rm_models``, ``rm_model_changes``).

The status follows :meth:`ModelRegistry.status` exactly — ``champion`` (serving now),
``former-champion`` (served once, replaced since), ``retired``, else ``candidate`` — so the
read model and a registry replayed from the same log always agree (a test checks it).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from psycopg import Cursor

from bounded_contexts.prediction.domain.events import (
    DriftDetected,
    HorizonMetrics,
    ModelPromoted,
    ModelRetired,
    ModelTrained,
    ModelTrainingFailed,
    RetrainRequested,
)
from events.envelope import EventEnvelope
from projections.base import Projection
from projections.text import storable, storable_json

REGISTRY_EVENTS = (
    RetrainRequested,
    ModelTrained,
    ModelTrainingFailed,
    ModelPromoted,
    ModelRetired,
    DriftDetected,
)


def finite(value: Any) -> Any:
    """``value`` with every non-finite float as None (``jsonb`` refuses NaN and infinities)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def metrics_json(metrics: Sequence[HorizonMetrics]) -> str:
    """Per horizon, the scores and the reliability bins as named fields (the event keeps a bin
    as ``(upper edge, count, mean confidence, accuracy)``)."""
    return json.dumps(
        finite(
            [
                {
                    "horizon": m.horizon,
                    "samples": m.samples,
                    "log_loss": m.log_loss,
                    "brier": m.brier,
                    "accuracy": m.accuracy,
                    "balanced_accuracy": m.balanced_accuracy,
                    "calibration_error": m.calibration_error,
                    "reliability": [
                        {
                            "upper": b[0],
                            "count": int(b[1]),
                            "mean_confidence": b[2],
                            "accuracy": b[3],
                        }
                        for b in m.reliability
                    ],
                }
                for m in metrics
            ]
        )
    )


def training_summary(e: ModelTrained) -> dict[str, Any]:
    """What the history keeps of a training (the full figures are on the model's row)."""
    return {
        "family": e.family,
        "model_version": e.model_version,
        "window_start_ts": e.window_start_ts,
        "window_end_ts": e.window_end_ts,
        "samples": e.samples,
        "instruments": list(e.instruments),
        "mean_log_loss": sum(m.log_loss for m in e.metrics) / len(e.metrics) if e.metrics else None,
        "metrics": [
            {"horizon": m.horizon, "log_loss": m.log_loss, "accuracy": m.accuracy}
            for m in e.metrics
        ],
    }


class ModelsProjection(Projection):
    name = "projection.models"
    upstreams = ("prediction",)
    tables = ("rm_models", "rm_model_changes")

    def fold(self, events: Sequence[EventEnvelope], cur: Cursor) -> None:  # type: ignore[type-arg]
        for envelope in events:
            e = envelope.event
            if not isinstance(e, REGISTRY_EVENTS):
                continue  # predictions, mostly
            seq, ts, actor = envelope.position, envelope.ts_event, storable(envelope.actor)
            match e:
                case ModelTrained():
                    self._trained(e, envelope, cur)
                    self._change(cur, envelope, e.model_id, e.request_id, "", training_summary(e))
                case ModelPromoted():
                    cur.execute(
                        "UPDATE rm_models SET status = 'former-champion', updated_seq = %s "
                        "WHERE status = 'champion' AND model_id <> %s",
                        (seq, e.model_id),
                    )
                    cur.execute(
                        "UPDATE rm_models SET status = 'champion', promoted_at = %s, "
                        "promotion_rule = %s, promoted_by = %s, promotion_note = %s, "
                        "updated_seq = %s WHERE model_id = %s",
                        (ts, e.rule, actor, storable(e.note), seq, e.model_id),
                    )
                    self._change(cur, envelope, e.model_id, None, e.rule, envelope.payload)
                case ModelRetired():
                    cur.execute(
                        "UPDATE rm_models SET status = 'retired', retired_at = %s, "
                        "retired_reason = %s, retired_by = %s, updated_seq = %s "
                        "WHERE model_id = %s",
                        (ts, storable(e.reason), actor, seq, e.model_id),
                    )
                    self._change(cur, envelope, e.model_id, None, e.reason, envelope.payload)
                case ModelTrainingFailed():
                    self._change(cur, envelope, None, e.request_id, e.reason, envelope.payload)
                case RetrainRequested():
                    self._change(cur, envelope, None, e.request_id, e.reason, envelope.payload)
                case DriftDetected():
                    reasons = ", ".join(e.reasons)
                    self._change(cur, envelope, e.model_id, None, reasons, envelope.payload)

    def _trained(self, e: ModelTrained, envelope: EventEnvelope, cur: Cursor) -> None:  # type: ignore[type-arg]
        cur.execute(
            "INSERT INTO rm_models (model_id, family, model_version, status, request_id, "
            "feature_set, feature_names, horizons, neutral_band, lookback, hyper_parameters, "
            "seed, temperatures, window_start_ts, window_end_ts, instruments, samples, folds, "
            "embargo_bars, holdout_from_ts, holdout_to_ts, metrics, weights_sha256, "
            "weights_bytes, trained_at, seq, updated_seq) VALUES "
            "(%s, %s, %s, 'candidate', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
            "%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (model_id) DO NOTHING",
            (
                e.model_id,
                e.family,
                e.model_version,
                storable(e.request_id),
                e.feature_set,
                list(e.feature_names),
                list(e.horizons),
                e.neutral_band,
                e.lookback,
                storable_json(finite(dict(e.hyper_parameters))),
                e.seed,
                list(e.temperatures),
                e.window_start_ts,
                e.window_end_ts,
                list(e.instruments),
                e.samples,
                e.folds,
                e.embargo_bars,
                e.holdout_from_ts,
                e.holdout_to_ts,
                metrics_json(e.metrics),
                e.weights_sha256,
                e.weights_bytes,
                envelope.ts_event,
                envelope.position,
                envelope.position,
            ),
        )

    @staticmethod
    def _change(
        cur: Cursor,  # type: ignore[type-arg]
        envelope: EventEnvelope,
        model_id: str | None,
        request_id: str | None,
        reason: str,
        details: dict[str, Any],
    ) -> None:
        cur.execute(
            "INSERT INTO rm_model_changes (seq, event_type, model_id, request_id, reason, actor, "
            "ts_event, details) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (
                envelope.position,
                envelope.event_type,
                model_id,
                storable(request_id),
                storable(reason),
                storable(envelope.actor),
                envelope.ts_event,
                storable_json(finite(details)),
            ),
        )
