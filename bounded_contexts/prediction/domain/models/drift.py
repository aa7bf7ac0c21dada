"""Has the world moved away from what a model was trained on? Pure figures, no decisions.

Two kinds of evidence, both measured against what the model saw when it was trained:

* **Feature drift.** Training keeps a :class:`FeatureProfile` — 101 quantiles per feature, small
  enough to travel inside ``ModelTrained`` — and the live feature rows are compared with it by
  the population stability index (how the live sample spreads over the training deciles) and
  the Kolmogorov–Smirnov statistic (the widest gap between the live and the training CDF).
  PSI measures *how much* the distribution moved and barely depends on the sample size; KS
  says *whether* a move is real, and with thousands of rows it calls even tiny moves real.
  Each covers the other's blind spot, so a feature is called drifted when

  - PSI > ``thresholds.psi`` (0.25, the conventional "significant shift"), or
  - the KS p-value < ``thresholds.ks_p_value`` (0.001) **and** PSI > :data:`PSI_MODERATE`
    (0.1, the conventional start of a "moderate shift"): a change that is both certain and of
    a size worth acting on — a doubled variance (PSI about 0.15) is caught this way, while a
    huge live sample is not flagged for a shift nobody would retrain for.

* **Skill decay.** Once enough live predictions have resolved, their accuracy and
  multi-class Brier score are compared with the training out-of-sample figures.

The profile is a summary, not the sample: between two stored quantiles the training CDF is
taken as linear, which puts the KS statistic within about 0.01 of the two-sample statistic on
the full training sample. The KS p-value treats that profile as exact (a one-sample test with
the live sample size); when the training window is not much larger than the live one, the
profile's own sampling noise makes that p-value optimistic — one reason a KS call also needs
PSI > 0.1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import kstwo

from .direction import ModelInputError
from .metrics import brier

#: Quantiles kept per feature (0 %, 1 %, ..., 100 %).
PROFILE_QUANTILES = 101
#: Fewest training rows a profile is built from: fewer cannot pin down deciles.
MIN_PROFILE_ROWS = 20
#: Smallest share a PSI bin counts with, so an empty bin costs a lot but not infinity.
PSI_FLOOR = 1e-4
#: Conventional PSI bands: below 0.1 stable, 0.1-0.25 moderate shift, above 0.25 significant.
PSI_MODERATE = 0.1
PSI_SIGNIFICANT = 0.25

_DIGITS = 12


@dataclass(frozen=True)
class FeatureProfile:
    """What the training window looked like, per feature: PROFILE_QUANTILES quantiles (a
    compact stand-in for the sample, small enough to travel inside ModelTrained)."""

    quantiles: dict[str, tuple[float, ...]]

    def __post_init__(self) -> None:
        if not self.quantiles:
            raise ModelInputError("a feature profile needs at least one feature")
        for name, values in self.quantiles.items():
            _checked_reference(values, what=f"profile of feature {name}")


def profile_features(feature_names: Sequence[str], features: np.ndarray) -> FeatureProfile:
    """``(n, k)`` training rows -> the quantiles of each of the ``k`` named features.

    Linear-interpolation quantiles rounded to 12 places, so that the profile is the same bytes
    on every machine that trains on the same rows."""
    names = _checked_names(feature_names)
    x = _checked_matrix(features, names, what="training features")
    if len(x) < MIN_PROFILE_ROWS:
        raise ModelInputError(
            f"a feature profile needs at least {MIN_PROFILE_ROWS} training rows, got {len(x)}"
        )
    q = np.quantile(x, np.linspace(0.0, 1.0, PROFILE_QUANTILES), axis=0, method="linear")
    q = np.round(q, _DIGITS)
    return FeatureProfile({name: tuple(float(v) for v in q[:, j]) for j, name in enumerate(names)})


def population_stability_index(
    reference: Sequence[float], live: np.ndarray, bins: int = 10
) -> float:
    """PSI of ``live`` against the distribution whose equally spaced quantiles are
    ``reference`` (0 % ... 100 %): ``sum((live_share - expected_share) * ln(live / expected))``
    over ``bins`` bins cut at the reference's quantiles ``1/bins, ..., (bins-1)/bins``.

    Below 0.1 the distribution is conventionally stable, 0.1-0.25 a moderate shift, above 0.25
    a significant one. The first and last bins are open-ended. Each bin expects ``1/bins`` of
    the mass unless the reference has ties: then equal cut points merge, and a bin's expected
    share is what the reference CDF puts in it (a constant feature expects everything in one
    bin). When the lowest cut point is the reference minimum (an atom there), values strictly
    below the minimum get a bin of their own, expecting nothing, so that they still count as a
    move. Both shares are floored at :data:`PSI_FLOOR`: a live bin left empty where
    10 % was expected costs ``0.0999 * ln(1000)``, about 0.69, rather than infinity."""
    q = _checked_reference(reference, what="reference quantiles")
    x = _checked_sample(live, what="live sample")
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 2:
        raise ModelInputError(f"PSI needs an integer number of bins >= 2, got {bins!r}")
    p = _grid(len(q))
    edges = np.unique(np.interp(np.arange(1, bins) / bins, p, q))
    expected = np.diff(np.concatenate(([0.0], _cdf(q, edges, side="right"), [1.0])))
    # bins (-inf, e0], (e0, e1], ..., (e_last, inf): index = number of edges below the value
    counts = np.bincount(np.searchsorted(edges, x, side="left"), minlength=len(edges) + 1)
    counts = counts.astype(np.float64)
    if edges[0] == q[0]:
        below = float(np.count_nonzero(x < q[0]))
        counts = np.concatenate(([below], [counts[0] - below], counts[1:]))
        expected = np.concatenate(([0.0], expected))
    actual = np.maximum(counts / len(x), PSI_FLOOR)
    expected = np.maximum(expected, PSI_FLOOR)
    return round(float(np.sum((actual - expected) * np.log(actual / expected))), _DIGITS)


def kolmogorov_smirnov(reference: Sequence[float], live: np.ndarray) -> tuple[float, float]:
    """``(D, p)``: the largest gap between the live empirical CDF and the reference CDF, and
    its p-value under "live is drawn from the reference".

    The reference CDF is interpolated linearly between the quantiles (0 below the first, 1 from
    the last on); tied quantiles are an atom, a jump of the CDF, so a constant reference is a
    single step. The p-value is the one-sample Kolmogorov distribution for the live sample size
    (``scipy.stats.kstwo``); it is exact for a continuous reference and conservative where the
    reference has atoms."""
    q = _checked_reference(reference, what="reference quantiles")
    x = np.sort(_checked_sample(live, what="live sample"))
    n = len(x)
    at = np.searchsorted(x, x, side="right") / n  # live CDF at each live value
    before = np.searchsorted(x, x, side="left") / n  # ... just below it
    # between two live values the live CDF is flat and the reference CDF rises, so the gap is
    # widest at a live value (live above) or just below the next one (reference above)
    statistic = max(
        float(np.max(at - _cdf(q, x, side="right"))),
        float(np.max(_cdf(q, x, side="left") - before)),
        0.0,
    )
    statistic = min(statistic, 1.0)
    p_value = float(kstwo.sf(statistic, n)) if statistic > 0 else 1.0
    # significant digits, not decimals: a p-value of 1e-20 is a figure, not zero
    return round(statistic, _DIGITS), float(f"{min(max(p_value, 0.0), 1.0):.{_DIGITS}g}")


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    psi: float
    ks: float
    ks_p_value: float
    drifted: bool


@dataclass(frozen=True)
class DriftThresholds:
    """When a drift reading says "drifted". Documented defaults:

    * ``psi`` 0.25 — the conventional line of a significant population shift;
    * ``ks_p_value`` 0.001 — a KS gap this unlikely by chance, which also needs PSI above
      :data:`PSI_MODERATE` to count (see the module docstring);
    * ``min_live_samples`` 200 — live rows before features are judged: with 10 bins of ~20
      rows each, sampling noise alone gives PSI about 0.045 on average, far below 0.25;
    * ``accuracy_drop`` 0.05 — live accuracy below the training out-of-sample accuracy by more
      than this;
    * ``brier_rise`` 0.05 — live Brier above the training out-of-sample Brier by more than this;
    * ``min_resolved`` 200 — resolved predictions before accuracy/Brier are judged. At 200 the
      standard error of an accuracy near 0.5 is 0.035, so a model exactly as good as in
      training still falls 0.05 short about 7 % of the time (measured; 0.9 % at 500, 0.02 %
      at 1,000 resolved): a policy that acts on a single reading should ask for more."""

    psi: float = 0.25
    ks_p_value: float = 0.001
    min_live_samples: int = 200
    accuracy_drop: float = 0.05
    brier_rise: float = 0.05
    min_resolved: int = 200

    def __post_init__(self) -> None:
        if not (np.isfinite(self.psi) and self.psi > 0):
            raise ModelInputError(f"the PSI threshold must be positive, got {self.psi}")
        if not (0.0 < self.ks_p_value < 1.0):
            raise ModelInputError(
                f"the KS p-value threshold must lie in (0, 1), got {self.ks_p_value}"
            )
        for name in ("accuracy_drop", "brier_rise"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0):
                raise ModelInputError(f"{name} must be a non-negative number, got {value}")
        for name in ("min_live_samples", "min_resolved"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ModelInputError(f"{name} must be a positive integer, got {value!r}")


def feature_drift(
    profile: FeatureProfile,
    feature_names: Sequence[str],
    live: np.ndarray,
    thresholds: DriftThresholds,
) -> tuple[FeatureDrift, ...]:
    """PSI and KS of every live feature column against its training profile, in the order of
    ``feature_names``, each called drifted by the rule in the module docstring. The live
    columns must be exactly the profiled features: a feature the model was trained on but
    that is missing live, or one live that was never profiled, is an input error."""
    names = _checked_against_profile(profile, feature_names)
    x = _checked_matrix(live, names, what="live features")
    if len(x) == 0:
        raise ModelInputError("no live rows to compare with the profile")
    readings = []
    for j, name in enumerate(names):
        reference = profile.quantiles[name]
        psi = population_stability_index(reference, x[:, j])
        ks, p_value = kolmogorov_smirnov(reference, x[:, j])
        drifted = psi > thresholds.psi or (p_value < thresholds.ks_p_value and psi > PSI_MODERATE)
        readings.append(FeatureDrift(name, psi, ks, p_value, drifted))
    return tuple(readings)


@dataclass(frozen=True)
class SkillDecay:
    resolved: int
    live_accuracy: float
    live_brier: float
    reference_accuracy: float
    reference_brier: float
    decayed: bool


def skill_decay(
    probabilities: np.ndarray,
    labels: np.ndarray,
    reference_accuracy: float,
    reference_brier: float,
    thresholds: DriftThresholds,
) -> SkillDecay:
    """Live accuracy and multi-class Brier of ``n`` resolved predictions (``(n, 3)``
    down/neutral/up probabilities, ``(n,)`` labels 0/1/2 — the definitions of
    :mod:`.metrics`) beside the training out-of-sample figures. Decayed only once ``n`` reaches
    ``thresholds.min_resolved`` and accuracy fell, or Brier rose, by more than its threshold."""
    if not (_is_number(reference_accuracy) and 0.0 <= reference_accuracy <= 1.0):
        raise ModelInputError(
            f"the reference accuracy must lie in [0, 1], got {reference_accuracy!r}"
        )
    if not (_is_number(reference_brier) and 0.0 <= reference_brier <= 2.0):
        raise ModelInputError(
            f"the reference Brier score must lie in [0, 2], got {reference_brier!r}"
        )
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim == 2 and len(p) == 0:
        raise ModelInputError("no resolved predictions to judge skill on")
    live_brier = brier(p, labels)  # validates shapes, probabilities and labels
    y = np.asarray(labels).astype(np.int64)
    live_accuracy = float(np.mean(p.argmax(axis=1) == y))
    resolved = len(y)
    decayed = resolved >= thresholds.min_resolved and (
        live_accuracy < reference_accuracy - thresholds.accuracy_drop
        or live_brier > reference_brier + thresholds.brier_rise
    )
    return SkillDecay(
        resolved=resolved,
        live_accuracy=round(live_accuracy, _DIGITS),
        live_brier=round(live_brier, _DIGITS),
        reference_accuracy=float(reference_accuracy),
        reference_brier=float(reference_brier),
        decayed=bool(decayed),
    )


@dataclass(frozen=True)
class DriftReading:
    """One look at a live model: per-feature drift and (when predictions have resolved) skill.

    ``thresholds`` are the ones the reading was taken with; :meth:`reasons` quotes them."""

    features: tuple[FeatureDrift, ...]
    skill: SkillDecay | None
    thresholds: DriftThresholds = DriftThresholds()

    @property
    def drifted(self) -> bool:
        return any(f.drifted for f in self.features) or (
            self.skill is not None and self.skill.decayed
        )

    def reasons(self) -> tuple[str, ...]:
        """Why the reading is drifted, one line per cause; empty when it is not."""
        t = self.thresholds
        lines = []
        for f in self.features:
            if not f.drifted:
                continue
            if f.psi > t.psi:
                lines.append(f"feature {f.feature}: PSI {f.psi:.2f} > {t.psi:g}")
            else:
                lines.append(
                    f"feature {f.feature}: KS {f.ks:.3f} (p {f.ks_p_value:.2g} < "
                    f"{t.ks_p_value:g}) with PSI {f.psi:.2f} > {PSI_MODERATE:g}"
                )
        s = self.skill
        if s is not None and s.decayed:
            if s.live_accuracy < s.reference_accuracy - t.accuracy_drop:
                lines.append(
                    f"live accuracy {s.live_accuracy:.2f} < training "
                    f"{s.reference_accuracy:.2f} - {t.accuracy_drop:g} "
                    f"({s.resolved} resolved)"
                )
            if s.live_brier > s.reference_brier + t.brier_rise:
                lines.append(
                    f"live Brier {s.live_brier:.3f} > training {s.reference_brier:.3f} + "
                    f"{t.brier_rise:g} ({s.resolved} resolved)"
                )
        return tuple(lines)


def read_drift(
    profile: FeatureProfile,
    feature_names: Sequence[str],
    live_features: np.ndarray,
    thresholds: DriftThresholds,
    *,
    probabilities: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    reference_accuracy: float | None = None,
    reference_brier: float | None = None,
) -> DriftReading:
    """Feature drift of ``(n, k)`` live rows (judged only once ``n`` reaches
    ``thresholds.min_live_samples``; before that no feature readings at all) and, when the four
    skill arguments are given, skill decay of the resolved predictions. Skill arguments come
    all together or not at all; resolved predictions with zero rows mean "nothing to judge
    yet" and give no skill reading."""
    names = _checked_against_profile(profile, feature_names)
    x = _checked_matrix(live_features, names, what="live features")
    features: tuple[FeatureDrift, ...] = ()
    if len(x) >= thresholds.min_live_samples:
        features = feature_drift(profile, names, x, thresholds)
    skill_args = (probabilities, labels, reference_accuracy, reference_brier)
    given = sum(a is not None for a in skill_args)
    if given not in (0, len(skill_args)):
        raise ModelInputError(
            "probabilities, labels, reference_accuracy and reference_brier go together: "
            "give all four or none"
        )
    skill = None
    if given and len(np.asarray(probabilities)) > 0:
        assert reference_accuracy is not None and reference_brier is not None
        skill = skill_decay(
            np.asarray(probabilities),
            np.asarray(labels),
            reference_accuracy,
            reference_brier,
            thresholds,
        )
    return DriftReading(features, skill, thresholds)


