"""The optimisation universe: asset ids, expected returns and a factored covariance.

Why a factor: every risk term in this package is written as ``sum_squares(F^T w) +
sum_squares(s * w)`` with ``Sigma = F F^T + diag(s^2)`` rather than ``quad_form(w, Sigma)``.
cvxpy then hands the solver a second-order-cone / QP structure whose size scales with the number of
factors ``k`` instead of ``n^2`` (for a factor model ``k << n``), and it never has to re-check
``Sigma`` for PSD-ness. A dense covariance is factored once here (Cholesky, or the eigen
decomposition when ``Sigma`` is singular).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from .errors import InvalidInputError, NonPsdCovarianceError
from .validation import (
    FloatArray,
    asset_id_tuple,
    covariance_matrix,
    finite_matrix,
    finite_scalar,
    finite_vector,
    read_only,
)


def _factor_of(covariance: FloatArray) -> FloatArray:
    """Return ``F`` with ``F F^T = covariance`` (Cholesky, else eigenvectors of the PSD part)."""
    try:
        return np.linalg.cholesky(covariance)
    except np.linalg.LinAlgError:
        eigenvalues, eigenvectors = np.linalg.eigh(covariance)
        keep = eigenvalues > 1e-14 * max(float(eigenvalues[-1]), 1e-300)
        return eigenvectors[:, keep] * np.sqrt(eigenvalues[keep])


@dataclass(frozen=True, eq=False)
class MarketModel:
    """Asset universe with expected returns and covariance (per period, e.g. annualised).

    ``covariance = covariance_factor @ covariance_factor.T + diag(specific_risk**2)``; build it with
    :meth:`from_covariance` (dense ``Sigma``) or :meth:`from_factor_model` (``B Omega B^T + D``).
    ``risk_free_rate`` is the per-period rate used by Sharpe ratios, in the same units as
    ``expected_returns``.
    """

    asset_ids: tuple[str, ...]
    expected_returns: FloatArray
    covariance: FloatArray
    covariance_factor: FloatArray
    specific_risk: FloatArray
    risk_free_rate: float = 0.0
    _index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        ids = asset_id_tuple("asset_ids", self.asset_ids)
        n = len(ids)
        mu = finite_vector("expected_returns", self.expected_returns, n)
        sigma = covariance_matrix("covariance", self.covariance, n)
        factor = finite_matrix("covariance_factor", self.covariance_factor, (n, None))
        specific = finite_vector("specific_risk", self.specific_risk, n)
        if np.any(specific < 0.0):
            index = int(np.flatnonzero(specific < 0.0)[0])
            raise InvalidInputError(f"specific_risk must be >= 0, got {specific[index]} at {index}")
        rebuilt = factor @ factor.T + np.diag(specific**2)
        scale = max(float(np.max(np.abs(sigma))), 1e-300)
        if not np.allclose(rebuilt, sigma, rtol=1e-8, atol=1e-10 * scale):
            raise NonPsdCovarianceError(
                "covariance_factor F and specific_risk s do not reproduce the covariance "
                "(F F^T + diag(s^2) != covariance)"
            )
        object.__setattr__(self, "asset_ids", ids)
        object.__setattr__(self, "expected_returns", read_only(mu))
        object.__setattr__(self, "covariance", read_only(sigma))
        object.__setattr__(self, "covariance_factor", read_only(factor))
        object.__setattr__(self, "specific_risk", read_only(specific))
        object.__setattr__(
            self, "risk_free_rate", finite_scalar("risk_free_rate", self.risk_free_rate)
        )
        object.__setattr__(self, "_index", {asset_id: i for i, asset_id in enumerate(ids)})

    @classmethod
    def from_covariance(
        cls,
        asset_ids: Sequence[str],
        expected_returns: ArrayLike,
        covariance: ArrayLike,
        risk_free_rate: float = 0.0,
    ) -> MarketModel:
        """Build from a dense covariance, factored once by Cholesky (eigh when singular)."""
        ids = asset_id_tuple("asset_ids", asset_ids)
        sigma = covariance_matrix("covariance", covariance, len(ids))
        return cls(
            asset_ids=ids,
            expected_returns=finite_vector("expected_returns", expected_returns, len(ids)),
            covariance=sigma,
            covariance_factor=_factor_of(sigma),
            specific_risk=np.zeros(len(ids)),
            risk_free_rate=risk_free_rate,
        )

    @classmethod
    def from_factor_model(
        cls,
        asset_ids: Sequence[str],
        expected_returns: ArrayLike,
        loadings: ArrayLike,
        factor_covariance: ArrayLike,
        specific_variances: ArrayLike,
        risk_free_rate: float = 0.0,
    ) -> MarketModel:
        """Build from ``Sigma = B Omega B^T + diag(d)`` (loadings ``B`` n x k, ``d`` variances).

        The optimiser then works with ``k`` factor exposures plus ``n`` specific terms, which is
        what makes a 500-asset problem solve in well under a second.
        """
        ids = asset_id_tuple("asset_ids", asset_ids)
        n = len(ids)
        exposures = finite_matrix("loadings", loadings, (n, None))
        k = exposures.shape[1]
        omega = covariance_matrix("factor_covariance", factor_covariance, k)
        specific_var = finite_vector("specific_variances", specific_variances, n)
        if np.any(specific_var < 0.0):
            index = int(np.flatnonzero(specific_var < 0.0)[0])
            raise NonPsdCovarianceError(
                f"specific_variances must be >= 0, got {specific_var[index]} at index {index}"
            )
        factor = exposures @ _factor_of(omega)
        return cls(
            asset_ids=ids,
            expected_returns=finite_vector("expected_returns", expected_returns, n),
            covariance=factor @ factor.T + np.diag(specific_var),
            covariance_factor=factor,
            specific_risk=np.sqrt(specific_var),
            risk_free_rate=risk_free_rate,
        )

    @classmethod
    def from_scenarios(
        cls, asset_ids: Sequence[str], scenario_returns: ArrayLike, risk_free_rate: float = 0.0
    ) -> MarketModel:
        """Sample mean and covariance (ddof=1) of a ``T x n`` scenario matrix.

        The centred, scaled scenario matrix is itself an exact covariance factor, so no
        decomposition is needed.
        """
        ids = asset_id_tuple("asset_ids", asset_ids)
        scenarios = finite_matrix("scenario_returns", scenario_returns, (None, len(ids)))
        if scenarios.shape[0] < 2:
            raise InvalidInputError(
                f"scenario_returns needs at least 2 scenarios, got {scenarios.shape[0]}"
            )
        mean = scenarios.mean(axis=0)
        factor = (scenarios - mean).T / np.sqrt(scenarios.shape[0] - 1)
        return cls(
            asset_ids=ids,
            expected_returns=mean,
            covariance=factor @ factor.T,
            covariance_factor=factor,
            specific_risk=np.zeros(len(ids)),
            risk_free_rate=risk_free_rate,
        )

    @property
    def size(self) -> int:
        """Number of assets ``n``."""
        return len(self.asset_ids)

    def index_of(self, asset_id: str) -> int:
        """Position of ``asset_id`` in every array of this model."""
        return self._index[asset_id]

    def volatility(self, weights: ArrayLike) -> float:
        """Portfolio standard deviation ``sqrt(w^T Sigma w)``."""
        w = finite_vector("weights", weights, self.size)
        return float(np.sqrt(max(float(w @ self.covariance @ w), 0.0)))

    def with_expected_returns(self, expected_returns: ArrayLike) -> MarketModel:
        """Same risk model with other expected returns (e.g. a Black-Litterman posterior)."""
        return MarketModel(
            asset_ids=self.asset_ids,
            expected_returns=finite_vector("expected_returns", expected_returns, self.size),
            covariance=self.covariance,
            covariance_factor=self.covariance_factor,
            specific_risk=self.specific_risk,
            risk_free_rate=self.risk_free_rate,
        )
