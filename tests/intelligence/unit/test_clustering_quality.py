"""Silhouette quality figures, overall and per cluster."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import silhouette_score

from bounded_contexts.intelligence.domain.clustering import (
    NOISE_LABEL,
    InputShapeError,
    InvalidParameterError,
    NonFiniteValueError,
    SilhouetteUndefinedError,
    silhouette_from_distances,
    silhouette_from_features,
)

POINTS = np.array([[0.0], [1.0], [10.0], [11.0]])
LABELS = [0, 0, 1, 1]


def line_distances(points: np.ndarray) -> np.ndarray:
    return np.abs(points - points.T)


def test_silhouette_of_two_pairs_on_a_line_matches_the_hand_computation() -> None:
    # Point 0: a = 1 (to point 1), b = (10 + 11) / 2 = 10.5 -> s = 9.5 / 10.5.
    # Point 1: a = 1, b = (9 + 10) / 2 = 9.5 -> s = 8.5 / 9.5. The other pair mirrors these.
    expected_by_point = [9.5 / 10.5, 8.5 / 9.5, 8.5 / 9.5, 9.5 / 10.5]

    quality = silhouette_from_features(POINTS, LABELS)

    assert quality.silhouette == pytest.approx(np.mean(expected_by_point), abs=1e-12)
    assert quality.silhouette_by_cluster[0] == pytest.approx(np.mean(expected_by_point[:2]))
    assert quality.silhouette_by_cluster[1] == pytest.approx(np.mean(expected_by_point[2:]))
    assert quality.scored_points == 4


def test_precomputed_distances_and_features_agree_for_euclidean_distance() -> None:
    from_features = silhouette_from_features(POINTS, LABELS)
    from_distances = silhouette_from_distances(line_distances(POINTS), LABELS)

    assert from_distances == from_features


def test_silhouette_matches_scikit_learn_on_random_data() -> None:
    rng = np.random.default_rng(0)
    points = rng.standard_normal((40, 3))
    labels = rng.integers(0, 4, size=40)

    quality = silhouette_from_features(points, labels)

    assert quality.silhouette == pytest.approx(silhouette_score(points, labels), abs=1e-12)


def test_a_point_alone_in_its_cluster_scores_zero() -> None:
    points = np.array([[0.0], [1.0], [50.0]])

    quality = silhouette_from_features(points, [0, 0, 1])

    assert quality.silhouette_by_cluster[1] == 0.0


def test_noise_points_are_left_out_of_the_score() -> None:
    with_noise = np.vstack([POINTS, [[5.0]]])

    quality = silhouette_from_features(with_noise, [*LABELS, NOISE_LABEL])

    assert quality == silhouette_from_features(POINTS, LABELS)


def test_silhouette_is_undefined_for_a_single_cluster() -> None:
    with pytest.raises(SilhouetteUndefinedError, match="1 cluster"):
        silhouette_from_features(POINTS, [0, 0, 0, 0])


def test_silhouette_is_undefined_when_every_point_is_its_own_cluster() -> None:
    with pytest.raises(SilhouetteUndefinedError, match="4 clusters over 4"):
        silhouette_from_distances(line_distances(POINTS), [0, 1, 2, 3])


def test_silhouette_is_undefined_when_noise_leaves_only_one_cluster() -> None:
    with pytest.raises(SilhouetteUndefinedError, match="1 cluster"):
        silhouette_from_features(POINTS, [0, 0, NOISE_LABEL, NOISE_LABEL])


def test_distance_matrix_must_be_square() -> None:
    with pytest.raises(InputShapeError, match="square"):
        silhouette_from_distances(np.zeros((3, 4)), [0, 0, 1])


def test_distance_matrix_must_have_a_zero_diagonal() -> None:
    distances = line_distances(POINTS) + np.eye(4)

    with pytest.raises(InvalidParameterError, match="diagonal"):
        silhouette_from_distances(distances, LABELS)


def test_distance_matrix_must_be_non_negative() -> None:
    distances = line_distances(POINTS)
    distances[0, 2] = -1.0

    with pytest.raises(InvalidParameterError, match="negative entry at row 0, column 2"):
        silhouette_from_distances(distances, LABELS)


def test_distance_matrix_must_be_symmetric() -> None:
    distances = line_distances(POINTS)
    distances[0, 2] += 1.0

    with pytest.raises(InvalidParameterError, match="symmetric"):
        silhouette_from_distances(distances, LABELS)


def test_non_finite_distance_is_rejected_naming_its_position() -> None:
    distances = line_distances(POINTS)
    distances[1, 3] = np.inf

    with pytest.raises(NonFiniteValueError, match="row 1, column 3"):
        silhouette_from_distances(distances, LABELS)


def test_labels_must_line_up_with_the_points() -> None:
    with pytest.raises(InputShapeError, match="3 entries for 4"):
        silhouette_from_features(POINTS, [0, 0, 1])


def test_labels_below_the_noise_label_are_rejected() -> None:
    with pytest.raises(InvalidParameterError, match=r"labels\[1\] = -2"):
        silhouette_from_features(POINTS, [0, -2, 1, 1])


def test_non_integer_labels_are_rejected() -> None:
    with pytest.raises(InvalidParameterError, match="integers"):
        silhouette_from_features(POINTS, [0.0, 0.0, 1.0, 1.0])