# --- input checks -------------------------------------------------------------------------


def _grid(m: int) -> np.ndarray:
    """The probabilities of ``m`` equally spaced quantiles, 0 to 1."""
    return np.linspace(0.0, 1.0, m)


def _cdf(q: np.ndarray, x: np.ndarray, *, side: str) -> np.ndarray:
    """The reference CDF at ``x``, linear between quantiles: ``P(X <= x)`` with
    ``side="right"``, ``P(X < x)`` with ``side="left"`` (they differ at tied quantiles)."""
    p = _grid(len(q))
    j = np.searchsorted(q, x, side=side)
    inside = (j > 0) & (j < len(q))
    lo = np.clip(j - 1, 0, len(q) - 1)
    hi = np.clip(j, 0, len(q) - 1)
    span = np.where(inside, q[hi] - q[lo], 1.0)  # > 0 inside by the choice of side
    f = p[lo] + (x - q[lo]) / span * (p[hi] - p[lo])
    return np.where(j == 0, 0.0, np.where(j == len(q), 1.0, np.clip(f, 0.0, 1.0)))


def _is_number(value: object) -> bool:
    return (
        isinstance(value, int | float | np.integer | np.floating)
        and not isinstance(value, bool)
        and bool(np.isfinite(value))
    )


def _checked_reference(values: Sequence[float], *, what: str) -> np.ndarray:
    try:
        q = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ModelInputError(f"{what} must be numbers") from None
    if q.ndim != 1 or len(q) < 2:
        raise ModelInputError(f"{what} must be at least 2 quantiles in a row, got shape {q.shape}")
    if not np.isfinite(q).all():
        raise ModelInputError(f"{what} must be finite")
    if (np.diff(q) < 0).any():
        raise ModelInputError(f"{what} must not decrease (quantiles 0 % to 100 % in order)")
    return q


