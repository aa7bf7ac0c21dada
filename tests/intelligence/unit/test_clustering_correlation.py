"""Hierarchical clustering of instruments on the correlation distance sqrt(0.5 (1 - rho))."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import silhouette_score

from bounded_contexts.intelligence.domain.clustering import (
    LINKAGES,
    ConstantSeriesError,
    InputShapeError,
    InstrumentIdError,
    InvalidClusterCountError,
    InvalidParameterError,
    NonFiniteValueError,
    TooFewInstrumentsError,
    TooFewObservationsError,
    cluster_by_correlation,
    correlation_distance_matrix,
    correlation_matrix,
)


def two_factor_returns(
    seed: int, block_sizes: tuple[int, int] = (4, 3), observations: int = 250
) -> tuple[np.ndarray, list[str]]:
    """Each block loads on its own factor, with idiosyncratic noise at 30% of factor volatility."""
    rng = np.random.default_rng(seed)
    factors = rng.standard_normal((observations, 2)) * 0.01
    loadings = np.zeros((sum(block_sizes), 2))
    loadings[: block_sizes[0], 0] = 1.0
    loadings[block_sizes[0] :, 1] = 1.0
    noise = rng.standard_normal((observations, sum(block_sizes))) * 0.003
    ids = [f"A{i}" for i in range(block_sizes[0])] + [f"B{i}" for i in range(block_sizes[1])]
    return factors @ loadings.T + noise, ids


@pytest.mark.parametrize("linkage", LINKAGES)
def test_two_blocks_driven_by_two_factors_are_recovered_exactly_by_every_linkage(
    linkage: str,
) -> None:
    returns, ids = two_factor_returns(seed=7)

    result = cluster_by_correlation(returns, ids, linkage=linkage, n_clusters=2)

    assert result.labels == (0, 0, 0, 0, 1, 1, 1)
    assert result.clusters() == {0: ("A0", "A1", "A2", "A3"), 1: ("B0", "B1", "B2")}
    assert result.method == f"hierarchical/{linkage}"


def test_a_distance_threshold_between_within_and_between_block_distances_recovers_the_blocks() -> (
    None
):
    returns, ids = two_factor_returns(seed=11)

    result = cluster_by_correlation(returns, ids, linkage="average", distance_threshold=0.5)

    assert result.labels == (0, 0, 0, 0, 1, 1, 1)


def test_shuffled_instrument_columns_give_the_same_blocks() -> None:
    returns, ids = two_factor_returns(seed=3, block_sizes=(5, 5))
    order = np.random.default_rng(0).permutation(len(ids))

    result = cluster_by_correlation(returns[:, order], [ids[i] for i in order], n_clusters=2)

    groups = {frozenset(members) for members in result.clusters().values()}
    assert groups == {frozenset(ids[:5]), frozenset(ids[5:])}


def test_correlation_matrix_matches_numpy_corrcoef() -> None:
    returns, ids = two_factor_returns(seed=5)

    np.testing.assert_allclose(
        correlation_matrix(returns, ids), np.corrcoef(returns, rowvar=False), atol=1e-12
    )


def test_correlation_distance_is_zero_for_copies_one_for_mirror_images_and_mantegna_else() -> None:
    rng = np.random.default_rng(2)
    base = rng.standard_normal(100)
    other = rng.standard_normal(100)
    returns = np.column_stack([base, 3.0 * base + 1.0, -base, other])
    ids = ["base", "scaled", "mirror", "other"]

    distances = correlation_distance_matrix(returns, ids)

    rho = np.corrcoef(base, other)[0, 1]
    assert distances[0, 1] == pytest.approx(0.0, abs=1e-7)
    assert distances[0, 2] == pytest.approx(1.0, abs=1e-12)
    assert distances[0, 3] == pytest.approx(math.sqrt(0.5 * (1.0 - rho)), abs=1e-12)
    assert np.array_equal(distances, distances.T)
    assert np.all(np.diag(distances) == 0.0)


def test_silhouette_is_computed_on_the_same_precomputed_correlation_distance() -> None:
    returns, ids = two_factor_returns(seed=9)

    result = cluster_by_correlation(returns, ids, n_clusters=2)

    distances = correlation_distance_matrix(returns, ids)
    expected = silhouette_score(distances, result.labels, metric="precomputed")
    assert result.quality is not None
    assert result.quality.silhouette == pytest.approx(expected, abs=1e-12)
    assert set(result.quality.silhouette_by_cluster) == {0, 1}
    assert result.quality.silhouette > 0.5


def test_cutting_by_count_yields_exactly_that_many_clusters_even_when_merge_heights_tie() -> None:
    rng = np.random.default_rng(4)
    first, second = rng.standard_normal((2, 60))
    # Two pairs of identical series: both first merges happen at height 0.
    returns = np.column_stack([first, first, second, second])

    result = cluster_by_correlation(returns, ["a", "b", "c", "d"], n_clusters=3)

    assert result.n_clusters == 3


def test_one_cluster_and_all_singletons_are_valid_cuts_without_a_silhouette() -> None:
    returns, ids = two_factor_returns(seed=1)

    together = cluster_by_correlation(returns, ids, n_clusters=1)
    apart = cluster_by_correlation(returns, ids, n_clusters=len(ids))

    assert set(together.labels) == {0}
    assert together.quality is None
    assert apart.labels == tuple(range(len(ids)))
    assert apart.quality is None


def test_result_maps_each_instrument_id_to_its_cluster() -> None:
    returns, ids = two_factor_returns(seed=7)

    result = cluster_by_correlation(returns, ids, n_clusters=2)

    assert dict(result.assignments) == dict(zip(ids, result.labels, strict=True))
    assert result.label_of("B2") == 1
    assert result.members(0) == ("A0", "A1", "A2", "A3")
    assert result.noise == ()
    with pytest.raises(InstrumentIdError, match="'ZZZ' is not part"):
        result.label_of("ZZZ")


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    n_instruments=st.integers(2, 9),
    data=st.data(),
    linkage=st.sampled_from(LINKAGES),
)
def test_every_instrument_gets_exactly_one_label_and_the_requested_number_of_clusters(
    seed: int, n_instruments: int, data: st.DataObject, linkage: str
) -> None:
    n_clusters = data.draw(st.integers(1, n_instruments))
    returns = np.random.default_rng(seed).standard_normal((30, n_instruments))
    ids = [f"X{i}" for i in range(n_instruments)]

    result = cluster_by_correlation(returns, ids, linkage=linkage, n_clusters=n_clusters)

    assert result.instrument_ids == tuple(ids)
    assert len(result.labels) == n_instruments
    assert sorted(set(result.labels)) == list(range(n_clusters))
    assert sum(len(members) for members in result.clusters().values()) == n_instruments


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), n_instruments=st.integers(3, 8), data=st.data())
def test_the_partition_does_not_depend_on_the_order_of_the_instruments(
    seed: int, n_instruments: int, data: st.DataObject
) -> None:
    n_clusters = data.draw(st.integers(1, n_instruments))
    order = data.draw(st.permutations(range(n_instruments)))
    returns = np.random.default_rng(seed).standard_normal((40, n_instruments))
    ids = [f"X{i}" for i in range(n_instruments)]

    original = cluster_by_correlation(returns, ids, n_clusters=n_clusters)
    shuffled = cluster_by_correlation(
        returns[:, list(order)], [ids[i] for i in order], n_clusters=n_clusters
    )

    assert {frozenset(m) for m in original.clusters().values()} == {
        frozenset(m) for m in shuffled.clusters().values()
    }


# --- bad input -----------------------------------------------------------------------------


def test_nan_in_returns_is_rejected_naming_row_column_and_instrument() -> None:
    returns, ids = two_factor_returns(seed=1)
    returns[17, 5] = np.nan

    with pytest.raises(NonFiniteValueError, match=r"row 17, column 5 \(instrument 'B1'\)"):
        cluster_by_correlation(returns, ids, n_clusters=2)


def test_infinite_return_is_rejected_naming_its_position() -> None:
    returns, ids = two_factor_returns(seed=1)
    returns[3, 0] = np.inf

    with pytest.raises(NonFiniteValueError, match="row 3, column 0"):
        correlation_matrix(returns, ids)


def test_a_single_instrument_cannot_be_clustered() -> None:
    with pytest.raises(TooFewInstrumentsError, match="at least 2 instruments"):
        cluster_by_correlation(np.ones((10, 1)).cumsum(axis=0), ["solo"], n_clusters=1)


def test_instrument_ids_must_match_the_number_of_columns() -> None:
    returns, ids = two_factor_returns(seed=1)

    with pytest.raises(InstrumentIdError, match="6 instrument id"):
        cluster_by_correlation(returns, ids[:-1], n_clusters=2)


def test_duplicate_instrument_ids_are_rejected() -> None:
    returns, ids = two_factor_returns(seed=1)
    ids[4] = "A0"

    with pytest.raises(InstrumentIdError, match="'A0' appears twice"):
        cluster_by_correlation(returns, ids, n_clusters=2)


def test_a_single_string_is_not_accepted_as_the_id_list() -> None:
    returns, _ = two_factor_returns(seed=1, block_sizes=(1, 1))

    with pytest.raises(InstrumentIdError, match="not one string"):
        correlation_matrix(returns, "AB")


def test_a_constant_series_is_rejected_naming_the_instrument() -> None:
    returns, ids = two_factor_returns(seed=1)
    returns[:, 2] = 0.001

    with pytest.raises(ConstantSeriesError, match="column 2 \\(instrument 'A2'\\) is constant"):
        cluster_by_correlation(returns, ids, n_clusters=2)


def test_fewer_than_three_observations_are_rejected() -> None:
    returns, ids = two_factor_returns(seed=1, observations=2)

    with pytest.raises(TooFewObservationsError, match="2 observation"):
        correlation_distance_matrix(returns, ids)


@pytest.mark.parametrize("bad_count", [0, -1, 8, 2.0, True])
def test_an_invalid_number_of_clusters_is_rejected(bad_count: object) -> None:
    returns, ids = two_factor_returns(seed=1)

    with pytest.raises((InvalidClusterCountError, InvalidParameterError), match="n_clusters"):
        cluster_by_correlation(returns, ids, n_clusters=bad_count)  # type: ignore[arg-type]


def test_exactly_one_way_of_cutting_the_tree_must_be_given() -> None:
    returns, ids = two_factor_returns(seed=1)

    with pytest.raises(InvalidParameterError, match="exactly one"):
        cluster_by_correlation(returns, ids)
    with pytest.raises(InvalidParameterError, match="exactly one"):
        cluster_by_correlation(returns, ids, n_clusters=2, distance_threshold=0.5)


@pytest.mark.parametrize("threshold", [-0.1, float("nan"), float("inf")])
def test_a_negative_or_non_finite_distance_threshold_is_rejected(threshold: float) -> None:
    returns, ids = two_factor_returns(seed=1)

    with pytest.raises(InvalidParameterError, match="distance_threshold"):
        cluster_by_correlation(returns, ids, distance_threshold=threshold)


def test_an_unknown_linkage_is_rejected() -> None:
    returns, ids = two_factor_returns(seed=1)

    with pytest.raises(InvalidParameterError, match="linkage must be one of"):
        cluster_by_correlation(returns, ids, linkage="centroid", n_clusters=2)  # type: ignore[arg-type]


def test_returns_must_be_a_two_dimensional_matrix() -> None:
    with pytest.raises(InputShapeError, match="2-D"):
        cluster_by_correlation(np.arange(10.0), ["a"], n_clusters=1)
