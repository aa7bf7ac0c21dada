"""Seeded data and the behaviour every direction-model family must show.

Each family's tests call :func:`check_family_contract`; the data generators plant a signal
(a feature that leads the next bar's return) or none at all (a pure random walk), so "it
learns" and "it does not invent" are both checked the same way for every family.
"""

from __future__ import annotations

import numpy as np

from bounded_contexts.prediction.domain.models.direction import (
    ModelFamily,
    Series,
    TrainingData,
)
from bounded_contexts.prediction.domain.models.labels import direction_labels
from bounded_contexts.prediction.domain.models.metrics import score

HORIZONS = (1, 5)
FEATURES = ("signal", "noise_a", "noise_b")
BAND = 0.0002
MINUTE_NS = 60 * 1_000_000_000


def synthetic_series(
    instrument_id: str, n: int, seed: int, *, signal: float, horizons: tuple[int, ...] = HORIZONS
) -> Series:
    """``n`` one-minute bars whose next return is ``signal`` x feature 0 plus noise."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(n, len(FEATURES)))
    returns = signal * 0.001 * features[:-1, 0] + 0.001 * rng.normal(size=n - 1)
    closes = 100.0 * np.exp(np.concatenate([[0.0], np.cumsum(returns)]))
    ts = np.arange(n, dtype=np.int64) * MINUTE_NS + 1_700_000_000 * 1_000_000_000
    return Series(instrument_id, ts, features, direction_labels(closes, horizons, BAND))


def synthetic_data(
    n: int = 1500, *, signal: float, seed: int = 7, instruments: int = 2
) -> TrainingData:
    return TrainingData(
        FEATURES,
        HORIZONS,
        tuple(
            synthetic_series(f"I{i}", n, seed * 101 + i, signal=signal) for i in range(instruments)
        ),
    )


def shuffled_labels(data: TrainingData, seed: int) -> TrainingData:
    """The same features with labels permuted in time: any skill left is an artefact."""
    rng = np.random.default_rng(seed)
    return TrainingData(
        data.feature_names,
        data.horizons,
        tuple(
            Series(s.instrument_id, s.ts, s.features, s.labels[rng.permutation(len(s))])
            for s in data.series
        ),
    )


def split_at(data: TrainingData, fraction: float, gap: int) -> tuple[TrainingData, TrainingData]:
    """Train on the first ``fraction`` of every series, test after a gap of ``gap`` rows
    (at least the longest horizon, so no training label peeks into the test rows)."""
    train, test = [], []
    for s in data.series:
        cut = int(len(s) * fraction)
        train.append(s.between(None, int(s.ts[cut - gap])))
        test.append(s.between(int(s.ts[cut]), None))
    return (
        TrainingData(data.feature_names, data.horizons, tuple(train)),
        TrainingData(data.feature_names, data.horizons, tuple(test)),
    )


def out_of_sample(family: ModelFamily, data: TrainingData, seed: int = 0):  # type: ignore[no-untyped-def]
    """Fit on the first 70 %, score the rest (each test series read with its history, as live)."""
    train, _ = split_at(data, 0.7, gap=max(data.horizons))
    model = family.fit(train, seed=seed)
    probabilities, labels = [], []
    for s in data.series:
        cut = int(len(s) * 0.7)
        probabilities.append(model.probabilities(s.features)[cut:])
        labels.append(s.labels[cut:])
    return score(data.horizons, np.concatenate(probabilities), np.concatenate(labels))


def check_family_contract(family: ModelFamily) -> None:
    """Determinism, exact restore, causality, skill on a planted signal and none on noise."""
    data = synthetic_data(signal=1.0)
    first = family.fit(data, seed=3)
    second = family.fit(data, seed=3)
    w1, w2 = first.weights(), second.weights()
    assert sorted(w1) == sorted(w2)
    for name in w1:
        assert np.array_equal(w1[name], w2[name]), f"{name} differs between two seeded fits"

    restored = type(first).restore(first.spec, first.weights())
    x = data.series[0].features
    assert np.array_equal(restored.probabilities(x), first.probabilities(x))

    full = first.probabilities(x)
    assert full.shape == (len(x), len(data.horizons), 3)
    assert np.allclose(full.sum(axis=-1), 1.0)
    prefix = first.probabilities(x[:200])
    assert np.allclose(prefix, full[:200], atol=1e-9), "a row's answer changed with later rows"

    skilled = out_of_sample(family, data)[0]
    control = out_of_sample(family, shuffled_labels(data, seed=11))[0]
    assert skilled.log_loss < control.log_loss - 0.02, (skilled, control)
    assert skilled.balanced_accuracy > control.balanced_accuracy + 0.05, (skilled, control)

    walk = out_of_sample(family, synthetic_data(signal=0.0, seed=8))[0]
    assert walk.balanced_accuracy < 1 / 3 + 0.06, walk