def _checked_sample(values: np.ndarray, *, what: str) -> np.ndarray:
    try:
        x = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ModelInputError(f"{what} must be numbers") from None
    if x.ndim != 1:
        raise ModelInputError(f"{what} must be one column of values, got shape {x.shape}")
    if len(x) == 0:
        raise ModelInputError(f"{what} is empty")
    bad = np.flatnonzero(~np.isfinite(x))
    if len(bad):
        raise ModelInputError(f"{what}: value at row {bad[0]} is not finite ({x[bad[0]]})")
    return x


def _checked_names(feature_names: Sequence[str]) -> tuple[str, ...]:
    if isinstance(feature_names, str):
        raise ModelInputError("feature names must be a sequence of names, not one string")
    names = tuple(feature_names)
    if not names:
        raise ModelInputError("no feature names")
    if not all(isinstance(n, str) and n for n in names):
        raise ModelInputError(f"feature names must be non-empty strings, got {names!r}")
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise ModelInputError(f"feature names repeat: {', '.join(twice)}")
    return names


def _checked_against_profile(
    profile: FeatureProfile, feature_names: Sequence[str]
) -> tuple[str, ...]:
    names = _checked_names(feature_names)
    missing = [name for name in profile.quantiles if name not in names]
    unknown = [name for name in names if name not in profile.quantiles]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"profiled but not live: {', '.join(missing)}")
        if unknown:
            parts.append(f"live but not profiled: {', '.join(unknown)}")
        raise ModelInputError("live features do not match the profile (" + "; ".join(parts) + ")")
    return names


def _checked_matrix(values: np.ndarray, names: tuple[str, ...], *, what: str) -> np.ndarray:
    try:
        x = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ModelInputError(f"{what} must be numbers") from None
    k = len(names)
    if x.ndim != 2 or x.shape[1] != k:
        raise ModelInputError(f"{what} must be a (n, {k}) matrix for {k} features, got {x.shape}")
    bad = np.argwhere(~np.isfinite(x))
    if len(bad):
        row, col = bad[0]
        raise ModelInputError(f"{what}: feature {names[col]} at row {row} is not finite")
    return x
