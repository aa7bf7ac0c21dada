"""Monte Carlo VaR and expected shortfall with correlated normal or multivariate-t shocks (JAX).

Scenario model (same as :mod:`.parametric`, simulated instead of solved):

    r_s = h mu + sqrt(h) L e_s,    Sigma = L L'

* normal: ``e_s ~ N(0, I)``; ``L`` is the Cholesky factor of ``Sigma``. A covariance that is
  positive semi-definite but singular (perfectly correlated instruments, an eigenvalue-clipped
  repair) has no Cholesky factor; ``L = V diag(sqrt(lambda)) `` from its eigen-decomposition is
  used instead — a different square root of the same ``Sigma``, so the same distribution.
* Student-t: ``e_s = z_s * sqrt((nu - 2) / W_s)`` with ``z_s ~ N(0, I)`` and one
  ``W_s ~ chi^2_nu`` per scenario (a normal variance mixture), i.e. a multivariate t with
  ``nu`` degrees of freedom scaled so that ``Cov(e_s) = I`` and hence ``Cov(r_s) = Sigma``.
  One ``W_s`` for all instruments gives the joint tail dependence of the multivariate t.
* Horizon: square-root-of-time (exact for i.i.d. normal returns, an approximation for t).

Randomness: ``jax.random.PRNGKey(seed)``, split into a normal and a chi-square stream, so a seed
reproduces the same scenarios and normal and t runs share their normal draws.

Precision: float64, enabled only around this module's JAX calls with the ``jax.enable_x64``
context manager — the process-wide JAX default (float32) is left alone for other code.

Work split: JAX (jit-compiled, static scenario and instrument counts) draws the shocks and
computes the scenario losses — the O(S N^2) part. Portfolio and cluster losses are
``shocks @ (sqrt(h) L' G)``, an (S x N) by (N x groups) product, so the N x N scenario return
matrix is formed only when the standalone per-instrument breakdown is asked for. The tails are
then selected by NumPy's linear-time ``partition`` (XLA's sort/top-k on CPU is ~10x slower),
and the Euler allocation recomputes instrument returns for the tail scenarios only (see
:mod:`.tail`). Compiled functions depend on the scenario and instrument counts only, so
changing the confidence, horizon, seed, positions or ``nu`` reuses the compiled code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from numpy.typing import ArrayLike

from .covariance import Repair, ensure_positive_semidefinite
from .grouping import group_weights
from .parametric import Distribution, check_distribution
from .report import VaRMethod, VaRReport, assemble_report
from .tail import euler_allocation_from_tail, portfolio_tail, tail_size, var_and_es_of_rows
from .validation import (
    FloatMatrix,
    as_finite_vector,
    check_confidence,
    check_horizon,
    check_instruments,
    check_positive_integer,
    check_seed,
)

DEFAULT_SCENARIOS = 100_000


def covariance_factor(covariance: FloatMatrix) -> FloatMatrix:
    """A matrix ``L`` with ``L L' = covariance``: Cholesky, or the eigen square root if singular."""
    try:
        return np.linalg.cholesky(covariance)
    except np.linalg.LinAlgError:
        eigenvalues, eigenvectors = np.linalg.eigh(covariance)
        return eigenvectors * np.sqrt(np.maximum(eigenvalues, 0.0))


@partial(jax.jit, static_argnames=("scenarios", "instruments", "student_t"))
def _draw_shocks(
    key: jax.Array, nu: jax.Array, *, scenarios: int, instruments: int, student_t: bool
) -> jax.Array:
    """Unit-covariance shocks ``e`` (scenarios x instruments), normal or multivariate t."""
    normal_key, mixing_key = jax.random.split(key)
    shocks = jax.random.normal(normal_key, (scenarios, instruments), dtype=jnp.float64)
    if student_t:
        chi_square = 2.0 * jax.random.gamma(mixing_key, nu / 2.0, (scenarios,), dtype=jnp.float64)
        shocks = shocks * jnp.sqrt((nu - 2.0) / chi_square)[:, None]
    return shocks


@jax.jit
def _group_losses(
    shocks: jax.Array, factor_t: jax.Array, groups: jax.Array, drift: jax.Array
) -> jax.Array:
    """Loss of every group in every scenario, (groups x scenarios): ``-(e L' + drift) G``."""
    return -(shocks @ (factor_t @ groups) + drift @ groups).T


