"""Empirical VaR / expected shortfall of loss scenarios, and their Euler allocation.

Conventions (shared by historical and Monte Carlo VaR so the two agree on the same sample):

* Losses are positive numbers: loss = -P&L.
* VaR at confidence alpha is the lower empirical alpha-quantile of the loss,
  ``VaR = inf{l : F_n(l) >= alpha}`` = the ``ceil(n * alpha)``-th smallest loss, i.e. the
  ``floor(n * (1 - alpha)) + 1``-th largest (Hyndman & Fan type 1, no interpolation). With 100
  scenarios at 95 % that is the 6th worst loss: exactly 5 % of scenarios lose more.
* Expected shortfall is the Acerbi & Tasche (2002) estimator
  ``ES = (1 / m) * (sum of the floor(m) worst losses + (m - floor(m)) * VaR)`` with
  ``m = n * (1 - alpha)``: the integral of the empirical quantile over (alpha, 1]. It is coherent,
  ``ES >= VaR`` always, and with ``m`` integral it is the plain mean of the ``m`` worst losses.
* At least one whole scenario must lie in the tail: ``n * (1 - alpha) >= 1``, else the VaR
  would be the sample maximum and ES would have nothing to average.

``n * alpha`` is computed in floating point (0.99 * 300 = 296.99999999999997); values within
1e-9 of an integer are snapped to it so that the order statistic picked is the intended one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import InsufficientObservationsError
from .validation import FloatMatrix, FloatVector

_SNAP_TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True)
class TailSize:
    """How many scenarios the tail holds: ``mass = n (1 - alpha)`` = ``whole + fraction``."""

    scenarios: int
    mass: float
    whole: int
    fraction: float

    @property
    def var_rank(self) -> int:
        """1-based rank, from the worst, of the scenario whose loss is the VaR."""
        return self.whole + 1


def minimum_scenarios(confidence: float) -> int:
    """Smallest ``n`` with ``n (1 - alpha) >= 1``: one whole scenario in the tail."""
    return math.ceil(1.0 / (1.0 - confidence) - _SNAP_TOLERANCE)


def tail_size(scenarios: int, confidence: float, what: str = "loss scenarios") -> TailSize:
    """Split ``n * (1 - alpha)`` into whole and fractional scenarios, or refuse a too-thin tail."""
    mass = scenarios * (1.0 - confidence)
    nearest = round(mass)
    if abs(mass - nearest) <= _SNAP_TOLERANCE * max(1.0, mass):
        mass = float(nearest)
    if mass < 1.0:
        raise InsufficientObservationsError(
            scenarios, confidence, minimum_scenarios(confidence), what
        )
    whole = math.floor(mass)
    return TailSize(scenarios=scenarios, mass=mass, whole=whole, fraction=mass - whole)


def worst_losses(losses: FloatMatrix, count: int) -> FloatMatrix:
    """The ``count`` largest entries of each row, sorted from the worst down.

    ``np.partition`` is linear in the row length, so only the tail itself is ever sorted —
    this is what keeps 100,000-scenario Monte Carlo tails cheap.
    """
    scenarios = losses.shape[1]
    if count < scenarios:
        losses = np.partition(losses, scenarios - count, axis=1)[:, scenarios - count :]
    return -np.sort(-losses, axis=1)


def var_and_es_of_rows(losses: FloatMatrix, confidence: float) -> tuple[FloatVector, FloatVector]:
    """VaR and ES of each row of a (series x scenarios) loss matrix, as defined above."""
    size = tail_size(losses.shape[1], confidence)
    worst = worst_losses(losses, size.var_rank)
    value_at_risk = worst[:, size.whole]
    shortfall = (worst[:, : size.whole].sum(axis=1) + size.fraction * value_at_risk) / size.mass
    # Rounding in the sum can put a flat tail a hair below its own VaR; ES >= VaR is exact.
    return value_at_risk, np.maximum(shortfall, value_at_risk)


@dataclass(frozen=True, slots=True)
class PortfolioTail:
    """The scenarios that make up the portfolio tail and their Acerbi-Tasche weights.

    ``weights`` sum to one; ``weights @ losses[indices]`` is the ES. The last index is the
    VaR scenario (it carries the fractional weight, zero when the tail mass is integral).
    """

    indices: np.ndarray
    weights: FloatVector
    value_at_risk: float
    expected_shortfall: float


def portfolio_tail(losses: FloatVector, confidence: float) -> PortfolioTail:
    """Locate the portfolio tail scenarios (for the Euler allocation) and their weights.

    Ties at the VaR boundary are broken by scenario order; that changes which tied scenario
    carries the fractional weight, not the VaR or the ES.
    """
    size = tail_size(losses.shape[0], confidence)
    count = size.var_rank
    if count < losses.shape[0]:
        candidates = np.argpartition(-losses, count - 1)[:count]
    else:
        candidates = np.arange(losses.shape[0])
    order = candidates[np.argsort(-losses[candidates], kind="stable")]
    weights = np.full(count, 1.0 / size.mass)
    weights[-1] = size.fraction / size.mass
    value_at_risk = float(losses[order[-1]])
    shortfall = max(float(weights @ losses[order]), value_at_risk)
    return PortfolioTail(
        indices=order, weights=weights, value_at_risk=value_at_risk, expected_shortfall=shortfall
    )


@dataclass(frozen=True, slots=True)
class EulerAllocation:
    """Per-instrument Euler allocation of VaR and ES (currency), and marginal VaR per unit."""

    marginal_var: FloatVector
    component_var: FloatVector
    component_es: FloatVector


def euler_allocation_from_tail(
    tail_returns: FloatMatrix, tail: PortfolioTail, position_values: FloatVector
) -> EulerAllocation:
    """Allocate ES and VaR to instruments from the returns in the portfolio tail scenarios.

    ES is positively homogeneous, so its Euler contribution is the conditional tail
    expectation ``CES_i = E[L_i | L in tail] = sum_s weight_s * (-w_i r_{s,i})``; with the
    Acerbi-Tasche weights these add up to the ES exactly. The Euler contribution of VaR,
    ``E[L_i | L = VaR]``, rests on a single scenario and is far too noisy, so VaR is allocated
    in proportion to the ES contributions: ``CVaR_i = CES_i * VaR / ES`` (Hallerbach 2003;
    the usual "tail-expectation" allocation). These add up to the VaR exactly. Marginal VaR is
    the same quantity per unit of currency, ``CVaR_i / w_i``, computed directly from returns
    so it is defined for a zero position too. When ES is zero (an empty portfolio) every
    contribution is zero.
    """
    per_unit_tail_loss = tail.weights @ (-tail_returns)
    ratio = tail.value_at_risk / tail.expected_shortfall if tail.expected_shortfall != 0 else 0.0
    marginal = per_unit_tail_loss * ratio
    component_es = per_unit_tail_loss * position_values
    component_var = component_es * ratio
    return EulerAllocation(
        marginal_var=marginal, component_var=component_var, component_es=component_es
    )
