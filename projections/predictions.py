"""Price-direction predictions per instrument and bar."""

from __future__ import annotations

import json
from collections.abc import Sequence

from psycopg import Cursor

from bounded_contexts.prediction.domain.events import PriceDirectionPredicted
from events.envelope import EventEnvelope
from projections.base import Projection


class PredictionsProjection(Projection):
    name = "projection.predictions"
    upstreams = ("prediction",)
    tables = ("rm_predictions",)

    def fold(self, events: Sequence[EventEnvelope], cur: Cursor) -> None:  # type: ignore[type-arg]
        rows = [
            (
                e.instrument_id,
                e.ts_end,
                e.probability_up,
                e.model_id,
                e.model_version,
                e.feature_hash,
                json.dumps(
                    [
                        {"horizon": f.horizon, "down": f.down, "neutral": f.neutral, "up": f.up}
                        for f in e.forecasts
                    ]
                ),
            )
            for e in (env.event for env in events)
            if isinstance(e, PriceDirectionPredicted)
        ]
        if rows:
            cur.executemany(
                "INSERT INTO rm_predictions (instrument_id, ts_event, probability_up, "
                "model_version, registry_version, feature_hash, forecasts) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                rows,
            )