@jax.jit
def _instrument_losses(
    shocks: jax.Array, factor_t: jax.Array, values: jax.Array, drift: jax.Array
) -> jax.Array:
    """Loss of each position alone in every scenario, (instruments x scenarios)."""
    return -((shocks @ factor_t + drift) * values).T


def monte_carlo_var(
    position_values: ArrayLike,
    covariance: ArrayLike,
    *,
    instruments: Sequence[str],
    confidence: float,
    seed: int,
    horizon: int = 1,
    scenarios: int = DEFAULT_SCENARIOS,
    mean_returns: ArrayLike | None = None,
    distribution: Distribution | str = Distribution.NORMAL,
    nu: float | None = None,
    clusters: Mapping[str, str] | None = None,
    repair: Repair = "refuse",
    standalone_by_instrument: bool = True,
) -> VaRReport:
    """Monte Carlo VaR/ES per cluster and portfolio (and per instrument), Euler-allocated.

    ``covariance`` and ``mean_returns`` are daily, as in :func:`.parametric.parametric_var`;
    the empirical tail conventions are those of :mod:`.tail` (as for historical VaR).
    ``standalone_by_instrument=False`` skips the per-instrument standalone VaR/ES, which is the
    only part that needs the full scenarios x instruments return matrix; the report's
    ``by_instrument`` is then empty (the Euler allocation per instrument is still given).
    """
    alpha = check_confidence(confidence)
    days = check_horizon(horizon)
    parsed, degrees = check_distribution(distribution, nu)
    count = check_positive_integer(scenarios, "scenarios")
    key_seed = check_seed(seed)
    ids = check_instruments(instruments)
    values = as_finite_vector(position_values, "position values", len(ids), ids)
    sigma = ensure_positive_semidefinite(covariance, repair, size=len(ids))
    mu = (
        np.zeros(len(ids))
        if mean_returns is None
        else as_finite_vector(mean_returns, "mean returns", len(ids), ids)
    )
    tail_size(count, alpha, f"Monte Carlo VaR with {count} scenario(s)")
    groups = group_weights(ids, values, clusters)
    factor_t = math.sqrt(days) * covariance_factor(sigma).T
    drift = days * mu

    with jax.enable_x64(True):
        shocks = _draw_shocks(
            jax.random.PRNGKey(key_seed),
            jnp.asarray(degrees if degrees is not None else 0.0, dtype=jnp.float64),
            scenarios=count,
            instruments=len(ids),
            student_t=degrees is not None,
        )
        factor_device = jnp.asarray(factor_t, dtype=jnp.float64)
        drift_device = jnp.asarray(drift, dtype=jnp.float64)
        group_losses = np.asarray(
            _group_losses(
                shocks, factor_device, jnp.asarray(groups.matrix, dtype=jnp.float64), drift_device
            )
        )
        instrument_var = instrument_es = None
        if standalone_by_instrument:
            instrument_losses = np.asarray(
                _instrument_losses(
                    shocks, factor_device, jnp.asarray(values, dtype=jnp.float64), drift_device
                )
            )
            instrument_var, instrument_es = var_and_es_of_rows(instrument_losses, alpha)
            del instrument_losses
        group_var, group_es = var_and_es_of_rows(group_losses, alpha)
        tail = portfolio_tail(group_losses[groups.portfolio_column], alpha)
        # The tail holds ~S(1 - alpha) rows: gather them in NumPy (a zero-copy view of the JAX
        # buffer on CPU) so that each tail size does not trigger a fresh XLA compilation.
        tail_returns = np.asarray(shocks)[tail.indices] @ factor_t + drift
    allocation = euler_allocation_from_tail(tail_returns, tail, values)
    method = (
        VaRMethod.MONTE_CARLO_NORMAL
        if parsed is Distribution.NORMAL
        else VaRMethod.MONTE_CARLO_STUDENT_T
    )
    return assemble_report(
        method=method,
        confidence=alpha,
        horizon=days,
        instruments=ids,
        groups=groups,
        group_var=group_var,
        group_es=group_es,
        instrument_var=instrument_var,
        instrument_es=instrument_es,
        allocation=allocation,
    )
