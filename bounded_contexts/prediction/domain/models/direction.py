"""The one interface every price-direction model family implements.

A model reads one instrument's feature rows in time order and answers, for every row and
every horizon, the probabilities of ``down``, ``neutral`` and ``up`` (a move within the
neutral band is ``neutral``). Sequence models look back over earlier rows; row-wise models
ignore them. Either way row ``i`` may use rows ``<= i`` only — the same causal reading the
live path has, so a model evaluated on history sees what it would have seen live.

Families differ in how they learn (JAX, Flax, Norse/PyTorch) but not in what they hand the
platform: logits, a temperature per horizon (calibration), and their learned arrays as plain
numpy, which :mod:`.codec` stores content-addressed. Keeping the learned state as named arrays
is what lets a model trained in one process be restored, bit for bit, in another.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import ClassVar, Protocol, Self

import numpy as np

#: Class order of the last axis of every logits/probabilities array.
CLASSES: tuple[str, str, str] = ("down", "neutral", "up")
DOWN, NEUTRAL, UP = 0, 1, 2
#: Label of a row whose horizon runs past the end of the data (never trained or scored on).
UNKNOWN = -1

HyperValue = int | float | str | bool


class ModelInputError(ValueError):
    """Training or prediction input is unusable; the message says how."""


@dataclass(frozen=True)
class Series:
    """One instrument's rows in time order: timestamps (UTC ns), features, labels.

    ``labels[i, h]`` is the class of the move from row ``i`` over ``horizons[h]`` bars, or
    :data:`UNKNOWN` where that move is not known (the last rows of the data)."""

    instrument_id: str
    ts: np.ndarray  # (n,) int64
    features: np.ndarray  # (n, k) float64
    labels: np.ndarray  # (n, h) int8

    def __post_init__(self) -> None:
        n = len(self.ts)
        if self.features.ndim != 2 or len(self.features) != n:
            raise ModelInputError(
                f"{self.instrument_id}: features must be ({n}, k), got {self.features.shape}"
            )
        if self.labels.ndim != 2 or len(self.labels) != n:
            raise ModelInputError(
                f"{self.instrument_id}: labels must be ({n}, horizons), got {self.labels.shape}"
            )
        if n > 1 and not (np.diff(self.ts) > 0).all():
            raise ModelInputError(f"{self.instrument_id}: timestamps must strictly increase")
        bad = np.argwhere(~np.isfinite(self.features))
        if len(bad):
            row, col = bad[0]
            raise ModelInputError(
                f"{self.instrument_id}: feature column {col} at row {row} is not finite"
            )
        if not np.isin(self.labels, (UNKNOWN, DOWN, NEUTRAL, UP)).all():
            raise ModelInputError(f"{self.instrument_id}: labels must be -1, 0, 1 or 2")

    def __len__(self) -> int:
        return len(self.ts)

    def between(self, start_ts: int | None, end_ts: int | None) -> Series:
        """The rows with ``start_ts <= ts < end_ts`` (either bound open when None)."""
        keep = np.ones(len(self.ts), dtype=bool)
        if start_ts is not None:
            keep &= self.ts >= start_ts
        if end_ts is not None:
            keep &= self.ts < end_ts
        return Series(self.instrument_id, self.ts[keep], self.features[keep], self.labels[keep])


@dataclass(frozen=True)
class TrainingData:
    """What a family learns from: several instruments' series over the same feature set."""

    feature_names: tuple[str, ...]
    horizons: tuple[int, ...]
    series: tuple[Series, ...]

    def __post_init__(self) -> None:
        if not self.series:
            raise ModelInputError("no series to train on")
        k, h = len(self.feature_names), len(self.horizons)
        for s in self.series:
            if s.features.shape[1] != k:
                raise ModelInputError(
                    f"{s.instrument_id}: {s.features.shape[1]} feature columns, "
                    f"the feature set has {k}"
                )
            if s.labels.shape[1] != h:
                raise ModelInputError(
                    f"{s.instrument_id}: {s.labels.shape[1]} label columns, {h} horizons"
                )

    @property
    def rows(self) -> int:
        return sum(len(s) for s in self.series)

    def known_rows(self) -> int:
        """Rows with every horizon's label known: what a loss can be computed on."""
        return sum(int((s.labels >= 0).all(axis=1).sum()) for s in self.series)

    def stacked(self) -> tuple[np.ndarray, np.ndarray]:
        """Every series' features and labels, one after the other (row-wise families)."""
        return (
            np.vstack([s.features for s in self.series]),
            np.vstack([s.labels for s in self.series]),
        )


