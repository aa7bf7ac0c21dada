"""Benchmark: Monte Carlo VaR/ES, 100,000 scenarios x 500 instruments, JAX vs plain NumPy.

Runs ``monte_carlo_var`` (JAX, float64) on a 500-instrument portfolio with 10 clusters at 99 %,
once cold (including XLA compilation) and then warm, in two variants:

* lean: portfolio and cluster VaR/ES plus the per-instrument Euler allocation
  (``standalone_by_instrument=False``) — the figure the < 2 s target refers to;
* full: additionally the standalone VaR/ES of every instrument (forms the 100k x 500 matrix).

Beside it, a plain NumPy implementation of the same computation (same model, same tail
estimator, NumPy's PCG64 generator instead of JAX's threefry) timed in the same run, and the
ratio NumPy / JAX. Run with ``.venv/bin/python bench/bench_var.py``.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

import numpy as np

from bounded_contexts.prediction.domain.risk import monte_carlo_var

SCENARIOS = 100_000
INSTRUMENTS = 500
CLUSTERS = 10
CONFIDENCE = 0.99
WARM_REPEATS = 3


def _portfolio() -> tuple[np.ndarray, np.ndarray, list[str], dict[str, str]]:
    rng = np.random.default_rng(20240601)
    loadings = rng.normal(0.0, 0.01, (INSTRUMENTS, 5))
    covariance = loadings @ loadings.T + np.diag(rng.uniform(1e-5, 4e-4, INSTRUMENTS))
    values = rng.normal(0.0, 1e6, INSTRUMENTS)
    ids = [f"I{k:03d}" for k in range(INSTRUMENTS)]
    clusters = {name: f"C{k % CLUSTERS}" for k, name in enumerate(ids)}
    return values, covariance, ids, clusters


def _numpy_tail(losses: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower-quantile VaR and Acerbi-Tasche ES of each row (same rule as the domain code)."""
    scenarios = losses.shape[1]
    mass = round(scenarios * (1 - confidence), 9)
    whole = int(mass)
    worst = np.partition(losses, scenarios - whole - 1, axis=1)[:, scenarios - whole - 1 :]
    worst = -np.sort(-worst, axis=1)
    var = worst[:, whole]
    es = (worst[:, :whole].sum(axis=1) + (mass - whole) * var) / mass
    return var, es


def numpy_monte_carlo_var(
    values: np.ndarray,
    covariance: np.ndarray,
    membership: np.ndarray,
    seed: int,
    standalone: bool,
) -> tuple[float, float]:
    """The same computation in plain NumPy: shocks, group losses, tails, Euler allocation."""
    factor_t = np.linalg.cholesky(covariance).T
    shocks = np.random.default_rng(seed).standard_normal((SCENARIOS, INSTRUMENTS))
    groups = np.column_stack([membership * values[:, None], values])
    group_losses = -(shocks @ (factor_t @ groups)).T
    var, es = _numpy_tail(group_losses, CONFIDENCE)
    if standalone:
        _numpy_tail(-((shocks @ factor_t) * values).T, CONFIDENCE)
    portfolio = group_losses[-1]
    count = round(SCENARIOS * (1 - CONFIDENCE)) + 1
    tail = np.argpartition(-portfolio, count - 1)[:count]
    tail = tail[np.argsort(-portfolio[tail])]
    tail_returns = shocks[tail] @ factor_t
    weights = np.full(count, 1.0 / (count - 1))
    weights[-1] = 0.0
    _components = (weights @ -tail_returns) * values * var[-1] / es[-1]
    return float(var[-1]), float(es[-1])


def _timed(run: Callable[[int], object], repeats: int) -> tuple[list[float], object]:
    times = []
    result: object = None
    for repeat in range(repeats):
        start = time.perf_counter()
        result = run(repeat)
        times.append(time.perf_counter() - start)
    return times, result


def main() -> None:
    values, covariance, ids, clusters = _portfolio()
    membership = np.zeros((INSTRUMENTS, CLUSTERS))
    for k in range(INSTRUMENTS):
        membership[k, k % CLUSTERS] = 1.0

    def jax_run(standalone: bool) -> Callable[[int], object]:
        return lambda seed: monte_carlo_var(
            values,
            covariance,
            instruments=ids,
            confidence=CONFIDENCE,
            seed=seed,
            scenarios=SCENARIOS,
            clusters=clusters,
            standalone_by_instrument=standalone,
        )

    def numpy_run(standalone: bool) -> Callable[[int], object]:
        return lambda seed: numpy_monte_carlo_var(values, covariance, membership, seed, standalone)

    print(
        f"Monte Carlo VaR/ES {CONFIDENCE:.0%}: {SCENARIOS:,} scenarios x {INSTRUMENTS} "
        f"instruments, {CLUSTERS} clusters, float64"
    )
    cores = os.cpu_count()
    load = os.getloadavg()[0]
    print(
        f"  machine: {cores} cores, 1-min load average {load:.2f} at start (timings scale with it)"
    )
    cold, _ = _timed(jax_run(False), 1)
    print(f"  JAX first call (includes jit compile):      {cold[0]:7.3f} s")
    for label, standalone in (
        ("lean (portfolio+clusters+Euler)", False),
        ("full (+standalone per instr.)", True),
    ):
        jax_times, jax_report = _timed(jax_run(standalone), WARM_REPEATS)
        numpy_times, numpy_result = _timed(numpy_run(standalone), WARM_REPEATS)
        jax_median = statistics.median(jax_times)
        numpy_median = statistics.median(numpy_times)
        print(f"  {label}:")
        print(
            f"    JAX warm   median {jax_median:7.3f} s (min {min(jax_times):.3f})   "
            f"VaR {jax_report.portfolio.value_at_risk:,.0f}"  # type: ignore[attr-defined]
        )
        print(
            f"    NumPy      median {numpy_median:7.3f} s (min {min(numpy_times):.3f})   "
            f"VaR {numpy_result[0]:,.0f}"  # type: ignore[index]
        )
        print(f"    ratio NumPy / JAX: {numpy_median / jax_median:5.2f}x")


if __name__ == "__main__":
    main()
