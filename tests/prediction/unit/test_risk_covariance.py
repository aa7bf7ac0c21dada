"""Covariance estimators and positive semi-definite repair."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.covariance import LedoitWolf

from bounded_contexts.prediction.domain.risk import (
    DimensionMismatchError,
    InvalidCovarianceError,
    InvalidParameterError,
    NonFiniteInputError,
    NotPositiveSemiDefiniteError,
    ensure_positive_semidefinite,
    ewma_covariance,
    ledoit_wolf_covariance,
    nearest_correlation,
    sample_covariance,
)

RETURNS = np.random.default_rng(17).normal(0.0005, 0.01, size=(120, 6))
NOT_PSD = np.array([[1.0, 0.9, 0.7], [0.9, 1.0, -0.9], [0.7, -0.9, 1.0]])


def test_sample_covariance_matches_numpy_with_ddof_one_and_zero() -> None:
    np.testing.assert_allclose(sample_covariance(RETURNS), np.cov(RETURNS, rowvar=False))
    np.testing.assert_allclose(
        sample_covariance(RETURNS, ddof=0), np.cov(RETURNS, rowvar=False, ddof=0)
    )


def test_ewma_covariance_follows_the_riskmetrics_recursion_with_normalised_weights() -> None:
    decay = 0.94
    recursion = np.zeros((6, 6))
    for row in RETURNS:
        recursion = decay * recursion + (1 - decay) * np.outer(row, row)
    normalised = recursion / (1 - decay ** RETURNS.shape[0])
    np.testing.assert_allclose(ewma_covariance(RETURNS), normalised, rtol=1e-12)


def test_ewma_weights_the_latest_observation_most() -> None:
    calm = np.full((50, 1), 0.001)
    shocked = calm.copy()
    shocked[-1, 0] = 0.05
    early_shock = calm.copy()
    early_shock[0, 0] = 0.05
    assert ewma_covariance(shocked)[0, 0] > ewma_covariance(early_shock)[0, 0]


def test_ewma_demean_removes_the_weighted_mean() -> None:
    constant = np.full((30, 2), 0.01)
    np.testing.assert_allclose(ewma_covariance(constant, demean=True), 0.0, atol=1e-20)
    assert ewma_covariance(constant)[0, 0] == pytest.approx(1e-4)


@pytest.mark.parametrize("shape", [(120, 6), (20, 40), (300, 3)])
def test_ledoit_wolf_matches_scikit_learn(shape: tuple[int, int]) -> None:
    returns = np.random.default_rng(sum(shape)).normal(0, 0.02, size=shape)
    ours = ledoit_wolf_covariance(returns)
    reference = LedoitWolf().fit(returns)
    np.testing.assert_allclose(ours.covariance, reference.covariance_, rtol=1e-10, atol=1e-18)
    assert ours.shrinkage == pytest.approx(reference.shrinkage_, rel=1e-10)


def test_ledoit_wolf_shrinks_more_when_observations_are_scarce() -> None:
    # A true covariance far from the identity target (strong common factor, unequal scales).
    rng = np.random.default_rng(3)
    loading = np.linspace(0.5, 3.0, 30)

    def draw(n: int) -> np.ndarray:
        return rng.normal(size=(n, 1)) * loading + rng.normal(size=(n, 30)) * 0.5

    scarce = ledoit_wolf_covariance(draw(15))
    plenty = ledoit_wolf_covariance(draw(3000))
    assert scarce.shrinkage > plenty.shrinkage


def test_higham_nearest_correlation_reproduces_the_published_example() -> None:
    # Higham (2002), section 4: nearest correlation to [[1,1,0],[1,1,1],[0,1,1]].
    nearest = nearest_correlation(np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 1.0]]))
    expected = np.array([[1.0, 0.7607, 0.1573], [0.7607, 1.0, 0.7607], [0.1573, 0.7607, 1.0]])
    np.testing.assert_allclose(nearest, expected, atol=1e-4)


def test_nearest_repair_keeps_variances_and_returns_a_psd_matrix() -> None:
    stdev = np.array([0.01, 0.02, 0.03])
    covariance = NOT_PSD * np.outer(stdev, stdev)
    repaired = ensure_positive_semidefinite(covariance, repair="nearest")
    np.testing.assert_allclose(np.diag(repaired), stdev**2, rtol=1e-12)
    assert np.linalg.eigvalsh(repaired).min() >= -1e-12 * np.abs(repaired).max()
    np.testing.assert_allclose(repaired, repaired.T)


def test_nearest_repair_leaves_a_psd_covariance_untouched() -> None:
    covariance = sample_covariance(RETURNS)
    np.testing.assert_array_equal(ensure_positive_semidefinite(covariance, "nearest"), covariance)


def test_nearest_repair_zeroes_the_covariances_of_a_zero_variance_instrument() -> None:
    covariance = np.array([[1e-4, 2e-4, 0.0], [2e-4, 1e-4, 1e-5], [0.0, 1e-5, 0.0]])
    repaired = ensure_positive_semidefinite(covariance, "nearest")
    np.testing.assert_array_equal(repaired[2], 0.0)
    assert np.linalg.eigvalsh(repaired).min() >= -1e-16


def test_refuse_names_the_most_negative_eigenvalue() -> None:
    with pytest.raises(
        NotPositiveSemiDefiniteError, match=r"most negative eigenvalue is -0\.67"
    ) as e:
        ensure_positive_semidefinite(NOT_PSD, repair="refuse")
    assert e.value.min_eigenvalue == pytest.approx(-0.670037876, rel=1e-8)


def test_rounding_level_negative_eigenvalues_are_not_treated_as_violations() -> None:
    factor = np.random.default_rng(1).normal(size=(5, 2))
    low_rank = factor @ factor.T  # rank 2: three eigenvalues are zero up to rounding
    np.testing.assert_array_equal(
        ensure_positive_semidefinite(low_rank), (low_rank + low_rank.T) / 2
    )


def test_an_asymmetric_matrix_is_rejected_naming_the_entries() -> None:
    matrix = np.eye(3)
    matrix[0, 2] = 0.5
    with pytest.raises(InvalidCovarianceError, match=r"\[0, 2\]"):
        ensure_positive_semidefinite(matrix, "nearest")


def test_a_negative_variance_cannot_be_repaired() -> None:
    with pytest.raises(InvalidCovarianceError, match="negative variance"):
        ensure_positive_semidefinite(np.diag([1.0, -1.0]), "nearest")


def test_a_non_square_covariance_is_rejected() -> None:
    with pytest.raises(InvalidCovarianceError, match="square"):
        ensure_positive_semidefinite(np.zeros((2, 3)))


def test_a_non_finite_covariance_names_the_entry() -> None:
    matrix = np.eye(2)
    matrix[1, 0] = np.inf
    with pytest.raises(NonFiniteInputError, match=r"\[1, 0\]"):
        ensure_positive_semidefinite(matrix)


def test_an_unknown_repair_mode_is_rejected() -> None:
    with pytest.raises(InvalidParameterError, match="repair"):
        ensure_positive_semidefinite(np.eye(2), repair="clip")  # type: ignore[arg-type]


@pytest.mark.parametrize("decay", [0.0, 1.0, 1.2, float("nan"), True])
def test_an_ewma_decay_outside_the_unit_interval_is_rejected(decay: object) -> None:
    with pytest.raises(InvalidParameterError, match="decay"):
        ewma_covariance(RETURNS, decay=decay)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "estimator", [sample_covariance, ewma_covariance, lambda r: ledoit_wolf_covariance(r)]
)
def test_estimators_reject_non_finite_returns_and_a_single_observation(estimator) -> None:
    bad = RETURNS.copy()
    bad[5, 3] = np.nan
    with pytest.raises(NonFiniteInputError, match=r"\[5, 3\]"):
        estimator(bad)
    with pytest.raises(InvalidParameterError, match="at least 2 observations"):
        estimator(RETURNS[:1])
    with pytest.raises(DimensionMismatchError, match="2-D"):
        estimator(RETURNS[:, 0])


def test_sample_covariance_rejects_an_unknown_ddof() -> None:
    with pytest.raises(InvalidParameterError, match="ddof"):
        sample_covariance(RETURNS, ddof=2)


def test_nearest_correlation_rejects_non_square_non_finite_and_bad_settings() -> None:
    with pytest.raises(InvalidCovarianceError, match="square"):
        nearest_correlation(np.ones((2, 3)))
    with pytest.raises(NonFiniteInputError):
        nearest_correlation(np.array([[1.0, np.nan], [np.nan, 1.0]]))
    with pytest.raises(InvalidParameterError, match="max_iterations"):
        nearest_correlation(np.eye(2), max_iterations=0)
    with pytest.raises(InvalidParameterError, match="tolerance"):
        nearest_correlation(np.eye(2), tolerance=-1.0)


def test_nearest_correlation_stopped_after_one_iteration_is_still_a_correlation_matrix() -> None:
    result = nearest_correlation(NOT_PSD, max_iterations=1)
    np.testing.assert_allclose(np.diag(result), 1.0)
    assert np.linalg.eigvalsh(result).min() >= -1e-12
