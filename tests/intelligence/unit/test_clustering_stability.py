"""Stable cluster labels across recomputation (Hungarian matching on the contingency table)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bounded_contexts.intelligence.domain.clustering import (
    NOISE_LABEL,
    InputShapeError,
    InvalidParameterError,
    StableLabelling,
    canonical_labels,
    cluster_by_correlation,
    stabilise_labels,
    stabilise_result,
)

IDS = ["a1", "a2", "a3", "a4", "a5", "b1", "b2", "b3", "b4", "b5"]


def test_a_first_labelling_numbers_clusters_by_first_appearance() -> None:
    labelling = stabilise_labels(IDS, [7, 7, 3, 3, 3, 9, 9, 9, 7, 3])

    assert labelling.labels == (0, 0, 1, 1, 1, 2, 2, 2, 0, 1)
    assert labelling.next_fresh_label == 3


def test_recomputing_with_swapped_algorithm_numbers_keeps_the_old_labels() -> None:
    previous = stabilise_labels(IDS, [0] * 5 + [1] * 5)

    recomputed = stabilise_labels(IDS, [1] * 5 + [0] * 5, previous)

    assert recomputed.labels == previous.labels
    assert recomputed.next_fresh_label == previous.next_fresh_label


def test_a_moved_instrument_takes_its_new_clusters_label_and_both_clusters_keep_theirs() -> None:
    # Labels 5 (the a-cluster) and 2 (the b-cluster) survive from earlier recomputations.
    previous = StableLabelling(IDS, (5,) * 5 + (2,) * 5, next_fresh_label=6)

    # a5 moves to the b cluster; the algorithm numbers the clusters arbitrarily (4 and 8).
    recomputed = stabilise_labels(IDS, [8, 8, 8, 8, 4, 4, 4, 4, 4, 4], previous)

    assert recomputed.assignments["a1"] == 5
    assert recomputed.assignments["a5"] == 2
    assert recomputed.assignments["b1"] == 2
    assert recomputed.next_fresh_label == 6


def test_a_genuinely_new_cluster_gets_a_label_never_used_before() -> None:
    first = stabilise_labels(IDS, [0] * 5 + [1] * 5)
    # b4 and b5 break away into their own cluster.
    second = stabilise_labels(IDS, [0] * 5 + [1] * 3 + [2] * 2, first)

    assert second.labels == (0,) * 5 + (1,) * 3 + (2,) * 2
    assert second.next_fresh_label == 3


def test_retired_labels_are_never_handed_out_again() -> None:
    first = stabilise_labels(IDS, [0] * 5 + [1] * 5)
    merged = stabilise_labels(IDS, [0] * 10, first)
    split_again = stabilise_labels(IDS, [0] * 5 + [1] * 5, merged)

    # Merging two equal halves keeps neither label: each half is only 50% of the union.
    assert set(merged.labels) == {2}
    # Splitting in half keeps neither either; labels 0, 1 and 2 are retired for good.
    assert set(split_again.labels) == {3, 4}
    assert split_again.next_fresh_label == 5


def test_instruments_joining_and_leaving_the_universe_do_not_break_the_match() -> None:
    previous = stabilise_labels(IDS, [0] * 5 + [1] * 5)
    today = [*IDS[1:], "c1"]  # a1 delisted, c1 listed and joins the b cluster

    recomputed = stabilise_labels(today, [3] * 4 + [6] * 6, previous)

    assert recomputed.assignments["a2"] == 0
    assert recomputed.assignments["c1"] == 1
    assert "a1" not in recomputed.assignments


def test_noise_stays_noise_and_takes_no_part_in_the_matching() -> None:
    previous = stabilise_labels(IDS, [0] * 5 + [1] * 4 + [NOISE_LABEL])

    recomputed = stabilise_labels(IDS, [NOISE_LABEL] + [2] * 4 + [5] * 5, previous)

    assert recomputed.labels == (NOISE_LABEL,) + (0,) * 4 + (1,) * 5
    assert recomputed.next_fresh_label == 2


def test_a_zero_threshold_keeps_any_overlapping_match() -> None:
    previous = stabilise_labels(IDS, [0] * 5 + [1] * 5)

    strict = stabilise_labels(IDS, [0] * 10, previous)
    lenient = stabilise_labels(IDS, [0] * 10, previous, jaccard_threshold=0.0)

    assert set(strict.labels) == {2}
    assert set(lenient.labels) == {0}


def test_stabilising_a_result_rekeys_its_per_cluster_silhouettes() -> None:
    rng = np.random.default_rng(8)
    factors = rng.standard_normal((200, 2))
    returns = np.repeat(factors, 5, axis=1) + 0.3 * rng.standard_normal((200, 10))
    result = cluster_by_correlation(returns, IDS, n_clusters=2)
    previous = StableLabelling(IDS, (4,) * 5 + (9,) * 5, 10)

    stable_result, labelling = stabilise_result(result, previous)

    assert stable_result.labels == (4,) * 5 + (9,) * 5 == labelling.labels
    assert result.quality is not None and stable_result.quality is not None
    assert stable_result.quality.silhouette_by_cluster == {
        4: result.quality.silhouette_by_cluster[0],
        9: result.quality.silhouette_by_cluster[1],
    }


partitions = st.integers(2, 12).flatmap(
    lambda n: st.lists(st.integers(NOISE_LABEL, 4), min_size=n, max_size=n)
)


@settings(max_examples=60, deadline=None)
@given(raw=partitions, data=st.data())
def test_permuting_the_algorithms_raw_labels_does_not_change_the_stable_labels(
    raw: list[int], data: st.DataObject
) -> None:
    ids = [f"X{i}" for i in range(len(raw))]
    previous_raw = data.draw(st.lists(st.integers(0, 3), min_size=len(raw), max_size=len(raw)))
    previous = stabilise_labels(ids, previous_raw)
    values = sorted({label for label in raw if label != NOISE_LABEL})
    images = data.draw(
        st.lists(st.integers(0, 1000), min_size=len(values), max_size=len(values), unique=True)
    )
    renamed = dict(zip(values, images, strict=True))
    relabelled_raw = [NOISE_LABEL if label == NOISE_LABEL else renamed[label] for label in raw]

    assert canonical_labels(relabelled_raw).tolist() == canonical_labels(raw).tolist()
    assert stabilise_labels(ids, relabelled_raw, previous) == stabilise_labels(ids, raw, previous)


@settings(max_examples=60, deadline=None)
@given(raw=partitions, data=st.data())
def test_stable_labels_describe_the_same_partition_with_one_label_per_instrument(
    raw: list[int], data: st.DataObject
) -> None:
    ids = [f"X{i}" for i in range(len(raw))]
    previous_raw = data.draw(st.lists(st.integers(0, 3), min_size=len(raw), max_size=len(raw)))
    previous = stabilise_labels(ids, previous_raw)

    stable = stabilise_labels(ids, raw, previous)

    assert len(stable.labels) == len(ids)
    assert canonical_labels(stable.labels).tolist() == canonical_labels(raw).tolist()
    new_labels = {label for label in stable.labels if label != NOISE_LABEL}
    old_labels = set(previous.labels)
    fresh = new_labels - old_labels
    assert all(label >= previous.next_fresh_label for label in fresh)
    assert stable.next_fresh_label == previous.next_fresh_label + len(fresh)


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize("threshold", [-0.1, 1.0, float("nan"), "half"])
def test_jaccard_threshold_must_lie_in_zero_to_one(threshold: object) -> None:
    with pytest.raises(InvalidParameterError, match="jaccard_threshold"):
        stabilise_labels(IDS, [0] * 10, jaccard_threshold=threshold)  # type: ignore[arg-type]


def test_previous_labelling_must_be_a_stable_labelling() -> None:
    with pytest.raises(InvalidParameterError, match="StableLabelling"):
        stabilise_labels(IDS, [0] * 10, {"a1": 0})  # type: ignore[arg-type]


def test_raw_labels_must_line_up_with_the_instruments() -> None:
    with pytest.raises(InputShapeError, match="9 entries for 10"):
        stabilise_labels(IDS, [0] * 9)


def test_a_stable_labelling_rejects_labels_at_or_above_its_fresh_counter() -> None:
    with pytest.raises(InvalidParameterError, match="next_fresh_label=1"):
        StableLabelling(("a", "b"), (0, 1), 1)


def test_a_stable_labelling_rejects_mismatched_ids_and_labels() -> None:
    with pytest.raises(InputShapeError, match="2 instrument id"):
        StableLabelling(("a", "b"), (0,), 1)
