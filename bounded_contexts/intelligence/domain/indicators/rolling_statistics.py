"""Rolling statistics, batch form: z-score, correlation and beta.

* z-score(p): (x[t] - mean) / std over the last p values including x[t], population std
  (like Bollinger); 0 on a flat window, where x[t] equals the mean. First valid index p - 1.
* Correlation(p): Pearson correlation of paired observations over the last p pairs, TA-Lib's
  CORREL formula (Sxy - Sx Sy / p) / sqrt((Sxx - Sx^2 / p)(Syy - Sy^2 / p)), with the root taken
  of each factor (sqrt(A) sqrt(B)): the product of two small variances underflows (1e-200 *
  1e-200 is 0) where their roots do not. 0 when either side is flat (TA-Lib's value on a flat
  window). First valid index p - 1.
* Beta(p): cov(asset, benchmark) / var(benchmark) over the last p pairs, the OLS slope of the
  asset's returns on the benchmark's; 0 when the benchmark is flat (TA-Lib's value), and 0 when
  the asset is flat: |cov| <= sqrt(var_a var_b) makes the covariance of a flat side exactly 0,
  while ``Sab - Sa Sb / p`` leaves rounding residue (1e-29 on a constant asset) that a small
  benchmark variance would turn into a beta of 1e-5, or 1e124 on a denormal one.
  TA-Lib's BETA takes *prices* and differences them itself, so ``talib.BETA(benchmark_prices,
  asset_prices, p)[1:]`` equals ``rolling_beta(asset_returns, benchmark_returns, p)`` with simple
  returns. First valid index p - 1 (of the returns series).

Both series are returns the caller chose (simple or log); nothing is differenced here.
"""

from __future__ import annotations

import numpy as np

from ._windows import centred_square_sum, rolling_sum, with_warmup
from .validation import as_series, check_period, check_same_length


def rolling_zscore(values: object, period: int = 20) -> np.ndarray:
    """(x - rolling mean) / rolling population std; 0 on a flat window."""
    x = as_series("values", values)
    period = check_period("period", period, minimum=2)
    total = rolling_sum(x, period)
    centred = centred_square_sum(total, rolling_sum(x * x, period), period)
    deviation = np.sqrt(centred / period)
    offset = x[period - 1 :] - total / period
    z = np.zeros(len(offset))
    np.divide(offset, deviation, out=z, where=centred != 0.0)
    return with_warmup(z, period - 1, len(x))


def _paired(asset_returns: object, benchmark_returns: object) -> tuple[np.ndarray, np.ndarray]:
    asset = as_series("asset_returns", asset_returns)
    benchmark = as_series("benchmark_returns", benchmark_returns)
    check_same_length(asset_returns=asset, benchmark_returns=benchmark)
    return asset, benchmark


def rolling_correlation(
    asset_returns: object, benchmark_returns: object, period: int = 20
) -> np.ndarray:
    """Rolling Pearson correlation (TA-Lib CORREL formula); 0 when either side is flat."""
    asset, benchmark = _paired(asset_returns, benchmark_returns)
    period = check_period("period", period, minimum=2)
    sum_a, sum_b = rolling_sum(asset, period), rolling_sum(benchmark, period)
    centred_a = centred_square_sum(sum_a, rolling_sum(asset * asset, period), period)
    centred_b = centred_square_sum(sum_b, rolling_sum(benchmark * benchmark, period), period)
    co_moment = rolling_sum(asset * benchmark, period) - sum_a * (sum_b / period)
    scale = np.sqrt(centred_a) * np.sqrt(centred_b)
    correlation = np.zeros(len(scale))
    np.divide(co_moment, scale, out=correlation, where=scale != 0.0)
    return with_warmup(np.clip(correlation, -1.0, 1.0), period - 1, len(asset))


def rolling_beta(asset_returns: object, benchmark_returns: object, period: int = 20) -> np.ndarray:
    """Rolling OLS beta of the asset's returns on the benchmark's; 0 when either side is flat."""
    asset, benchmark = _paired(asset_returns, benchmark_returns)
    period = check_period("period", period, minimum=2)
    sum_a, sum_b = rolling_sum(asset, period), rolling_sum(benchmark, period)
    centred_a = centred_square_sum(sum_a, rolling_sum(asset * asset, period), period)
    centred_b = centred_square_sum(sum_b, rolling_sum(benchmark * benchmark, period), period)
    co_moment = rolling_sum(asset * benchmark, period) - sum_a * (sum_b / period)
    beta = np.zeros(len(centred_b))
    np.divide(co_moment, centred_b, out=beta, where=(centred_b != 0.0) & (centred_a != 0.0))
    return with_warmup(beta, period - 1, len(asset))
