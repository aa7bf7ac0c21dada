"""Black-Litterman expected returns (Black & Litterman 1992; He & Litterman 1999; Idzorek 2005).

All returns are *excess* returns over the risk-free rate, per period.

Prior (reverse optimisation of the market portfolio)::

    pi = delta * Sigma * w_mkt

Views ``P mu = Q + e``, ``e ~ N(0, Omega)`` with one row of ``P`` per view (assets referenced by
id). Posterior (He & Litterman 1999, eqs. 5-6)::

    A          = P tau Sigma P^T + Omega
    mu_BL      = pi + tau Sigma P^T A^-1 (Q - P pi)
    M          = tau Sigma - tau Sigma P^T A^-1 P tau Sigma      (uncertainty of the mean)
    Sigma_BL   = Sigma + M                                       (covariance of returns)

Written with ``A^-1`` rather than ``Omega^-1`` so that ``Omega = 0`` (100% confidence) is allowed:
then ``P mu_BL = Q`` exactly. With no views ``mu_BL = pi`` and ``Sigma_BL = (1 + tau) Sigma``.

View uncertainty ``omega_k`` (diagonal of ``Omega``), per view:

* default (He & Litterman): ``omega_k = tau p_k Sigma p_k^T``;
* ``confidence`` in [0, 1] (Idzorek 2005, in the closed form of Walters 2011):
  ``omega_k = tau p_k Sigma p_k^T (1 - c) / c``. For a single view this is exact: the
  unconstrained weights ``(delta Sigma)^-1 mu_BL`` tilt from ``w_mkt`` by exactly the fraction
  ``c`` of the tilt that a 100%-confident view produces. ``c = 0.5`` reproduces the He-Litterman
  default; ``c = 0`` (infinite variance) removes the view; ``c = 1`` gives ``omega_k = 0``;
* ``variance``: an explicit ``omega_k``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike

from .errors import InvalidInputError
from .problem import MarketModel
from .validation import (
    FloatArray,
    asset_id_tuple,
    covariance_matrix,
    finite_scalar,
    finite_vector,
    positive_scalar,
    read_only,
    vector_from_mapping,
)

#: Condition number above which ``P tau Sigma P^T + Omega`` is treated as singular: two certain
#: views on linearly dependent portfolios (or a view on a zero-variance portfolio).
MAX_VIEW_CONDITION = 1e12


@dataclass(frozen=True)
class View:
    """One view: the portfolio ``weights`` (a row of P) has expected excess return ``Q``.

    Give at most one of ``confidence`` (Idzorek, in [0, 1]) or ``variance`` (explicit omega);
    with neither, the He-Litterman default ``tau p Sigma p^T`` is used.
    """

    weights: Mapping[str, float]
    expected_return: float
    confidence: float | None = None
    variance: float | None = None

    def __post_init__(self) -> None:
        if not self.weights:
            raise InvalidInputError("a view needs at least one asset weight")
        weights = {
            asset_id: finite_scalar(f"view weight for {asset_id!r}", w)
            for asset_id, w in self.weights.items()
        }
        if all(w == 0.0 for w in weights.values()):
            raise InvalidInputError("a view's asset weights cannot all be zero")
        object.__setattr__(self, "weights", MappingProxyType(weights))
        object.__setattr__(
            self, "expected_return", finite_scalar("view expected_return", self.expected_return)
        )
        if self.confidence is not None and self.variance is not None:
            raise InvalidInputError("give a view either a confidence or a variance, not both")
        if self.confidence is not None:
            confidence = finite_scalar("view confidence", self.confidence)
            if not 0.0 <= confidence <= 1.0:
                raise InvalidInputError(f"view confidence must lie in [0, 1], got {confidence}")
            object.__setattr__(self, "confidence", confidence)
        if self.variance is not None:
            variance = finite_scalar("view variance", self.variance)
            if variance < 0.0:
                raise InvalidInputError(f"view variance must be >= 0, got {variance}")
            object.__setattr__(self, "variance", variance)

    @classmethod
    def absolute(
        cls,
        asset_id: str,
        expected_return: float,
        confidence: float | None = None,
        variance: float | None = None,
    ) -> View:
        """``asset_id`` will return ``expected_return`` (excess of the risk-free rate)."""
        return cls({asset_id: 1.0}, expected_return, confidence, variance)

    @classmethod
    def relative(
        cls,
        outperformer: str,
        underperformer: str,
        spread: float,
        confidence: float | None = None,
        variance: float | None = None,
    ) -> View:
        """``outperformer`` will beat ``underperformer`` by ``spread``."""
        if outperformer == underperformer:
            raise InvalidInputError(
                f"a relative view needs two different assets, got {outperformer!r} twice"
            )
        return cls({outperformer: 1.0, underperformer: -1.0}, spread, confidence, variance)


@dataclass(frozen=True, eq=False)
class BlackLittermanResult:
    """Prior and posterior moments; ``pick_matrix``/``view_returns``/``omega`` cover used views."""

    asset_ids: tuple[str, ...]
    equilibrium_returns: FloatArray
    posterior_returns: FloatArray
    posterior_covariance: FloatArray
    pick_matrix: FloatArray
    view_returns: FloatArray
    omega: FloatArray
    dropped_views: tuple[int, ...]
    tau: float
    risk_aversion: float

    def market_model(self, risk_free_rate: float = 0.0) -> MarketModel:
        """Posterior as a :class:`MarketModel` (returns shifted back to total by ``r_f``)."""
        rate = finite_scalar("risk_free_rate", risk_free_rate)
        return MarketModel.from_covariance(
            self.asset_ids, self.posterior_returns + rate, self.posterior_covariance, rate
        )


def equilibrium_returns(
    covariance: ArrayLike, market_weights: ArrayLike, risk_aversion: float
) -> FloatArray:
    """Implied excess returns ``pi = delta Sigma w_mkt`` (reverse optimisation)."""
    weights = finite_vector("market_weights", market_weights)
    sigma = covariance_matrix("covariance", covariance, weights.shape[0])
    delta = positive_scalar("risk_aversion", risk_aversion)
    return read_only(delta * sigma @ weights)


def implied_risk_aversion(market_excess_return: float, market_variance: float) -> float:
    """``delta = E[r_m - r_f] / Var(r_m)``: the market's price of risk."""
    excess = finite_scalar("market_excess_return", market_excess_return)
    return excess / positive_scalar("market_variance", market_variance)


