"""VaR backtesting: exceptions, Kupiec POF, Christoffersen independence and conditional coverage.

Conventions:

* An *exception* (exceedance, "hit") on day ``t`` is a realised loss strictly larger than the
  VaR reported for that day: ``pnl_t < -VaR_t`` (VaR as a positive loss number).
* Kupiec (1995) proportion of failures: with ``x`` exceptions in ``T`` days and expected rate
  ``p = 1 - alpha``,
  ``LR_pof = -2 ln[(1 - p)^(T - x) p^x] + 2 ln[(1 - x/T)^(T - x) (x/T)^x] ~ chi^2(1)``.
* Christoffersen (1998) independence: with ``n_ij`` the number of days in state ``j`` after a
  day in state ``i`` (1 = exception) over the ``T - 1`` transitions,
  ``pi_01 = n01 / (n00 + n01)``, ``pi_11 = n11 / (n10 + n11)``,
  ``pi = (n01 + n11) / (T - 1)``,
  ``LR_ind = -2 ln[(1 - pi)^(n00 + n10) pi^(n01 + n11)]
  + 2 ln[(1 - pi_01)^n00 pi_01^n01 (1 - pi_11)^n10 pi_11^n11] ~ chi^2(1)``.
* Conditional coverage: ``LR_cc = LR_pof + LR_ind ~ chi^2(2)`` (LR_pof over all ``T`` days, the
  usual implementation, e.g. Jorion, *Value at Risk*, 3rd ed., ch. 6).
* ``0 * ln 0 = 0`` everywhere (``scipy.special.xlogy``): zero exceptions, all exceptions, or a
  state never visited give finite statistics, never NaN. A probability whose denominator is
  zero (e.g. ``pi_11`` with no exception before the last day) only ever multiplies a zero
  count, so its value is irrelevant and set to 0.
* ``reject`` is ``p_value < significance``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats
from scipy.special import xlogy

from .errors import DimensionMismatchError, InvalidParameterError
from .validation import as_finite_vector, check_confidence, check_probability


@dataclass(frozen=True, slots=True)
class ExceptionSeries:
    """Which days breached the VaR, how many, out of how many."""

    indicators: NDArray[np.bool_]
    count: int
    observations: int

    @property
    def rate(self) -> float:
        return self.count / self.observations


@dataclass(frozen=True, slots=True)
class LikelihoodRatioTest:
    """A likelihood-ratio test result: statistic, chi-square p-value, decision at a level."""

    statistic: float
    degrees_of_freedom: int
    p_value: float
    significance: float
    reject: bool


def var_exceptions(pnl: ArrayLike, value_at_risk: ArrayLike) -> ExceptionSeries:
    """Flag the days whose P&L lost more than that day's VaR (``pnl_t < -VaR_t``)."""
    pnl_series = as_finite_vector(pnl, "P&L series")
    var_series = as_finite_vector(value_at_risk, "VaR series")
    if pnl_series.shape != var_series.shape:
        raise DimensionMismatchError(
            f"P&L series has {pnl_series.shape[0]} day(s) but VaR series has "
            f"{var_series.shape[0]}; they must be aligned day by day"
        )
    if pnl_series.size == 0:
        raise InvalidParameterError("a VaR backtest needs at least one day of P&L and VaR")
    indicators = pnl_series < -var_series
    indicators.flags.writeable = False
    return ExceptionSeries(
        indicators=indicators, count=int(indicators.sum()), observations=int(indicators.size)
    )


def _chi_square_test(statistic: float, dof: int, significance: float) -> LikelihoodRatioTest:
    # Rounding can leave -1e-15 (or -0.0) where the two likelihoods coincide.
    value = statistic if statistic > 0.0 else 0.0
    p_value = float(stats.chi2.sf(value, dof))
    return LikelihoodRatioTest(
        statistic=value,
        degrees_of_freedom=dof,
        p_value=p_value,
        significance=significance,
        reject=p_value < significance,
    )