@dataclass(frozen=True)
class ModelSpec:
    """What identifies a model's shape apart from its learned arrays."""

    family: str
    feature_names: tuple[str, ...]
    horizons: tuple[int, ...]
    lookback: int = 1  # rows of history one prediction reads (1: row-wise)
    hyper_parameters: Mapping[str, HyperValue] = field(default_factory=dict)
    #: one per horizon; logits are divided by it before the softmax (1.0: uncalibrated)
    temperatures: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if not self.temperatures:
            object.__setattr__(self, "temperatures", tuple(1.0 for _ in self.horizons))
        if len(self.temperatures) != len(self.horizons):
            raise ModelInputError("one temperature per horizon")
        if any(not (t > 0 and np.isfinite(t)) for t in self.temperatures):
            raise ModelInputError(f"temperatures must be positive, got {self.temperatures}")
        if self.lookback < 1:
            raise ModelInputError("lookback must be at least 1")


class DirectionModel(ABC):
    """A trained model of one family; immutable once built."""

    family: ClassVar[str]

    def __init__(self, spec: ModelSpec) -> None:
        if spec.family != self.family:
            raise ModelInputError(f"a {self.family} model cannot take a {spec.family} spec")
        self.spec = spec

    @abstractmethod
    def logits(self, features: np.ndarray) -> np.ndarray:
        """``(n, k)`` rows of one instrument in time order -> ``(n, horizons, 3)`` float64
        logits; row ``i`` uses rows ``<= i`` only."""

    @abstractmethod
    def weights(self) -> dict[str, np.ndarray]:
        """Every learned array (and fitted scaling) by name, as numpy."""

    @classmethod
    @abstractmethod
    def restore(cls, spec: ModelSpec, weights: Mapping[str, np.ndarray]) -> Self:
        """The model ``weights()`` came from, exactly."""

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """``(n, horizons, 3)`` probabilities, calibrated by the spec's temperatures."""
        checked = self.check_features(features)
        z = self.logits(checked) / np.asarray(self.spec.temperatures)[None, :, None]
        z = z - z.max(axis=-1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)

    def check_features(self, features: np.ndarray) -> np.ndarray:
        x = np.asarray(features, dtype=np.float64)
        k = len(self.spec.feature_names)
        if x.ndim != 2 or x.shape[1] != k:
            raise ModelInputError(f"expected a (n, {k}) feature matrix, got {x.shape}")
        bad = np.argwhere(~np.isfinite(x))
        if len(bad):
            row, col = bad[0]
            raise ModelInputError(
                f"feature {self.spec.feature_names[col]} at row {row} is not finite"
            )
        return x

    def calibrated(self, temperatures: Sequence[float]) -> Self:
        """The same model with new temperatures (what calibration returns)."""
        return type(self).restore(
            replace(self.spec, temperatures=tuple(float(t) for t in temperatures)),
            self.weights(),
        )


class ModelFamily(Protocol):
    """Trains models of one family from data; a seed fixes every random choice it makes."""

    name: str

    def hyper_parameters(self) -> dict[str, HyperValue]: ...

    def fit(self, data: TrainingData, *, seed: int) -> DirectionModel: ...


def known_label_mask(labels: np.ndarray) -> np.ndarray:
    """``(n, h)`` booleans: which labels a loss may use."""
    return np.asarray(labels) >= 0
