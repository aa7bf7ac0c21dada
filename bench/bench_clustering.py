"""Benchmark: instrument clustering and regime classification against plain library calls.

Run: .venv/bin/python bench/bench_clustering.py

Each line prints the project's time beside a reference doing the same numerical work with the
underlying libraries directly (no validation, no result objects), and the ratio.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import squareform
from sklearn.metrics import silhouette_score
from sklearn.metrics.cluster import contingency_matrix
from sklearn.mixture import GaussianMixture

from bounded_contexts.intelligence.domain.clustering import (
    cluster_by_correlation,
    fit_regimes,
    regime_features,
    regime_probabilities,
    stabilise_labels,
)


def best_of(repeats: int, work: Callable[[], object]) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return min(timings)


def report(name: str, ours: float, reference: float, reference_name: str) -> None:
    print(
        f"{name:<44} ours {ours * 1e3:9.2f} ms | {reference_name} {reference * 1e3:9.2f} ms"
        f" | ratio {ours / reference:5.2f}x"
    )


def bench_correlation_clustering() -> None:
    rng = np.random.default_rng(0)
    observations, instruments, sectors = 1000, 500, 10
    factors = rng.standard_normal((observations, sectors))
    sector_of = rng.integers(0, sectors, size=instruments)
    returns = factors[:, sector_of] + rng.standard_normal((observations, instruments))
    ids = [f"I{i}" for i in range(instruments)]

    def ours() -> object:
        return cluster_by_correlation(returns, ids, linkage="average", n_clusters=sectors)

    def reference() -> object:
        distance = np.sqrt(np.clip(0.5 * (1.0 - np.corrcoef(returns, rowvar=False)), 0.0, 1.0))
        np.fill_diagonal(distance, 0.0)
        labels = fcluster(
            linkage(squareform(distance, checks=False), "average"), sectors, "maxclust"
        )
        return silhouette_score(distance, labels, metric="precomputed")

    report(
        f"correlation clustering {observations}x{instruments}, k={sectors}",
        best_of(5, ours),
        best_of(5, reference),
        "corrcoef+linkage+silhouette",
    )


def bench_stable_labels() -> None:
    rng = np.random.default_rng(1)
    instruments, clusters = 5000, 50
    ids = [f"I{i}" for i in range(instruments)]
    before = rng.integers(0, clusters, size=instruments)
    after = before.copy()
    moved = rng.choice(instruments, size=instruments // 20, replace=False)
    after[moved] = rng.integers(0, clusters, size=moved.size)
    permuted_after = rng.permutation(clusters)[after]
    previous = stabilise_labels(ids, before)

    def ours() -> object:
        return stabilise_labels(ids, permuted_after, previous)

    def reference() -> object:
        table = contingency_matrix(permuted_after, before)
        return linear_sum_assignment(table, maximize=True)

    report(
        f"stable labels {instruments} instruments, {clusters} clusters",
        best_of(5, ours),
        best_of(5, reference),
        "contingency+Hungarian",
    )


def bench_regime_posteriors() -> None:
    rng = np.random.default_rng(2)
    truth = np.repeat(np.arange(200) % 2, 500)
    returns = rng.standard_normal(truth.size) * np.where(truth == 1, 0.03, 0.005)
    features = regime_features(returns, window=20).values
    model = fit_regimes(features, seed=0)
    standardised = (features - features.mean(axis=0)) / features.std(axis=0)
    mixture = GaussianMixture(n_components=2, random_state=0).fit(standardised)

    report(
        f"regime posteriors, {features.shape[0]} rows",
        best_of(5, lambda: regime_probabilities(model, features)),
        best_of(5, lambda: mixture.predict_proba(standardised)),
        "GaussianMixture.predict_proba",
    )
    report(
        f"regime fit (3 start schemes), {features.shape[0]} rows",
        best_of(3, lambda: fit_regimes(features, seed=0)),
        best_of(3, lambda: GaussianMixture(2, n_init=5, random_state=0).fit(standardised)),
        "GaussianMixture.fit n_init=5",
    )


def main() -> None:
    print("Instrument clustering and regimes (best of several runs, wall clock)")
    bench_correlation_clustering()
    bench_stable_labels()
    bench_regime_posteriors()


if __name__ == "__main__":
    main()
