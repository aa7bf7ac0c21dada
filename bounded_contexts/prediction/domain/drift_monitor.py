"""Watching the champion live: its inputs against its training profile, its calls against
what happened.

Fed bar by bar by the predictor (so a reading is a pure function of the bars and predictions
in order — the same in every run of the same input): each forecast's first horizon is
resolved once that many bars of its instrument have closed, with the same neutral band as the
training labels. Every ``check_every`` predictions the last ``window`` vectors and resolved
forecasts are compared with the training window (:mod:`.models.drift`); a reading that drifted
starts a fresh observation window, so every report rests on vectors none other used (a lasting
shift is reported again once a fresh window shows it; retrains have their own cool-down).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from bounded_contexts.prediction.domain.events import (
    DriftDetected,
    FeatureDriftFigure,
    ModelTrained,
)
from bounded_contexts.prediction.domain.models.direction import DOWN, NEUTRAL, UP
from bounded_contexts.prediction.domain.models.drift import (
    DriftThresholds,
    FeatureProfile,
    read_drift,
)


@dataclass
class _Pending:
    close: float
    probabilities: np.ndarray  # (3,) of the first horizon
    bars_left: int


class DriftMonitor:
    def __init__(
        self, *, window: int, check_every: int, thresholds: DriftThresholds | None = None
    ) -> None:
        self.window, self.check_every = window, check_every
        self.thresholds = thresholds or DriftThresholds()
        self.model_id: str | None = None
        self._vectors: deque[np.ndarray] = deque(maxlen=window)
        self._resolved: deque[tuple[np.ndarray, int]] = deque(maxlen=window)
        self._pending: dict[str, deque[_Pending]] = {}
        self._since_check = 0

    def _restart(self, model_id: str | None) -> None:
        self.model_id = model_id
        self._vectors.clear()
        self._resolved.clear()
        self._pending.clear()
        self._since_check = 0

    def observe_bar(self, instrument_id: str, close: float, band: float) -> None:
        """A bar of ``instrument_id`` closed: resolve the forecasts it completes."""
        queue = self._pending.get(instrument_id)
        if not queue:
            return
        for pending in queue:
            pending.bars_left -= 1
        while queue and queue[0].bars_left <= 0:
            done = queue.popleft()
            move = math.log(close / done.close)
            label = UP if move > band else DOWN if move < -band else NEUTRAL
            self._resolved.append((done.probabilities, label))

    def observe_prediction(
        self,
        model: ModelTrained,
        instrument_id: str,
        close: float,
        features: np.ndarray,
        first_horizon: np.ndarray,
    ) -> None:
        if model.model_id != self.model_id:
            self._restart(model.model_id)
        self._vectors.append(features)
        self._pending.setdefault(instrument_id, deque()).append(
            _Pending(close, first_horizon, model.horizons[0])
        )
        self._since_check += 1

    def check(self, model: ModelTrained, ts_end: int) -> DriftDetected | None:
        """A reading when one is due; the event when it drifted (None otherwise)."""
        if self._since_check < self.check_every or model.model_id != self.model_id:
            return None
        self._since_check = 0
        first = model.metrics[0]
        probabilities = labels = None
        if self._resolved:
            probabilities = np.vstack([p for p, _ in self._resolved])
            labels = np.array([label for _, label in self._resolved])
        reading = read_drift(
            FeatureProfile(
                dict(model.feature_profile), dict(model.feature_effective_rows), model.samples
            ),
            model.feature_names,
            np.vstack(self._vectors),
            self.thresholds,
            probabilities=probabilities,
            labels=labels,
            reference_accuracy=first.accuracy,
            reference_brier=first.brier,
        )
        if not reading.drifted:
            return None
        skill = reading.skill
        event = DriftDetected(
            drift_id=f"{model.model_id}/{ts_end}",
            model_id=model.model_id,
            ts_end=ts_end,
            live_samples=len(self._vectors),
            features=tuple(
                FeatureDriftFigure(
                    f.feature,
                    round(f.psi, 12),
                    round(f.ks, 12),
                    round(f.ks_p_value, 12),
                    f.drifted,
                    f.live_effective_rows,
                    f.psi_noise,
                )
                for f in reading.features
            ),
            resolved=len(self._resolved),
            live_accuracy=None if skill is None else round(skill.live_accuracy, 12),
            live_brier=None if skill is None else round(skill.live_brier, 12),
            reference_accuracy=first.accuracy,
            reference_brier=first.brier,
            reasons=reading.reasons(),
        )
        self._restart(model.model_id)
        return event
