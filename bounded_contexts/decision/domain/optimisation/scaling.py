"""Rescale a portfolio problem to unit size before it reaches the solver, and map results back.

Why: an interior-point solver stops when its duality gap or residuals fall below *absolute* as well
as relative thresholds (CLARABEL: ``tol_gap_abs = tol_gap_rel = tol_feas = 1e-8``). In daily-return
units a covariance entry is ~1e-4 and a portfolio variance ~5e-5, so an absolute gap of 1e-8 is a
*relative* gap of ~2e-4 and the solver stopped with weights 1e-5 to 2e-3 from the optimum (the
oracle tests of ``tests/decision/unit/test_optimisation_daily_units.py``, run on the code before
this module existed; issue 11 saw 6.7e-4 on efficient return where PyPortfolioOpt is within
1e-10). Nothing about the problem is harder in daily units; only its numbers are smaller. Scaling
is half of the cure; the other half is tighter tolerances (:func:`.solving.solver_options`).

So every cvxpy problem in this package is built in *volatility units*: returns (expected returns,
costs, scenario returns, targets, the risk-free rate) are divided by a unit ``r`` and the covariance
factor by the same ``r``, so the covariance is divided by ``r^2``. ``r`` is the root of the mean
variance of the assets, rounded to a power of two:

* unit mean diagonal (to within a factor of two) makes every covariance, variance and volatility
  of order one, whatever the period of the inputs (daily, weekly, annualised);
* a power of two makes the division and the mapping back *exact* in binary floating point, so the
  rescaled problem has exactly the same optimum as the caller's problem -- not merely a nearby one;
* one unit for returns and volatilities keeps every Sharpe-type ratio (and the homogenised
  maximum-Sharpe problem, and its variance ``y^T Sigma y``) unchanged.

Weights, budgets, bounds, leverage, group and turnover limits are fractions of equity, already of
order one, and are not touched. Each optimiser divides its objective by the unit of its leading
term (``r^2`` for a variance, ``r`` for a return) and multiplies the solver's objective value back.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from .constraints import ResolvedConstraints
from .costs import ResolvedCosts
from .problem import MarketModel
from .validation import FloatArray

#: Scales are kept within ``2**-MAX_EXPONENT .. 2**MAX_EXPONENT`` so that ``r^2`` and its inverse
#: stay normal floating-point numbers (a degenerate covariance of 1e-320 is not rescaled further).
MAX_EXPONENT = 500


@dataclass(frozen=True)
class ProblemScaling:
    """The return unit ``r`` (a power of two) in which a problem is handed to the solver.

    ``variance_unit = r^2``. Divide returns and volatilities by ``r`` and variances by ``r^2``
    going in; multiply by the same coming out.
    """

    return_unit: float = 1.0

    @classmethod
    def of_variances(cls, variances: FloatArray) -> ProblemScaling:
        """``r = 2^round(log2(sqrt(mean(variances))))``; ``r = 1`` when every variance is zero."""
        mean = float(np.mean(variances)) if len(variances) else 0.0
        if not (math.isfinite(mean) and mean > 0.0):
            return cls(1.0)
        exponent = round(0.5 * math.log2(mean))
        return cls(math.ldexp(1.0, max(-MAX_EXPONENT, min(MAX_EXPONENT, exponent))))

    @classmethod
    def of_model(cls, model: MarketModel) -> ProblemScaling:
        """Scaling for ``model``: its covariance gets a mean diagonal between 1/2 and 2."""
        return cls.of_variances(np.diag(model.covariance))

    @property
    def variance_unit(self) -> float:
        """``r^2``, the unit of variances in the scaled problem."""
        return self.return_unit * self.return_unit

    def returns(self, values: FloatArray) -> FloatArray:
        """Returns (or volatilities) expressed in units of ``r``."""
        return np.asarray(values, dtype=np.float64) / self.return_unit

    def costs(self, costs: ResolvedCosts) -> ResolvedCosts:
        """Cost coefficients in units of ``r`` (a cost is a fraction of equity, like a return).

        Both terms scale alike: ``c |d| + k d^2`` is linear in ``(c, k)`` and ``d`` (a weight
        change) is not rescaled.
        """
        return ResolvedCosts(
            linear=self.returns(costs.linear), quadratic=self.returns(costs.quadratic)
        )

    def constraints(self, constraints: ResolvedConstraints) -> ResolvedConstraints:
        """The tracking-error limit (a volatility) in units of ``r``; weight limits unchanged."""
        if constraints.tracking_error_limit is None:
            return constraints
        return dataclasses.replace(
            constraints, tracking_error_limit=constraints.tracking_error_limit / self.return_unit
        )
