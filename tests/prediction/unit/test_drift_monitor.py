"""The live drift monitor reports a shifted input once, and stays quiet on the training one."""

from __future__ import annotations

import numpy as np

from bounded_contexts.prediction.domain.drift_monitor import DriftMonitor
from bounded_contexts.prediction.domain.events import HorizonMetrics, ModelTrained
from bounded_contexts.prediction.domain.models.drift import profile_features

NAMES = ("a", "b")


def trained(train: np.ndarray) -> ModelTrained:
    profile = profile_features(NAMES, train)
    metrics = (HorizonMetrics(1, 1000, 1.0, 0.6, 0.5, 0.4, 0.02, ()),)
    return ModelTrained(
        "logreg-x", "logreg", 1, "req", {}, 0, "fs-2", NAMES, (1,), 0.0, 1, (1.0,), 0, 1,
        ("SAP",), 2000, 3, 10, metrics, 0, 1, dict(profile.quantiles),
        dict(profile.effective_rows), "ab" * 32, 64,
    )  # fmt: skip


def run(shift: float, seed: int) -> list[object]:
    rng = np.random.default_rng(seed)
    model = trained(rng.normal(size=(2000, 2)))
    monitor = DriftMonitor(window=500, check_every=250)
    found = []
    for t in range(1500):
        monitor.observe_bar("SAP", 100.0, 0.0)
        features = rng.normal(size=2) + np.array([shift, 0.0])
        monitor.observe_prediction(model, "SAP", 100.0, features, np.array([0.3, 0.4, 0.3]))
        event = monitor.check(model, t)
        if event is not None:
            found.append(event)
    return found


def test_no_drift_is_reported_on_the_training_distribution() -> None:
    assert all(run(0.0, seed) == [] for seed in range(10))


def test_a_shifted_input_is_reported_with_its_figures_each_time_from_a_fresh_window() -> None:
    events = run(1.0, 3)
    assert events, "a one-sd shift must be reported"
    first = events[0]
    assert first.model_id == "logreg-x" and first.live_samples >= 250
    drifted = {f.feature: f for f in first.features}
    assert drifted["a"].drifted and not drifted["b"].drifted and drifted["a"].psi > 0.25
    assert any("a" in reason for reason in first.reasons)
    # after a report the window starts again: each report reads only vectors after the last
    assert all(e.live_samples == 250 for e in events) and len(events) == 1500 // 250