def _market_weight_vector(
    market_weights: Mapping[str, float] | ArrayLike, asset_ids: tuple[str, ...]
) -> FloatArray:
    if isinstance(market_weights, Mapping):
        return vector_from_mapping("market_weights", market_weights, asset_ids, 0.0)
    return finite_vector("market_weights", market_weights, len(asset_ids))


def black_litterman(
    asset_ids: Sequence[str],
    covariance: ArrayLike,
    market_weights: Mapping[str, float] | ArrayLike,
    views: Sequence[View] = (),
    *,
    risk_aversion: float = 2.5,
    tau: float = 0.05,
) -> BlackLittermanResult:
    """Blend the market equilibrium with ``views`` (see module docstring for the formulas).

    ``risk_aversion`` 2.5 and ``tau`` 0.05 are the He & Litterman (1999) values. A view on an
    asset outside ``asset_ids`` raises :class:`UnknownAssetError` naming the view and the asset.
    """
    ids = asset_id_tuple("asset_ids", asset_ids)
    n = len(ids)
    sigma = covariance_matrix("covariance", covariance, n)
    weights = _market_weight_vector(market_weights, ids)
    delta = positive_scalar("risk_aversion", risk_aversion)
    tau_value = positive_scalar("tau", tau)
    prior = delta * sigma @ weights

    rows: list[FloatArray] = []
    targets: list[float] = []
    omegas: list[float] = []
    dropped: list[int] = []
    for k, view in enumerate(views):
        if not isinstance(view, View):
            raise InvalidInputError(f"views[{k}] must be a View, got {type(view).__name__}")
        row = vector_from_mapping(f"views[{k}]", view.weights, ids, 0.0)
        view_variance = tau_value * float(row @ sigma @ row)
        if view.variance is not None:
            omega = view.variance
        elif view.confidence is not None:
            if view.confidence == 0.0:
                dropped.append(k)
                continue
            omega = view_variance * (1.0 - view.confidence) / view.confidence
        else:
            omega = view_variance
        rows.append(row)
        targets.append(view.expected_return)
        omegas.append(omega)

    tau_sigma = tau_value * sigma
    if rows:
        pick = np.vstack(rows)
        q = np.array(targets)
        omega_matrix = np.diag(omegas)
        blend = pick @ tau_sigma @ pick.T + omega_matrix
        if np.linalg.cond(blend) > MAX_VIEW_CONDITION:
            raise InvalidInputError(
                "the views are degenerate: P tau Sigma P^T + Omega is singular (certain views on "
                "linearly dependent portfolios, or a view on a zero-variance portfolio)"
            )
        gain = np.linalg.solve(blend, pick @ tau_sigma).T  # tau Sigma P^T A^-1
        posterior = prior + gain @ (q - pick @ prior)
        mean_uncertainty = tau_sigma - gain @ pick @ tau_sigma
    else:
        pick, q, omega_matrix = np.zeros((0, n)), np.zeros(0), np.zeros((0, 0))
        posterior = prior.copy()
        mean_uncertainty = tau_sigma
    posterior_cov = sigma + mean_uncertainty
    posterior_cov = 0.5 * (posterior_cov + posterior_cov.T)
    return BlackLittermanResult(
        asset_ids=ids,
        equilibrium_returns=read_only(prior),
        posterior_returns=read_only(posterior),
        posterior_covariance=read_only(posterior_cov),
        pick_matrix=read_only(pick),
        view_returns=read_only(q),
        omega=read_only(omega_matrix),
        dropped_views=tuple(dropped),
        tau=tau_value,
        risk_aversion=delta,
    )
