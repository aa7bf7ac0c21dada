"""Has the world moved away from what a model was trained on? Pure figures, no decisions.

Two kinds of evidence, both measured against what the model saw when it was trained:

* **Feature drift.** Training keeps a :class:`FeatureProfile` — 101 quantiles per feature, small
  enough to travel inside ``ModelTrained`` — and the live feature rows are compared with it by
  the population stability index (how the live sample spreads over the training deciles) and
  the Kolmogorov–Smirnov statistic (the widest gap between the live and the training CDF).
  PSI measures *how much* the distribution moved and barely depends on the sample size; KS
  says *whether* a move is real, and with thousands of rows it calls even tiny moves real.
  Each covers the other's blind spot, so a feature is called drifted when

  - PSI > ``thresholds.psi`` (0.25, the conventional "significant shift") plus its noise, or
  - the KS p-value < ``thresholds.ks_p_value`` (0.001) **and** PSI > :data:`PSI_MODERATE`
    (0.1, the conventional start of a "moderate shift") plus its noise: a change that is both
    certain and of a size worth acting on — a doubled variance (PSI about 0.15) is caught
    this way, while a huge live sample is not flagged for a shift nobody would retrain for.

* **Skill decay.** Once enough live predictions have resolved, their accuracy and
  multi-class Brier score are compared with the training out-of-sample figures.

**Effective rows.** Indicator features of consecutive bars are far from independent (a 14-bar
RSI has a lag-one autocorrelation near 0.9), so 600 rows may carry the information of 30; and
instruments of one market move together, so eight of them are not eight samples. Both figures
are therefore judged on *effective* sample sizes: per instrument series of the training
window, ``n (1 - rho) / (1 + rho)`` at its lag-one autocorrelation ``rho`` (the AR(1) variance
inflation), summed over the ``k`` instruments and divided by ``1 + (k - 1) r`` at their mean
pairwise correlation ``r`` (the design effect of clustered samples), kept in the profile. A
live window of ``m`` rows is worth ``m`` times the training window's ratio of effective to
actual rows — not its own autocorrelation: a shift inside it reads as persistence and would
hide the very move it should reveal. The KS p-value is the two-sample Kolmogorov distribution
at ``n_ref n_live / (n_ref + n_live)`` effective rows; each PSI line is raised by the PSI that
sampling alone exceeds in 1 % of readings, ``chi2_0.99(bins - 1) (1 / n_ref + 1 / n_live)``
(PSI is a symmetrised Kullback-Leibler divergence, about a chi-square over the sample size).
Without this a stationary market "drifts" at almost every reading (docs/models-drift.md:
89 of 120 readings of the seeded synthetic market, against 1 of 120 with it).

The profile is a summary, not the sample: between two stored quantiles the training CDF is
taken as linear, which puts the KS statistic within about 0.01 of the two-sample statistic on
the full training sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2, kstwo, kstwobign

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
#: The PSI noise allowance is this quantile of PSI under no drift
NOISE_QUANTILE = 0.99
#: Lag-one autocorrelations are clipped to [0, MAX_AUTOCORRELATION]: a negative one would
#: count more rows than there are, and 1 none at all.
MAX_AUTOCORRELATION = 0.99

_DIGITS = 12


@dataclass(frozen=True)
class FeatureProfile:
    """What the training window looked like, per feature: PROFILE_QUANTILES quantiles (a
    compact stand-in for the sample, small enough to travel inside ModelTrained)."""

    quantiles: dict[str, tuple[float, ...]]
    #: effective independent rows behind each feature's quantiles (module docstring)
    effective_rows: dict[str, float]
    #: the training rows the quantiles were taken from
    rows: int

    def __post_init__(self) -> None:
        if not self.quantiles:
            raise ModelInputError("a feature profile needs at least one feature")
        for name, values in self.quantiles.items():
            _checked_reference(values, what=f"profile of feature {name}")
        if set(self.effective_rows) != set(self.quantiles):
            raise ModelInputError("a feature profile needs an effective row count per feature")
        if isinstance(self.rows, bool) or not isinstance(self.rows, int) or self.rows < 1:
            raise ModelInputError(
                f"a feature profile's rows must be a count >= 1, got {self.rows!r}"
            )
        for name, rows in self.effective_rows.items():
            if not (_is_number(rows) and 1 <= rows <= self.rows):
                raise ModelInputError(
                    f"the effective rows of feature {name} must be a number in "
                    f"[1, {self.rows}], got {rows!r}"
                )

    def live_effective_rows(self, name: str, live_rows: int) -> float:
        """What ``live_rows`` rows of feature ``name`` are worth, at the training window's
        autocorrelation."""
        return max(1.0, live_rows * self.effective_rows[name] / self.rows)


def profile_features(
    feature_names: Sequence[str], features: np.ndarray, groups: Sequence[str] | None = None
) -> FeatureProfile:
    """``(n, k)`` training rows -> the quantiles of each of the ``k`` named features and the
    effective rows behind them. ``groups`` names each row's series (its instrument; rows of a
    series in time order); None reads all rows as one series.

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
    effective = effective_sample_sizes(x, groups)
    return FeatureProfile(
        {name: tuple(float(v) for v in q[:, j]) for j, name in enumerate(names)},
        {name: round(float(effective[j]), 6) for j, name in enumerate(names)},
        len(x),
    )


