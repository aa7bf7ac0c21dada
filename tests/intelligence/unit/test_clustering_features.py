"""k-means and DBSCAN on standardised per-instrument feature vectors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import silhouette_score

from bounded_contexts.intelligence.domain.clustering import (
    NOISE_LABEL,
    ConstantSeriesError,
    InstrumentIdError,
    InvalidClusterCountError,
    InvalidParameterError,
    NonFiniteValueError,
    TooFewInstrumentsError,
    cluster_by_dbscan,
    cluster_by_kmeans,
    standardise_features,
)


def two_blobs(seed: int, per_blob: int = 6) -> tuple[np.ndarray, list[str]]:
    """Volatility (~1e-2) and average volume (~1e6) features: units differ by eight decades."""
    rng = np.random.default_rng(seed)
    quiet = np.column_stack(
        [0.01 + 0.0005 * rng.standard_normal(per_blob), 1e6 + 2e4 * rng.standard_normal(per_blob)]
    )
    wild = np.column_stack(
        [0.04 + 0.0005 * rng.standard_normal(per_blob), 3e6 + 2e4 * rng.standard_normal(per_blob)]
    )
    ids = [f"Q{i}" for i in range(per_blob)] + [f"W{i}" for i in range(per_blob)]
    return np.vstack([quiet, wild]), ids


def test_standardised_features_have_zero_mean_and_unit_population_std() -> None:
    features, ids = two_blobs(seed=1)

    standardised = standardise_features(features, ids)

    np.testing.assert_allclose(standardised.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(standardised.std(axis=0), 1.0, atol=1e-12)


def test_kmeans_recovers_two_well_separated_groups_exactly() -> None:
    features, ids = two_blobs(seed=2)

    result = cluster_by_kmeans(features, ids, n_clusters=2, seed=42)

    assert result.labels == (0,) * 6 + (1,) * 6
    assert result.method == "kmeans"
    assert result.quality is not None
    assert result.quality.silhouette > 0.8


def test_kmeans_is_reproducible_for_a_given_seed_or_generator() -> None:
    rng = np.random.default_rng(3)
    features = rng.standard_normal((30, 3))
    ids = [f"X{i}" for i in range(30)]

    first = cluster_by_kmeans(features, ids, n_clusters=4, seed=5, n_init=1)
    second = cluster_by_kmeans(features, ids, n_clusters=4, seed=5, n_init=1)
    from_generator = cluster_by_kmeans(
        features, ids, n_clusters=4, seed=np.random.default_rng(9), n_init=1
    )
    again_from_generator = cluster_by_kmeans(
        features, ids, n_clusters=4, seed=np.random.default_rng(9), n_init=1
    )

    assert first == second
    assert from_generator == again_from_generator


def test_rescaling_a_feature_does_not_change_the_clustering() -> None:
    rng = np.random.default_rng(4)
    features = rng.standard_normal((20, 2))
    ids = [f"X{i}" for i in range(20)]
    rescaled = features * np.array([1e-4, 1e5]) + np.array([3.0, -7.0])

    original = cluster_by_kmeans(features, ids, n_clusters=3, seed=1)
    changed_units = cluster_by_kmeans(rescaled, ids, n_clusters=3, seed=1)

    assert original.labels == changed_units.labels


def test_kmeans_silhouette_uses_euclidean_distance_on_standardised_features() -> None:
    features, ids = two_blobs(seed=5)

    result = cluster_by_kmeans(features, ids, n_clusters=2, seed=0)

    expected = silhouette_score(standardise_features(features, ids), result.labels)
    assert result.quality is not None
    assert result.quality.silhouette == pytest.approx(expected, abs=1e-12)


def test_dbscan_finds_the_dense_groups_and_marks_the_outlier_as_noise() -> None:
    features, ids = two_blobs(seed=6)
    features = np.vstack([features, [0.025, 2e6]])
    ids = [*ids, "LONER"]

    result = cluster_by_dbscan(features, ids, eps=0.3, min_samples=3)

    assert result.labels == (0,) * 6 + (1,) * 6 + (NOISE_LABEL,)
    assert result.noise == ("LONER",)
    assert result.n_clusters == 2
    assert result.quality is not None
    assert result.quality.scored_points == 12


def test_dbscan_with_everything_noise_has_no_silhouette() -> None:
    features, ids = two_blobs(seed=6)

    result = cluster_by_dbscan(features, ids, eps=1e-6, min_samples=2)

    assert set(result.labels) == {NOISE_LABEL}
    assert result.n_clusters == 0
    assert result.quality is None


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31), n_instruments=st.integers(2, 15), data=st.data())
def test_kmeans_gives_every_instrument_exactly_one_label_numbered_by_first_appearance(
    seed: int, n_instruments: int, data: st.DataObject
) -> None:
    n_clusters = data.draw(st.integers(1, n_instruments))
    features = np.random.default_rng(seed).standard_normal((n_instruments, 2))
    ids = [f"X{i}" for i in range(n_instruments)]

    result = cluster_by_kmeans(features, ids, n_clusters=n_clusters, seed=seed, n_init=1)

    assert len(result.labels) == n_instruments
    assert sorted(set(result.labels)) == list(range(n_clusters))
    first_seen = [result.labels.index(label) for label in range(n_clusters)]
    assert first_seen == sorted(first_seen)


# --- bad input -----------------------------------------------------------------------------


def test_more_clusters_than_distinct_feature_rows_is_rejected() -> None:
    features = np.array([[1.0, 2.0], [1.0, 2.0], [3.0, 4.0]])

    with pytest.raises(InvalidClusterCountError, match="distinct feature rows \\(2 of 3"):
        cluster_by_kmeans(features, ["a", "b", "c"], n_clusters=3, seed=0)


@pytest.mark.parametrize("bad_count", [0, -2, 13, 1.5])
def test_an_invalid_number_of_kmeans_clusters_is_rejected(bad_count: object) -> None:
    features, ids = two_blobs(seed=1)

    with pytest.raises((InvalidClusterCountError, InvalidParameterError), match="n_clusters"):
        cluster_by_kmeans(features, ids, n_clusters=bad_count, seed=0)  # type: ignore[arg-type]


def test_a_constant_feature_column_is_rejected_naming_the_column() -> None:
    features, ids = two_blobs(seed=1)
    features[:, 1] = 5.0

    with pytest.raises(ConstantSeriesError, match="feature in column 1 is constant"):
        cluster_by_kmeans(features, ids, n_clusters=2, seed=0)


def test_nan_feature_is_rejected_naming_row_and_column() -> None:
    features, ids = two_blobs(seed=1)
    features[4, 1] = np.nan

    with pytest.raises(NonFiniteValueError, match="row 4, column 1"):
        cluster_by_dbscan(features, ids, eps=0.5)


def test_feature_rows_and_ids_must_line_up() -> None:
    features, ids = two_blobs(seed=1)

    with pytest.raises(InstrumentIdError, match="13 instrument id"):
        cluster_by_kmeans(features, [*ids, "extra"], n_clusters=2, seed=0)


def test_a_single_instrument_cannot_be_clustered_by_features() -> None:
    with pytest.raises(TooFewInstrumentsError):
        cluster_by_dbscan(np.array([[1.0, 2.0]]), ["solo"], eps=0.5)


@pytest.mark.parametrize("eps", [0.0, -1.0, float("nan")])
def test_dbscan_radius_must_be_positive_and_finite(eps: float) -> None:
    features, ids = two_blobs(seed=1)

    with pytest.raises(InvalidParameterError, match="eps"):
        cluster_by_dbscan(features, ids, eps=eps)


def test_dbscan_min_samples_must_be_a_positive_integer() -> None:
    features, ids = two_blobs(seed=1)

    with pytest.raises(InvalidParameterError, match="min_samples"):
        cluster_by_dbscan(features, ids, eps=0.5, min_samples=0)


@pytest.mark.parametrize("seed", [-1, 2**32, 1.0])
def test_kmeans_seed_must_be_an_integer_in_range_or_a_generator(seed: object) -> None:
    features, ids = two_blobs(seed=1)

    with pytest.raises(InvalidParameterError, match="seed"):
        cluster_by_kmeans(features, ids, n_clusters=2, seed=seed)  # type: ignore[arg-type]


def test_kmeans_restarts_must_be_at_least_one() -> None:
    features, ids = two_blobs(seed=1)

    with pytest.raises(InvalidParameterError, match="n_init"):
        cluster_by_kmeans(features, ids, n_clusters=2, seed=0, n_init=0)


def test_a_feature_whose_variance_underflows_is_rejected_like_a_constant_one() -> None:
    features = np.array([[1e-170, 0.0], [2e-170, 1.0], [3e-170, 2.0]])

    with pytest.raises(ConstantSeriesError, match="feature in column 0"):
        standardise_features(features, ["a", "b", "c"])
