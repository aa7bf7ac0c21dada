"""Degenerate windows — a flat side, variances in the denormal range, variances whose product
underflows — give the same well-defined answer in the batch and the streaming form.

Regression for a flaky property test: ``rolling_beta`` returned 7.3e124 (and 1e-5 elsewhere)
instead of 0 when the asset was flat and the benchmark's variance was denormal or merely small,
because the co-moment's rounding residue was divided by it.
"""

from __future__ import annotations

import numpy as np
import pytest

from bounded_contexts.intelligence.domain.indicators import batch, streaming


def _streamed(indicator: streaming.StreamingIndicator, asset: np.ndarray, bench: np.ndarray):
    values = [indicator.update(float(a), float(b)) for a, b in zip(asset, bench, strict=True)]
    return np.array([np.nan if v is None else v for v in values])


@pytest.mark.parametrize("first_benchmark_return", [1e-12, 1e-150, 1e-155, 3e-158, 1e-160])
def test_beta_and_correlation_of_a_flat_asset_are_exactly_zero_in_both_forms(
    first_benchmark_return: float,
) -> None:
    asset = np.full(8, 0.0390625)
    benchmark = np.zeros(8)
    benchmark[0] = first_benchmark_return
    for line in (
        batch.rolling_beta(asset, benchmark, 3),
        batch.rolling_beta(1.5 * asset, benchmark, 3),
        _streamed(streaming.RollingBeta(3), asset, benchmark),
        batch.rolling_correlation(asset, benchmark, 3),
        _streamed(streaming.RollingCorrelation(3), asset, benchmark),
    ):
        np.testing.assert_array_equal(line[2:], 0.0)


def test_a_benchmark_whose_variance_is_denormal_counts_as_flat_in_both_forms() -> None:
    # 1e-160 squared is 1e-320, a denormal with ~11 significant bits: the old code reported a
    # beta of 1.45e158 and a correlation of 0.436 where the exact correlation is 0.5.
    asset = np.array([0.0390625, 0.0390625, 0.01, 0.03, 0.02, 0.01])
    benchmark = np.array([1e-160, 0.0, 0.0, 0.0, 0.0, 0.0])
    for line in (
        batch.rolling_beta(asset, benchmark, 3),
        _streamed(streaming.RollingBeta(3), asset, benchmark),
        batch.rolling_correlation(asset, benchmark, 3),
        _streamed(streaming.RollingCorrelation(3), asset, benchmark),
        batch.rolling_zscore(benchmark, 3),
    ):
        np.testing.assert_array_equal(line[2:], 0.0)


def test_small_but_normal_variances_keep_their_exact_correlation_and_beta() -> None:
    # Both windows' centred sums are ~1e-200: their product underflows to 0, their roots do not.
    x = np.random.default_rng(5).normal(size=40) * 1e-100
    for correlation in (
        batch.rolling_correlation(2.0 * x, x, 10),
        _streamed(streaming.RollingCorrelation(10), 2.0 * x, x),
    ):
        np.testing.assert_allclose(correlation[9:], 1.0, rtol=1e-12)
    for beta in (
        batch.rolling_beta(2.0 * x, x, 10),
        _streamed(streaming.RollingBeta(10), 2.0 * x, x),
    ):
        np.testing.assert_allclose(beta[9:], 2.0, rtol=1e-12)