def effective_sample_sizes(x: np.ndarray, groups: Sequence[str] | None = None) -> np.ndarray:
    """Per column of ``(n, k)`` rows, the number of independent rows they are worth: the sum
    over series (``groups``, rows of each in time order; None: one series) of ``m / tau``,
    ``tau`` the series' :func:`autocorrelation_time` (a series of fewer than 3 rows counts its
    rows), divided by ``1 + (k - 1) r`` for ``k`` series of mean :func:`cross_correlation`
    ``r``. Never below 1."""
    x = np.asarray(x, dtype=np.float64)
    if groups is None:
        series = [np.arange(len(x))]
    else:
        labels = np.asarray(list(groups))
        if len(labels) != len(x):
            raise ModelInputError(f"{len(labels)} group labels for {len(x)} rows")
        series = [np.flatnonzero(labels == g) for g in dict.fromkeys(labels.tolist())]
    parts = [x[rows] for rows in series]
    total = np.zeros(x.shape[1])
    for part in parts:
        total += len(part) / autocorrelation_time(part) if len(part) >= 3 else len(part)
    together = 1.0 + (len(parts) - 1) * cross_correlation(parts)
    return np.maximum(total / together, 1.0)


def autocorrelation_time(x: np.ndarray) -> np.ndarray:
    """Per column of an ``(m, k)`` time series, how many rows one independent row is worth at
    its lag-one autocorrelation ``rho`` (clipped to ``[0, MAX_AUTOCORRELATION]``): the AR(1)
    variance inflation ``(1 + rho) / (1 - rho)``; 1 for a constant column."""
    centred = x - x.mean(axis=0)
    variance = np.sum(centred * centred, axis=0)
    lagged = np.sum(centred[1:] * centred[:-1], axis=0)
    rho = np.divide(lagged, variance, out=np.zeros_like(variance), where=variance > 0)
    rho = np.clip(rho, 0.0, MAX_AUTOCORRELATION)
    return (1.0 + rho) / (1.0 - rho)


def cross_correlation(series: Sequence[np.ndarray]) -> np.ndarray:
    """Per column, the mean pairwise correlation between the series over their common latest
    rows (clipped to >= 0): instruments of one market move together, and ``k`` series with
    mean correlation ``r`` are worth ``k / (1 + (k - 1) r)`` independent ones."""
    length = min(len(s) for s in series)
    k = len(series)
    if k < 2 or length < 3:
        return np.zeros(series[0].shape[1])
    stacked = np.stack([s[-length:] for s in series])  # (k, length, features)
    centred = stacked - stacked.mean(axis=1, keepdims=True)
    norms = np.sqrt(np.sum(centred * centred, axis=1))  # (k, features)
    pairs = []
    for i in range(k):
        for j in range(i + 1, k):
            both = norms[i] * norms[j]
            dot = np.sum(centred[i] * centred[j], axis=0)
            pairs.append(np.divide(dot, both, out=np.zeros_like(dot), where=both > 0))
    return np.clip(np.mean(pairs, axis=0), 0.0, 1.0)


def psi_noise(reference_rows: float, live_rows: float, bins: int = 10) -> float:
    """The PSI two samples of these effective sizes exceed with no drift at all only in
    NOISE_QUANTILE of readings: PSI is a symmetrised Kullback-Leibler divergence, so with no
    drift it is about ``chi2(bins - 1) (1 / reference_rows + 1 / live_rows)``."""
    return float(chi2.ppf(NOISE_QUANTILE, bins - 1)) * (1.0 / reference_rows + 1.0 / live_rows)


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


def kolmogorov_smirnov(
    reference: Sequence[float], live: np.ndarray, *, effective_rows: float | None = None
) -> tuple[float, float]:
    """``(D, p)``: the largest gap between the live empirical CDF and the reference CDF, and
    its p-value under "live is drawn from the reference".

    With ``effective_rows`` the p-value is the asymptotic Kolmogorov distribution at that many
    independent rows (``scipy.stats.kstwobign`` of ``D sqrt(effective_rows)``): the two-sample
    test of autocorrelated windows (module docstring). Without, it is as follows.

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
    if statistic == 0:
        p_value = 1.0
    elif effective_rows is not None:
        p_value = float(kstwobign.sf(statistic * np.sqrt(effective_rows)))
    else:
        p_value = float(kstwo.sf(statistic, n))
    # significant digits, not decimals: a p-value of 1e-20 is a figure, not zero
    return round(statistic, _DIGITS), float(f"{min(max(p_value, 0.0), 1.0):.{_DIGITS}g}")


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    psi: float
    ks: float
    ks_p_value: float
    drifted: bool
    #: effective independent live rows, and the PSI expected from sampling noise alone
    live_effective_rows: float
    psi_noise: float


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
        reference_rows = profile.effective_rows[name]
        live_rows = profile.live_effective_rows(name, len(x))
        psi = population_stability_index(reference, x[:, j])
        both = reference_rows * live_rows / (reference_rows + live_rows)
        ks, p_value = kolmogorov_smirnov(reference, x[:, j], effective_rows=both)
        noise = round(psi_noise(reference_rows, live_rows), _DIGITS)
        drifted = psi > thresholds.psi + noise or (
            p_value < thresholds.ks_p_value and psi > PSI_MODERATE + noise
        )
        readings.append(FeatureDrift(name, psi, ks, p_value, drifted, round(live_rows, 6), noise))
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
            if f.psi > t.psi + f.psi_noise:
                lines.append(
                    f"feature {f.feature}: PSI {f.psi:.2f} > {t.psi:g} + noise "
                    f"{f.psi_noise:.2f} ({f.live_effective_rows:.0f} effective live rows)"
                )
            else:
                lines.append(
                    f"feature {f.feature}: KS {f.ks:.3f} (p {f.ks_p_value:.2g} < "
                    f"{t.ks_p_value:g}) with PSI {f.psi:.2f} > {PSI_MODERATE:g} + noise "
                    f"{f.psi_noise:.2f}"
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
