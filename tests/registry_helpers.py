"""Models registered without a training, for tests of what people do with the registry (the
role matrix, GraphQL's registry fields) on a platform whose few bars could train nothing.

Each model's weights are stored (a person's promotion checks that the champion could serve),
but they are placeholder bytes: a platform seeded this way must not be fed bars afterwards,
or the predictor would try to restore them.
"""

from __future__ import annotations

import hashlib

from bounded_contexts.prediction.application.registry_view import load_registry
from bounded_contexts.prediction.domain.events import HorizonMetrics, ModelTrained
from bounded_contexts.prediction.domain.features import FEATURE_NAMES, FEATURE_SET
from events.effects import EventsToAppend
from events.envelope import Cause
from quantvista.platform import Platform

T0 = 1_794_830_400_000_000_000  # 2026-11-16T09:00:00Z
MINUTE = 60_000_000_000


def trained(index: int, sha: str, *, family: str = "logreg", version: int = 1) -> ModelTrained:
    """A plausible ``ModelTrained`` (two horizons, three reliability bins)."""
    metrics = tuple(
        HorizonMetrics(
            h,
            400,
            1.05 - 0.01 * index,
            0.62,
            0.41 + 0.01 * index,
            0.38,
            0.04,
            ((0.4, 120.0, 0.37, 0.35), (0.7, 250.0, 0.52, 0.49), (1.0, 30.0, 0.81, 0.7)),
        )
        for h in (1, 5)
    )
    return ModelTrained(
        model_id=f"{family}-{sha[:12]}",
        family=family,
        model_version=version,
        request_id=f"seeded/{index}",
        hyper_parameters={"l2": 0.01, "steps": 200},
        seed=0,
        feature_set=FEATURE_SET,
        feature_names=FEATURE_NAMES,
        horizons=(1, 5),
        neutral_band=0.0002,
        lookback=1,
        temperatures=(1.1, 0.9),
        window_start_ts=T0,
        window_end_ts=T0 + (300 + index) * MINUTE,
        instruments=("ALV", "SAP"),
        samples=600,
        folds=2,
        embargo_bars=5,
        metrics=metrics,
        holdout_from_ts=T0 + 200 * MINUTE,
        holdout_to_ts=T0 + 300 * MINUTE,
        feature_profile={name: (0.0, 1.0) for name in FEATURE_NAMES},
        feature_effective_rows={name: 600.0 for name in FEATURE_NAMES},
        weights_sha256=sha,
        weights_bytes=16,
    )


def seed_registry(platform: Platform, count: int) -> list[str]:
    """Register ``count`` models, the first promoted by the rule ``first``; their ids."""
    registry = load_registry(platform.stores["prediction"])
    ids = []
    for index in range(count):
        blob = f"placeholder weights {index}".encode()
        sha = platform.model_weights.put(blob, family="logreg")
        assert sha == hashlib.sha256(blob).hexdigest()
        model = trained(index, sha, version=registry.next_version("logreg"))
        registry.register(model)
        ids.append(model.model_id)
    if registry.champion is None:
        registry.promote(ids[0], rule="first", challenger_log_loss=1.05, note="seeded")
    uow = EventsToAppend()
    uow.save(registry, Cause.origin(ts_event=T0, actor="algo:qv-model-trainer", key="seed"))
    platform.stores["prediction"].append(uow.items)
    return ids
