"""Parametric (variance-covariance) VaR and expected shortfall: delta-normal and Student-t.

Model: daily simple returns ``r ~ mu + Sigma^{1/2} e`` with ``e`` standard normal, or Student-t
with ``nu`` degrees of freedom rescaled to unit variance, so that ``Cov(r) = Sigma`` in both
cases. A position vector ``w`` (market values) has P&L ``w' r`` (delta / linear approximation).
Over ``h`` days the P&L is scaled by the square-root-of-time rule: mean ``h mu_p``, standard
deviation ``sqrt(h) sigma_p`` with ``sigma_p = sqrt(w' Sigma w)``. For the normal this is
exact under i.i.d. returns; for Student-t it is the usual approximation (a sum of t variables is
not t).

    VaR_alpha = k_VaR * sqrt(h) * sigma_p - h * mu_p
    ES_alpha  = k_ES  * sqrt(h) * sigma_p - h * mu_p

* Normal: ``k_VaR = z_alpha = Phi^{-1}(alpha)``, ``k_ES = phi(z_alpha) / (1 - alpha)``.
* Student-t (McNeil, Frey & Embrechts 2015, eq. 2.24): with ``q = t_nu^{-1}(alpha)`` and the
  unit-variance scale ``s = sqrt((nu - 2) / nu)``, ``k_VaR = s q`` and
  ``k_ES = s * g_nu(q) / (1 - alpha) * (nu + q^2) / (nu - 1)`` (``g_nu`` the t density).

The mean term is optional: ``mean_returns=None`` omits it (the common "zero-mean" delta-normal
VaR, conservative for positive drifts).

Euler allocation is exact here because VaR and ES are homogeneous of degree one in ``w``:
``marginal VaR_i = dVaR/dw_i = k_VaR sqrt(h) (Sigma w)_i / sigma_p - h mu_i`` and
``component VaR_i = w_i * marginal VaR_i``; ``sum_i w_i (Sigma w)_i = sigma_p^2`` makes the
components add up to the VaR (up to floating-point rounding), likewise for ES. A zero-variance
portfolio (``sigma_p = 0``, e.g. fully hedged) has no gradient of ``sigma_p``; its volatility
part is allocated as zero and only the mean term is distributed — still summing to the total.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from .covariance import Repair, ensure_positive_semidefinite
from .errors import InvalidParameterError
from .grouping import group_weights
from .report import VaRMethod, VaRReport, assemble_report
from .tail import EulerAllocation
from .validation import (
    as_finite_vector,
    check_confidence,
    check_degrees_of_freedom,
    check_horizon,
    check_instruments,
)


class Distribution(StrEnum):
    """Shape of the standardised return shocks (both scaled to unit variance)."""

    NORMAL = "normal"
    STUDENT_T = "student_t"


def check_distribution(distribution: object, nu: object) -> tuple[Distribution, float | None]:
    """Parse the distribution name; Student-t requires ``nu > 2``, normal forbids a ``nu``."""
    try:
        parsed = Distribution(distribution)
    except ValueError:
        raise InvalidParameterError(
            f"distribution must be one of {[d.value for d in Distribution]}, got {distribution!r}"
        ) from None
    if parsed is Distribution.STUDENT_T:
        return parsed, check_degrees_of_freedom(nu)
    if nu is not None:
        raise InvalidParameterError(
            f"nu={nu!r} was given for the normal distribution; pass distribution='student_t' "
            "to use Student-t shocks"
        )
    return parsed, None


def var_es_multipliers(
    confidence: float,
    distribution: Distribution | str = Distribution.NORMAL,
    nu: float | None = None,
) -> tuple[float, float]:
    """``(k_VaR, k_ES)``: VaR and ES of a unit-variance, zero-mean loss (see module docstring)."""
    alpha = check_confidence(confidence)
    _, degrees = check_distribution(distribution, nu)
    tail = 1.0 - alpha
    if degrees is None:
        z = float(stats.norm.ppf(alpha))
        return z, float(stats.norm.pdf(z)) / tail
    q = float(stats.t.ppf(alpha, degrees))
    scale = math.sqrt((degrees - 2.0) / degrees)
    es = scale * float(stats.t.pdf(q, degrees)) / tail * (degrees + q * q) / (degrees - 1.0)
    return scale * q, es


def parametric_var(
    position_values: ArrayLike,
    covariance: ArrayLike,
    *,
    instruments: Sequence[str],
    confidence: float,
    horizon: int = 1,
    mean_returns: ArrayLike | None = None,
    distribution: Distribution | str = Distribution.NORMAL,
    nu: float | None = None,
    clusters: Mapping[str, str] | None = None,
    repair: Repair = "refuse",
) -> VaRReport:
    """Parametric VaR/ES of a linear portfolio, per instrument, cluster and portfolio.

    ``position_values``: market values (currency, negative = short). ``covariance``: daily
    simple-return covariance (instruments x instruments). ``mean_returns``: daily expected
    returns, or None to omit the mean term. ``repair``: what to do with a covariance that is
    not positive semi-definite (see :func:`ensure_positive_semidefinite`).
    """
    alpha = check_confidence(confidence)
    days = check_horizon(horizon)
    parsed, degrees = check_distribution(distribution, nu)
    ids = check_instruments(instruments)
    values = as_finite_vector(position_values, "position values", len(ids), ids)
    sigma = ensure_positive_semidefinite(covariance, repair, size=len(ids))
    mu = (
        np.zeros(len(ids))
        if mean_returns is None
        else as_finite_vector(mean_returns, "mean returns", len(ids), ids)
    )
    k_var, k_es = var_es_multipliers(alpha, parsed, degrees)
    root_h = math.sqrt(days)

    groups = group_weights(ids, values, clusters)
    group_variance = np.sum(groups.matrix * (sigma @ groups.matrix), axis=0)
    group_sigma = np.sqrt(np.maximum(group_variance, 0.0))
    group_mean = mu @ groups.matrix
    instrument_sigma = np.abs(values) * np.sqrt(np.diag(sigma))
    instrument_mean = values * mu

    portfolio_sigma = float(group_sigma[groups.portfolio_column])
    gradient = sigma @ values / portfolio_sigma if portfolio_sigma > 0.0 else np.zeros(len(ids))
    marginal_var = k_var * root_h * gradient - days * mu
    marginal_es = k_es * root_h * gradient - days * mu
    allocation = EulerAllocation(
        marginal_var=marginal_var,
        component_var=values * marginal_var,
        component_es=values * marginal_es,
    )
    method = (
        VaRMethod.PARAMETRIC_NORMAL
        if parsed is Distribution.NORMAL
        else VaRMethod.PARAMETRIC_STUDENT_T
    )
    return assemble_report(
        method=method,
        confidence=alpha,
        horizon=days,
        instruments=ids,
        groups=groups,
        group_var=k_var * root_h * group_sigma - days * group_mean,
        group_es=k_es * root_h * group_sigma - days * group_mean,
        instrument_var=k_var * root_h * instrument_sigma - days * instrument_mean,
        instrument_es=k_es * root_h * instrument_sigma - days * instrument_mean,
        allocation=allocation,
    )
