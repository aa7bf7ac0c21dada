"""Drift of live features against the training profile (PSI, KS) and decay of live skill."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2, ks_2samp, kstest, kstwo, norm

from bounded_contexts.prediction.domain.models.direction import ModelInputError
from bounded_contexts.prediction.domain.models.drift import (
    PROFILE_QUANTILES,
    PSI_FLOOR,
    DriftReading,
    DriftThresholds,
    FeatureProfile,
    effective_sample_sizes,
    feature_drift,
    kolmogorov_smirnov,
    population_stability_index,
    profile_features,
    read_drift,
    skill_decay,
)
from bounded_contexts.prediction.domain.models.metrics import score_horizon

NAMES = ("normal", "skewed", "zero_inflated", "counts")
UNIFORM_0_100 = tuple(float(v) for v in np.linspace(0.0, 100.0, PROFILE_QUANTILES))


def draw(rng: np.random.Generator, n: int, *, shift: float = 0.0, scale: float = 1.0):
    """Four feature shapes a model meets: symmetric, skewed, an atom at zero, integer counts
    (heavy ties). ``shift``/``scale`` move the first one only."""
    zero_inflated = np.where(rng.random(n) < 0.3, 0.0, rng.exponential(size=n))
    return np.column_stack(
        [
            rng.normal(shift, scale, size=n),
            rng.exponential(size=n),
            zero_inflated,
            rng.poisson(3.0, size=n).astype(np.float64),
        ]
    )


def training_profile(seed: int, rows: int = 2000) -> tuple[FeatureProfile, np.random.Generator]:
    rng = np.random.default_rng(seed)
    return profile_features(NAMES, draw(rng, rows)), rng


# --- the profile ---------------------------------------------------------------------------


def test_a_profile_keeps_101_linear_quantiles_per_feature_rounded_to_12_places() -> None:
    rows = draw(np.random.default_rng(7), 300)
    profile = profile_features(NAMES, rows)
    assert set(profile.quantiles) == set(NAMES)
    for j, name in enumerate(NAMES):
        expected = np.round(
            np.quantile(rows[:, j], np.linspace(0, 1, PROFILE_QUANTILES), method="linear"), 12
        )
        assert profile.quantiles[name] == tuple(float(v) for v in expected)
        assert profile.quantiles[name][0] == round(rows[:, j].min(), 12)
        assert profile.quantiles[name][-1] == round(rows[:, j].max(), 12)
    assert profile_features(NAMES, rows.copy()) == profile  # the same rows, the same profile


@pytest.mark.parametrize(
    ("names", "rows", "message"),
    [
        (("a", "b"), np.zeros((19, 2)), "at least 20 training rows, got 19"),
        (("a", "b"), np.zeros((30, 3)), r"\(n, 2\) matrix for 2 features, got \(30, 3\)"),
        (("a",), np.zeros(30), r"\(n, 1\) matrix"),
        (("a", "b"), np.where(np.arange(60).reshape(30, 2) == 41, np.nan, 1.0), "b at row 20"),
        (("a", "a"), np.zeros((30, 2)), "feature names repeat: a"),
        ((), np.zeros((30, 0)), "no feature names"),
        ("ab", np.zeros((30, 2)), "not one string"),
    ],
)
def test_a_profile_of_unusable_training_rows_is_refused_with_the_reason(
    names, rows, message
) -> None:
    with pytest.raises(ModelInputError, match=message):
        profile_features(names, rows)


def test_a_profile_with_decreasing_or_missing_quantiles_is_refused() -> None:
    with pytest.raises(ModelInputError, match="must not decrease"):
        FeatureProfile({"a": (1.0, 0.0, 2.0)}, {"a": 10.0}, 10)
    with pytest.raises(ModelInputError, match="at least 2 quantiles"):
        FeatureProfile({"a": (1.0,)}, {"a": 10.0}, 10)
    with pytest.raises(ModelInputError, match="at least one feature"):
        FeatureProfile({}, {}, 10)
    with pytest.raises(ModelInputError, match="effective row count per feature"):
        FeatureProfile({"a": (0.0, 1.0)}, {}, 10)
    with pytest.raises(ModelInputError, match=r"must be a number in \[1, 10\]"):
        FeatureProfile({"a": (0.0, 1.0)}, {"a": 0.5}, 10)
    with pytest.raises(ModelInputError, match=r"must be a number in \[1, 10\]"):
        FeatureProfile({"a": (0.0, 1.0)}, {"a": 11.0}, 10)
    with pytest.raises(ModelInputError, match="rows must be a count >= 1"):
        FeatureProfile({"a": (0.0, 1.0)}, {"a": 1.0}, 0)


# --- PSI -----------------------------------------------------------------------------------


def test_psi_of_a_sample_spread_like_the_reference_is_zero() -> None:
    live = np.arange(5.0, 100.0, 10.0).repeat(7)  # 7 values in the middle of every decile
    assert population_stability_index(UNIFORM_0_100, live) == 0.0


def test_psi_matches_a_hand_computed_example() -> None:
    # uniform reference on [0, 100]: deciles at 10, 20, ..., 90, 10 % expected in each bin.
    # live shares 20 %, 10 % x 7, 5 %, 5 % -> 0.1 ln 2 + 2 x (-0.05) ln 0.5 = 0.2 ln 2
    counts = [20, 10, 10, 10, 10, 10, 10, 10, 5, 5]
    live = np.concatenate([np.full(c, 10.0 * b + 5.0) for b, c in enumerate(counts)])
    assert population_stability_index(UNIFORM_0_100, live) == pytest.approx(0.2 * math.log(2))
    # a value on a cut point belongs to the bin below it: (0, 10], (10, 20], ...
    on_edges = np.concatenate([live[live != 5.0], np.full(20, 10.0)])
    assert population_stability_index(UNIFORM_0_100, on_edges) == pytest.approx(0.2 * math.log(2))


def test_psi_of_an_empty_bin_costs_its_floor_not_infinity() -> None:
    # nothing in the first decile, 100/9 % in each other one
    live = np.arange(15.0, 100.0, 10.0).repeat(9)
    share = 1 / 9
    expected = (PSI_FLOOR - 0.1) * math.log(PSI_FLOOR / 0.1) + 9 * (share - 0.1) * math.log(
        share / 0.1
    )
    assert population_stability_index(UNIFORM_0_100, live) == pytest.approx(expected)
    assert 0.69 < expected < 0.8


def test_psi_cuts_at_the_quantiles_of_the_requested_number_of_bins() -> None:
    live = np.array([10.0, 30.0, 60.0, 90.0])  # one in each quarter
    assert population_stability_index(UNIFORM_0_100, live, bins=4) == 0.0
    assert population_stability_index(UNIFORM_0_100, live, bins=10) > 0.25


def test_psi_against_a_constant_reference_expects_everything_on_the_constant() -> None:
    constant = (3.0,) * PROFILE_QUANTILES
    assert population_stability_index(constant, np.full(50, 3.0)) == 0.0
    half_above = np.r_[np.full(50, 3.0), np.full(50, 4.0)]
    half_below = np.r_[np.full(50, 3.0), np.full(50, 2.0)]
    moved = (0.5 - 1.0) * math.log(0.5) + (0.5 - PSI_FLOOR) * math.log(0.5 / PSI_FLOOR)
    assert population_stability_index(constant, half_above) == pytest.approx(moved)
    # values below an atom at the minimum get their own bin: a move down counts too
    assert population_stability_index(constant, half_below) == pytest.approx(moved)


def test_psi_shares_follow_the_reference_cdf_where_quantiles_tie() -> None:
    # 40 % of the reference sits on 0, the rest spreads evenly over (0, 60]: the cut points at
    # 10 %..40 % merge into 0, so the bin (-inf, 0] expects 40 % and the others 10 % each
    reference = tuple(float(v) for v in np.maximum(0.0, np.linspace(-40.0, 60.0, 101)))
    live = np.r_[np.zeros(40), np.arange(5.0, 60.0, 10.0).repeat(10)]
    assert population_stability_index(reference, live) == 0.0
    assert population_stability_index(reference, np.r_[live, np.full(10, -1.0)]) > 0.05


@settings(max_examples=200, deadline=None)
@given(
    reference=st.lists(st.integers(-5, 5), min_size=2, max_size=30).map(sorted),
    live=st.lists(st.integers(-7, 7), min_size=1, max_size=80),
    bins=st.integers(2, 12),
)
def test_psi_is_finite_and_never_negative_whatever_the_ties(reference, live, bins) -> None:
    psi = population_stability_index(
        [float(v) for v in reference], np.asarray(live, float), bins=bins
    )
    assert math.isfinite(psi) and psi >= 0.0


@pytest.mark.parametrize(
    ("reference", "live", "bins", "message"),
    [
        (UNIFORM_0_100, np.array([]), 10, "live sample is empty"),
        (UNIFORM_0_100, np.array([1.0, np.inf]), 10, "row 1 is not finite"),
        (UNIFORM_0_100, np.ones((3, 2)), 10, "one column"),
        (UNIFORM_0_100, np.ones(3), 1, "bins >= 2"),
        (UNIFORM_0_100, np.ones(3), 2.5, "bins >= 2"),
        ((2.0, 1.0), np.ones(3), 10, "must not decrease"),
        ((1.0, float("nan")), np.ones(3), 10, "must be finite"),
        (("a", "b"), np.ones(3), 10, "must be numbers"),
    ],
)
def test_psi_of_unusable_input_is_refused_with_the_reason(reference, live, bins, message) -> None:
    with pytest.raises(ModelInputError, match=message):
        population_stability_index(reference, live, bins=bins)


# --- KS ------------------------------------------------------------------------------------


def test_ks_matches_a_hand_computed_example() -> None:
    uniform = tuple(float(v) for v in np.linspace(0.0, 1.0, 11))
    statistic, p_value = kolmogorov_smirnov(uniform, np.array([0.1, 0.2, 0.3, 0.4]))
    assert statistic == pytest.approx(0.6)  # live CDF 1 at 0.4 where the reference is 0.4
    assert p_value == pytest.approx(kstwo.sf(0.6, 4), abs=1e-12)
    assert kolmogorov_smirnov(uniform, np.array([0.5])) == (0.5, 1.0)
    assert kolmogorov_smirnov(uniform, np.array([-1.0, 2.0]))[0] == 0.5


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(
    ("name", "sample"),
    [
        ("normal", lambda r, n, s: r.normal(s, 1.0, n)),
        ("skewed", lambda r, n, s: r.exponential(1.0, n) + s),
        ("wide", lambda r, n, s: r.standard_t(3, n) * 10.0 + 10.0 * s),
    ],
)
def test_ks_against_a_large_training_profile_equals_the_two_sample_statistic(
    seed, name, sample
) -> None:
    rng = np.random.default_rng(seed)
    training = sample(rng, 100_000, 0.0)
    reference = profile_features([name], training[:, None]).quantiles[name]
    for shift in (0.0, 0.1, 0.5):
        live = sample(rng, 1000, shift)
        statistic, p_value = kolmogorov_smirnov(reference, live)
        two_sample = ks_2samp(training, live)
        assert statistic == pytest.approx(two_sample.statistic, abs=0.01)
        assert 0.0 <= p_value <= 1.0
        if shift == 0.0:
            assert p_value > 0.001
        if shift == 0.5:
            assert p_value < 1e-6


def test_ks_p_value_is_the_one_sample_test_against_the_true_cdf_when_the_profile_is_exact() -> None:
    reference = tuple(float(v) for v in norm.ppf(np.linspace(0.0005, 0.9995, 2001)))
    rng = np.random.default_rng(3)
    for shift in (0.0, 0.05, 0.1, 0.2):
        live = rng.normal(shift, 1.0, 400)
        statistic, p_value = kolmogorov_smirnov(reference, live)
        exact = kstest(live, norm.cdf)
        assert statistic == pytest.approx(exact.statistic, abs=0.002)
        assert p_value == pytest.approx(exact.pvalue, rel=0.1, abs=1e-4)


def test_ks_against_a_constant_reference_is_a_step() -> None:
    constant = (3.0,) * PROFILE_QUANTILES
    assert kolmogorov_smirnov(constant, np.full(300, 3.0)) == (0.0, 1.0)
    statistic, p_value = kolmogorov_smirnov(constant, np.r_[np.full(270, 3.0), np.full(30, 2.9)])
    assert statistic == pytest.approx(0.1)  # 10 % of the live mass sits below the step
    assert p_value < 1e-2
    statistic, _ = kolmogorov_smirnov(constant, np.r_[np.full(200, 3.0), np.full(100, 3.1)])
    assert statistic == pytest.approx(1 / 3)


def _ks_by_quantile_function(reference: np.ndarray, live: np.ndarray) -> float:
    """The same statistic found another way: the reference CDF read off its quantile function
    on a fine grid (F(x) = largest p with Q(p) <= x), the gap checked on both sides of every
    point where either CDF can jump."""
    grid = np.linspace(0.0, 1.0, 400_001)
    quantile = np.interp(grid, np.linspace(0.0, 1.0, len(reference)), reference)

    def cdf(x: np.ndarray, side: str) -> np.ndarray:
        i = np.searchsorted(quantile, x, side=side) - 1
        return np.where(i < 0, 0.0, grid[np.clip(i, 0, None)])

    points = np.unique(np.r_[live, reference])
    live_sorted = np.sort(live)
    at = np.searchsorted(live_sorted, points, side="right") / len(live)
    before = np.searchsorted(live_sorted, points, side="left") / len(live)
    return float(
        max(
            np.max(np.abs(at - cdf(points, "right"))),
            np.max(np.abs(before - cdf(points, "left"))),
        )
    )


@settings(max_examples=150, deadline=None)
@given(
    reference=st.lists(st.integers(-4, 4), min_size=2, max_size=25).map(sorted),
    live=st.lists(st.integers(-6, 6), min_size=1, max_size=60),
)
def test_ks_is_the_largest_gap_between_the_two_cdfs_whatever_the_ties(reference, live) -> None:
    q = np.asarray(reference, float)
    x = np.asarray(live, float)
    statistic, p_value = kolmogorov_smirnov(q, x)
    assert 0.0 <= statistic <= 1.0 and 0.0 <= p_value <= 1.0
    assert statistic == pytest.approx(_ks_by_quantile_function(q, x), abs=1e-4)


def test_ks_of_unusable_input_is_refused_with_the_reason() -> None:
    with pytest.raises(ModelInputError, match="live sample is empty"):
        kolmogorov_smirnov(UNIFORM_0_100, np.array([]))
    with pytest.raises(ModelInputError, match="row 0 is not finite"):
        kolmogorov_smirnov(UNIFORM_0_100, np.array([np.nan]))
    with pytest.raises(ModelInputError, match="must not decrease"):
        kolmogorov_smirnov((1.0, 0.0), np.ones(3))


# --- feature drift -------------------------------------------------------------------------


@pytest.mark.parametrize("live_rows", [200, 500])
def test_fresh_samples_from_the_training_distribution_never_drift_over_200_seeds(
    live_rows,
) -> None:
    """False-positive rate asserted: 0 of 200 seeds (x 4 feature shapes), both at the least
    live rows the default thresholds judge (200) and at 500. Measured worst cases: PSI 0.16
    (n=200) and 0.08 (n=500), against the 0.25 line."""
    thresholds = DriftThresholds()
    false_alarms = []
    for seed in range(200):
        profile, rng = training_profile(seed)
        readings = feature_drift(profile, NAMES, draw(rng, live_rows), thresholds)
        assert [r.feature for r in readings] == list(NAMES)
        false_alarms += [(seed, r) for r in readings if r.drifted]
    assert false_alarms == []


def test_a_mean_shift_of_one_standard_deviation_drifts_on_psi_for_every_seed() -> None:
    thresholds = DriftThresholds()
    for seed in range(200):
        profile, rng = training_profile(seed)
        readings = feature_drift(profile, NAMES, draw(rng, 500, shift=1.0), thresholds)
        assert readings[0].drifted and readings[0].psi > 0.5, (seed, readings[0])
        assert readings[0].ks > 0.3 and readings[0].ks_p_value < 1e-20
        assert not any(r.drifted for r in readings[1:]), (seed, readings)


def test_a_doubled_variance_drifts_on_ks_with_a_moderate_psi_for_every_seed() -> None:
    """A doubled variance moves PSI only to about 0.15 (population value 0.145, below 0.25):
    the KS leg catches it, which takes a live sample large enough to make the KS gap (about
    0.08) certain and a training window large enough that its own noise does not pull PSI
    under 0.1. With 20,000 training rows and 2,000 live rows every seed fires (lowest PSI
    measured 0.11); with 2,000 training rows one seed in 200 stays at PSI 0.09, and with 500
    live rows about one in ten is missed."""
    thresholds = DriftThresholds()
    for seed in range(200):
        profile, rng = training_profile(seed, rows=20_000)
        first = feature_drift(profile, NAMES, draw(rng, 2000, scale=math.sqrt(2)), thresholds)[0]
        assert first.drifted, (seed, first)
        assert 0.1 < first.psi < 0.25 and first.ks_p_value < thresholds.ks_p_value


def test_a_large_sample_is_not_flagged_for_a_shift_too_small_to_matter() -> None:
    """A 0.1 sd shift over 20,000 live rows: KS is certain (p << 0.001), PSI about 0.01."""
    profile, rng = training_profile(11, rows=20_000)
    first = feature_drift(profile, NAMES, draw(rng, 20_000, shift=0.1), DriftThresholds())[0]
    assert 0.0 < first.ks_p_value < 1e-12 and first.psi < 0.1  # a tiny p, still a figure
    assert not first.drifted


def test_a_constant_feature_drifts_only_when_it_moves() -> None:
    profile = profile_features(["flag"], np.ones((50, 1)))
    thresholds = DriftThresholds()
    (still,) = feature_drift(profile, ["flag"], np.ones((300, 1)), thresholds)
    assert (still.feature, still.psi, still.ks, still.ks_p_value, still.drifted) == (
        "flag",
        0.0,
        0.0,
        1.0,
        False,
    )
    assert still.live_effective_rows == 300  # constant: nothing to discount
    assert still.psi_noise == pytest.approx(chi2.ppf(0.99, 9) * (1 / 50 + 1 / 300))
    (moved,) = feature_drift(
        profile, ["flag"], np.r_[np.ones(240), np.zeros(60)][:, None], thresholds
    )
    assert moved.drifted and moved.psi > 1.0 and moved.ks == pytest.approx(0.2)


def test_live_features_that_do_not_match_the_profile_are_named_in_the_error() -> None:
    profile, rng = training_profile(0, rows=100)
    live = draw(rng, 300)
    with pytest.raises(ModelInputError, match="profiled but not live: counts"):
        feature_drift(profile, NAMES[:3], live[:, :3], DriftThresholds())
    with pytest.raises(ModelInputError, match="live but not profiled: extra"):
        feature_drift(profile, (*NAMES, "extra"), np.c_[live, live[:, :1]], DriftThresholds())
    with pytest.raises(ModelInputError, match=r"\(n, 4\) matrix for 4 features, got \(300, 3\)"):
        feature_drift(profile, NAMES, live[:, :3], DriftThresholds())
    with pytest.raises(ModelInputError, match="no live rows"):
        feature_drift(profile, NAMES, live[:0], DriftThresholds())
    live[5, 2] = np.nan
    with pytest.raises(ModelInputError, match="zero_inflated at row 5 is not finite"):
        feature_drift(profile, NAMES, live, DriftThresholds())


def test_live_columns_are_matched_to_the_profile_by_name_not_position() -> None:
    profile, rng = training_profile(1)
    live = draw(rng, 500)
    reordered = feature_drift(profile, NAMES[::-1], live[:, ::-1], DriftThresholds())
    assert reordered == feature_drift(profile, NAMES, live, DriftThresholds())[::-1]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("psi", 0.0, "PSI threshold must be positive"),
        ("psi", float("nan"), "PSI threshold must be positive"),
        ("ks_p_value", 1.0, r"lie in \(0, 1\)"),
        ("ks_p_value", 0.0, r"lie in \(0, 1\)"),
        ("accuracy_drop", -0.01, "accuracy_drop must be a non-negative number"),
        ("brier_rise", float("inf"), "brier_rise must be a non-negative number"),
        ("min_live_samples", 0, "min_live_samples must be a positive integer"),
        ("min_resolved", 2.5, "min_resolved must be a positive integer"),
    ],
)
def test_unusable_thresholds_are_refused_with_the_reason(field, value, message) -> None:
    with pytest.raises(ModelInputError, match=message):
        DriftThresholds(**{field: value})


# --- skill decay ---------------------------------------------------------------------------


def _calls(correct: int, wrong: int, confidence: float = 0.6) -> tuple[np.ndarray, np.ndarray]:
    """Predictions that always call ``up`` with the given confidence; ``correct`` of them
    resolve up, ``wrong`` resolve down."""
    rest = (1.0 - confidence) / 2
    probabilities = np.tile([rest, rest, confidence], (correct + wrong, 1))
    labels = np.r_[np.full(correct, 2), np.zeros(wrong, dtype=int)]
    return probabilities, labels


def test_skill_equal_to_the_training_figures_has_not_decayed() -> None:
    probabilities, labels = _calls(560, 440)
    reference = score_horizon(1, probabilities, labels)
    skill = skill_decay(
        probabilities, labels, reference.accuracy, reference.brier, DriftThresholds()
    )
    assert skill == skill_decay(probabilities, labels, 0.56, reference.brier, DriftThresholds())
    assert skill.resolved == 1000
    assert skill.live_accuracy == pytest.approx(reference.accuracy)
    assert skill.live_brier == pytest.approx(reference.brier)
    assert not skill.decayed


def test_skill_decays_when_live_accuracy_falls_by_more_than_the_threshold() -> None:
    reference_score = score_horizon(1, *_calls(560, 440))
    thresholds = DriftThresholds(brier_rise=1.0)  # accuracy alone decides here
    worse = skill_decay(*_calls(480, 520), 0.56, reference_score.brier, thresholds)
    assert worse.decayed and worse.live_accuracy == pytest.approx(0.48)
    within = skill_decay(*_calls(515, 485), 0.56, reference_score.brier, thresholds)
    assert not within.decayed  # 0.515 is not below 0.56 - 0.05
    reasons = DriftReading((), worse, thresholds).reasons()
    assert reasons == ("live accuracy 0.48 < training 0.56 - 0.05 (1000 resolved)",)


def test_skill_decays_when_live_brier_rises_though_accuracy_holds() -> None:
    reference = score_horizon(1, *_calls(600, 400, confidence=0.6))
    overconfident = skill_decay(
        *_calls(600, 400, confidence=1.0), reference.accuracy, reference.brier, DriftThresholds()
    )
    # Brier 0.6 x 0.24 + 0.4 x 1.04 = 0.56 in training, 0.4 x 2 = 0.8 live
    assert reference.brier == pytest.approx(0.56) and overconfident.live_brier == pytest.approx(0.8)
    assert overconfident.live_accuracy == reference.accuracy
    assert overconfident.decayed
    reasons = DriftReading((), overconfident, DriftThresholds()).reasons()
    assert reasons == ("live Brier 0.800 > training 0.560 + 0.05 (1000 resolved)",)


def test_skill_is_not_judged_before_enough_predictions_resolved() -> None:
    hopeless = skill_decay(*_calls(0, 199), 0.9, 0.1, DriftThresholds())
    assert hopeless.resolved == 199 and hopeless.live_accuracy == 0.0
    assert not hopeless.decayed
    assert skill_decay(*_calls(0, 200), 0.9, 0.1, DriftThresholds()).decayed


def test_a_model_as_good_as_in_training_never_decays_and_a_worse_one_always_does() -> None:
    """200 seeds of 2,000 resolved predictions from a model right 55 % of the time; the
    degraded model is right 45 % of the time with the same confidence."""
    thresholds = DriftThresholds()

    def resolved(rng, n, hit_rate):
        calls = rng.integers(0, 3, n)
        probabilities = np.full((n, 3), 0.2)
        probabilities[np.arange(n), calls] = 0.6
        wrong = (calls + rng.integers(1, 3, n)) % 3
        return probabilities, np.where(rng.random(n) < hit_rate, calls, wrong)

    reference = score_horizon(1, *resolved(np.random.default_rng(10_000), 20_000, 0.55))
    for seed in range(200):
        rng = np.random.default_rng(seed)
        same = skill_decay(
            *resolved(rng, 2000, 0.55), reference.accuracy, reference.brier, thresholds
        )
        worse = skill_decay(
            *resolved(rng, 2000, 0.45), reference.accuracy, reference.brier, thresholds
        )
        assert not same.decayed, (seed, same)
        assert worse.decayed, (seed, worse)


@pytest.mark.parametrize(
    ("probabilities", "labels", "accuracy", "brier_score", "message"),
    [
        (np.full((3, 2), 0.5), np.zeros(3, int), 0.5, 0.5, r"need \(n, 3\) probabilities"),
        (np.full((3, 3), 1 / 3), np.zeros(2, int), 0.5, 0.5, r"need \(n, 3\) probabilities"),
        (np.full((3, 3), 1 / 3), np.array([0, 1, 3]), 0.5, 0.5, "labels must be 0, 1 or 2"),
        (np.full((3, 3), np.nan), np.zeros(3, int), 0.5, 0.5, "must be finite"),
        (np.zeros((0, 3)), np.zeros(0, int), 0.5, 0.5, "no resolved predictions"),
        (np.full((3, 3), 1 / 3), np.zeros(3, int), 1.5, 0.5, r"accuracy must lie in \[0, 1\]"),
        (np.full((3, 3), 1 / 3), np.zeros(3, int), None, 0.5, r"accuracy must lie in \[0, 1\]"),
        (np.full((3, 3), 1 / 3), np.zeros(3, int), 0.5, -0.1, r"Brier score must lie in \[0, 2\]"),
    ],
)
def test_skill_of_unusable_input_is_refused_with_the_reason(
    probabilities, labels, accuracy, brier_score, message
) -> None:
    with pytest.raises(ModelInputError, match=message):
        skill_decay(probabilities, labels, accuracy, brier_score, DriftThresholds())


# --- one reading ---------------------------------------------------------------------------


def test_a_reading_judges_features_only_once_enough_live_rows_arrived() -> None:
    profile, rng = training_profile(5)
    shifted = draw(rng, 400, shift=1.0)
    thresholds = DriftThresholds(min_live_samples=300)
    early = read_drift(profile, NAMES, shifted[:299], thresholds)
    assert early.features == () and early.skill is None
    assert not early.drifted and early.reasons() == ()
    late = read_drift(profile, NAMES, shifted, thresholds)
    assert late.drifted and [f.feature for f in late.features] == list(NAMES)
    (reason,) = late.reasons()
    assert reason.startswith("feature normal: PSI ") and " > 0.25 + noise 0.0" in reason
    assert reason.endswith(" effective live rows)")


def test_a_reading_quotes_a_ks_call_with_its_p_value_and_moderate_psi() -> None:
    profile, rng = training_profile(2)
    reading = read_drift(profile, NAMES, draw(rng, 2000, scale=math.sqrt(2)), DriftThresholds())
    (reason,) = reading.reasons()
    assert reason.startswith("feature normal: KS ")
    assert "< 0.001) with PSI " in reason and " > 0.1 + noise 0.0" in reason


def test_a_reading_adds_skill_decay_when_resolved_predictions_are_given() -> None:
    profile, rng = training_profile(6)
    live = draw(rng, 500)
    probabilities, labels = _calls(400, 600)
    reading = read_drift(
        profile,
        NAMES,
        live,
        DriftThresholds(),
        probabilities=probabilities,
        labels=labels,
        reference_accuracy=0.56,
        reference_brier=0.62,
    )
    assert not any(f.drifted for f in reading.features)
    assert reading.skill is not None and reading.skill.decayed and reading.drifted
    assert reading.reasons()[0] == "live accuracy 0.40 < training 0.56 - 0.05 (1000 resolved)"
    nothing_resolved = read_drift(
        profile,
        NAMES,
        live,
        DriftThresholds(),
        probabilities=np.zeros((0, 3)),
        labels=np.zeros(0, int),
        reference_accuracy=0.56,
        reference_brier=0.62,
    )
    assert nothing_resolved.skill is None and not nothing_resolved.drifted


def test_a_reading_with_half_the_skill_arguments_or_a_bad_matrix_is_refused() -> None:
    profile, rng = training_profile(6)
    with pytest.raises(ModelInputError, match="give all four or none"):
        read_drift(
            profile, NAMES, draw(rng, 10), DriftThresholds(), probabilities=np.ones((3, 3)) / 3
        )
    with pytest.raises(ModelInputError, match=r"\(n, 4\) matrix"):
        read_drift(profile, NAMES, np.ones((10, 2)), DriftThresholds())
    with pytest.raises(ModelInputError, match="profiled but not live"):
        read_drift(profile, NAMES[:2], np.ones((10, 2)), DriftThresholds())  # too few to judge


# --- autocorrelated features -----------------------------------------------------------------


def ar1(rng: np.random.Generator, n: int, phi: float, shift: float = 0.0) -> np.ndarray:
    """A unit-variance AR(1) path: what an indicator of consecutive bars looks like."""
    x = np.empty(n)
    x[0] = rng.normal()
    noise = rng.normal(size=n) * math.sqrt(1 - phi * phi)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + noise[t]
    return x + shift


def test_effective_rows_count_independent_rows_once_and_autocorrelated_ones_less() -> None:
    rng = np.random.default_rng(3)
    iid = rng.normal(size=(20_000, 1))
    assert effective_sample_sizes(iid)[0] == pytest.approx(20_000, rel=0.03)
    sticky = ar1(rng, 20_000, 0.9)[:, None]
    assert effective_sample_sizes(sticky)[0] == pytest.approx(20_000 * 0.1 / 1.9, rel=0.1)
    # two instruments interleaved: each series read on its own, the sizes add up
    both = np.empty((40_000, 1))
    both[0::2], both[1::2] = sticky, ar1(rng, 20_000, 0.9)[:, None]
    groups = ["A", "B"] * 20_000
    assert effective_sample_sizes(both, groups)[0] == pytest.approx(2 * 20_000 * 0.1 / 1.9, rel=0.1)
    assert effective_sample_sizes(both)[0] > 10 * effective_sample_sizes(both, groups)[0]
    with pytest.raises(ModelInputError, match="3 group labels for 40000 rows"):
        effective_sample_sizes(both, ["A", "B", "A"])


def test_a_stationary_autocorrelated_feature_is_not_called_drifted_for_any_seed() -> None:
    """600 training rows and 500 live rows of an AR(1) feature with phi 0.9 (a 14-bar RSI is
    about that sticky): PSI alone exceeds 0.25 in 15 of these 100 seeds; judged on
    effective rows, no seed is called drifted."""
    naive = 0
    for seed in range(100):
        rng = np.random.default_rng(seed)
        path = ar1(rng, 1100, 0.9)
        profile = profile_features(["rsi"], path[:600, None])
        (reading,) = feature_drift(profile, ["rsi"], path[600:, None], DriftThresholds())
        assert not reading.drifted, (seed, reading)
        naive += reading.psi > 0.25
    assert naive >= 10


def test_a_real_shift_of_an_autocorrelated_feature_is_still_called_for_every_seed() -> None:
    """The same sticky feature moved by two standard deviations in the live window."""
    for seed in range(100):
        rng = np.random.default_rng(seed)
        profile = profile_features(["rsi"], ar1(rng, 2000, 0.9)[:, None])
        live = ar1(rng, 500, 0.9, shift=2.0)[:, None]
        (reading,) = feature_drift(profile, ["rsi"], live, DriftThresholds())
        assert reading.drifted, (seed, reading)
