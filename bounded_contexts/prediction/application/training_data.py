"""The training window, read from the intelligence store through the feature builder.

A training reads the events themselves, not a read model: the model learns from exactly what
the live predictor was shown, and a dropped or lagging projection cannot change it.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from bounded_contexts.prediction.application.feature_feed import bar_of, feed
from bounded_contexts.prediction.domain.features import FEATURE_NAMES, FeatureBuilder
from bounded_contexts.prediction.domain.models.direction import (
    ModelInputError,
    Series,
    TrainingData,
)
from bounded_contexts.prediction.domain.models.labels import direction_labels
from events.store import EventStore


def load_training_data(
    store: EventStore,
    *,
    window_end_ts: int,
    upto_position: int,
    horizons: tuple[int, ...],
    neutral_band: float,
    window_bars: int,
) -> TrainingData:
    """Every instrument's bars stamped at or before ``window_end_ts`` among the events up to
    store position ``upto_position`` (the last
    ``window_bars`` of each), as feature rows with their down/neutral/up labels. A bar whose
    vector is still warming up gives no row but its close still labels the rows before it."""
    builder = FeatureBuilder()
    bars: dict[str, list[tuple[int, float, np.ndarray | None]]] = defaultdict(list)
    for envelope in store.iter_all(upto=upto_position):
        bar = bar_of(envelope.event)
        if bar is not None and bar[1] > window_end_ts:
            continue  # the window ends here; later bars are the future of this training
        vector = feed(builder, envelope.event)
        if bar is not None:
            instrument, ts, close = bar
            bars[instrument].append((ts, close, None if vector is None else vector.array()))
    series = []
    for instrument in sorted(bars):
        rows = bars[instrument][-window_bars:]
        closes = np.array([close for _, close, _ in rows])
        labels = direction_labels(closes, horizons, neutral_band)
        keep = [i for i, (_, _, vector) in enumerate(rows) if vector is not None]
        if len(keep) < 2:
            continue
        series.append(
            Series(
                instrument,
                np.array([rows[i][0] for i in keep], dtype=np.int64),
                np.vstack([rows[i][2] for i in keep]),  # type: ignore[misc]
                labels[keep],
            )
        )
    if not series:
        raise ModelInputError(f"no bar with a full feature vector at or before {window_end_ts}")
    return TrainingData(FEATURE_NAMES, tuple(horizons), tuple(series))