def kupiec_pof_test(
    exceptions: int, observations: int, confidence: float, significance: float = 0.05
) -> LikelihoodRatioTest:
    """Kupiec proportion-of-failures test of the exception rate against ``1 - confidence``."""
    alpha = check_confidence(confidence)
    level = check_probability(significance, "significance")
    for name, value in (("exceptions", exceptions), ("observations", observations)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise InvalidParameterError(f"{name} must be an integer, got {value!r}")
    if observations < 1 or not 0 <= exceptions <= observations:
        raise InvalidParameterError(
            f"need 0 <= exceptions <= observations and observations >= 1, got "
            f"exceptions={exceptions}, observations={observations}"
        )
    expected = 1.0 - alpha
    observed = exceptions / observations
    misses = observations - exceptions
    null = xlogy(misses, 1.0 - expected) + xlogy(exceptions, expected)
    alternative = xlogy(misses, 1.0 - observed) + xlogy(exceptions, observed)
    return _chi_square_test(float(-2.0 * (null - alternative)), 1, level)


def _indicator_array(indicators: ArrayLike) -> NDArray[np.bool_]:
    array = np.asarray(indicators)
    if array.ndim != 1:
        raise DimensionMismatchError(f"exception indicators must be 1-D, got shape {array.shape}")
    if array.dtype != np.bool_:
        valid = np.isin(array, (0, 1))
        if not valid.all():
            index = int(np.flatnonzero(~valid)[0])
            raise InvalidParameterError(
                f"exception indicators must be 0/1 or booleans; position {index} "
                f"holds {array[index]!r}"
            )
        array = array.astype(bool)
    if array.size < 2:
        raise InvalidParameterError(
            f"the independence test needs at least 2 days (1 transition), got {array.size}"
        )
    return array


def christoffersen_independence_test(
    indicators: ArrayLike, significance: float = 0.05
) -> LikelihoodRatioTest:
    """Christoffersen test that an exception today does not make one tomorrow more likely."""
    level = check_probability(significance, "significance")
    hits = _indicator_array(indicators)
    previous, current = hits[:-1], hits[1:]
    n00 = int(np.sum(~previous & ~current))
    n01 = int(np.sum(~previous & current))
    n10 = int(np.sum(previous & ~current))
    n11 = int(np.sum(previous & current))
    pi01 = n01 / (n00 + n01) if n00 + n01 else 0.0
    pi11 = n11 / (n10 + n11) if n10 + n11 else 0.0
    pi = (n01 + n11) / (n00 + n01 + n10 + n11)
    null = xlogy(n00 + n10, 1.0 - pi) + xlogy(n01 + n11, pi)
    alternative = (
        xlogy(n00, 1.0 - pi01) + xlogy(n01, pi01) + xlogy(n10, 1.0 - pi11) + xlogy(n11, pi11)
    )
    return _chi_square_test(float(-2.0 * (null - alternative)), 1, level)


def christoffersen_conditional_coverage_test(
    indicators: ArrayLike, confidence: float, significance: float = 0.05
) -> LikelihoodRatioTest:
    """Joint test of correct exception rate and independence: ``LR_pof + LR_ind ~ chi^2(2)``."""
    level = check_probability(significance, "significance")
    hits = _indicator_array(indicators)
    pof = kupiec_pof_test(int(hits.sum()), int(hits.size), confidence, level)
    independence = christoffersen_independence_test(hits, level)
    return _chi_square_test(pof.statistic + independence.statistic, 2, level)


@dataclass(frozen=True, slots=True)
class VaRBacktest:
    """Everything a VaR backtest reports for one P&L / VaR series pair."""

    exceptions: ExceptionSeries
    expected_exceptions: float
    kupiec: LikelihoodRatioTest
    independence: LikelihoodRatioTest
    conditional_coverage: LikelihoodRatioTest


def backtest_var(
    pnl: ArrayLike, value_at_risk: ArrayLike, confidence: float, significance: float = 0.05
) -> VaRBacktest:
    """Count exceptions and run the Kupiec, independence and conditional-coverage tests."""
    alpha = check_confidence(confidence)
    level = check_probability(significance, "significance")
    exceptions = var_exceptions(pnl, value_at_risk)
    kupiec = kupiec_pof_test(exceptions.count, exceptions.observations, alpha, level)
    independence = christoffersen_independence_test(exceptions.indicators, level)
    coverage = _chi_square_test(kupiec.statistic + independence.statistic, 2, level)
    return VaRBacktest(
        exceptions=exceptions,
        expected_exceptions=exceptions.observations * (1.0 - alpha),
        kupiec=kupiec,
        independence=independence,
        conditional_coverage=coverage,
    )
