"""Standard regime features from a price or return series: rolling volatility and mean return.

For a window of ``w`` returns r_{t-w+1} .. r_t the features at t are

* realised volatility  sigma_t = sqrt( (1/w) * sum r_s^2 )   (root mean square, no demeaning)
* mean return          mu_t    = (1/w) * sum r_s

Realised volatility follows the realised-variance convention of Andersen & Bollerslev (1998,
Int. Econ. Rev. 39:885-905): the mean is not subtracted, because over short windows the sample
mean of returns is mostly noise and demeaning would understate risk in trending markets. It
differs from a rolling sample standard deviation (``ddof=1``) by the drift term and the
w/(w-1) factor. Both figures are per period (no annualisation); scale by sqrt(periods per year)
and periods per year respectively if annual figures are wanted — the regime model does not
care, its Gaussian mixture is fitted on standardised features.

Prices are turned into log returns r_t = ln(p_t / p_{t-1}), which add over time and are defined
only for strictly positive prices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, NDArray

from .errors import InvalidParameterError, NonPositivePriceError, TooFewObservationsError
from .validation import as_finite_vector, integer_parameter


@dataclass(frozen=True, eq=False)
class RegimeFeatures:
    """Feature matrix for :func:`.regimes.fit_regimes`, one row per complete window.

    ``values[:, 0]`` is realised volatility, ``values[:, 1]`` mean return. ``end_indices[i]``
    is the index, in the series that was passed in (prices or returns), of the last observation
    inside window i — align regime labels to dates through it.
    """

    COLUMNS: ClassVar[tuple[str, str]] = ("realised_volatility", "mean_return")
    VOLATILITY_COLUMN: ClassVar[int] = 0

    values: NDArray[np.float64]
    end_indices: NDArray[np.int64]
    window: int


def log_returns(prices: ArrayLike) -> NDArray[np.float64]:
    """Log returns ln(p_t / p_{t-1}) of a 1-D price series (one fewer element than prices)."""
    series = as_finite_vector(prices, "prices")
    non_positive = np.flatnonzero(series <= 0)
    if non_positive.size:
        index = int(non_positive[0])
        raise NonPositivePriceError(
            f"price at index {index} is {series[index]!r}; log returns need prices > 0"
        )
    if series.shape[0] < 2:
        raise TooFewObservationsError(f"log returns need at least 2 prices, got {series.shape[0]}")
    return np.diff(np.log(series))


def regime_features(returns: ArrayLike, *, window: int) -> RegimeFeatures:
    """Rolling realised volatility and mean return over ``window`` returns (window >= 2).

    The first row covers returns[0 : window]; a series of T returns gives T - window + 1 rows.
    """
    series = as_finite_vector(returns, "returns")
    length = _window(window, series.shape[0], "returns")
    windows = sliding_window_view(series, length)
    volatility = np.sqrt(np.mean(windows * windows, axis=1))
    mean_return = windows.mean(axis=1)
    values = np.column_stack([volatility, mean_return])
    values.setflags(write=False)
    end_indices = np.arange(length - 1, series.shape[0], dtype=np.int64)
    end_indices.setflags(write=False)
    return RegimeFeatures(values=values, end_indices=end_indices, window=length)


def regime_features_from_prices(prices: ArrayLike, *, window: int) -> RegimeFeatures:
    """:func:`regime_features` of the log returns of ``prices``; indices refer to prices."""
    returns = log_returns(prices)
    _window(window, returns.shape[0], "log returns (one fewer than prices)")
    from_returns = regime_features(returns, window=window)
    end_indices = from_returns.end_indices + 1
    end_indices.setflags(write=False)
    return RegimeFeatures(
        values=from_returns.values, end_indices=end_indices, window=from_returns.window
    )


def _window(window: int, available: int, what: str) -> int:
    length = integer_parameter(window, "window")
    if length < 2:
        raise InvalidParameterError(
            f"window must be >= 2 (one return has no dispersion to measure), got {length}"
        )
    if available < length:
        raise TooFewObservationsError(
            f"window of {length} needs at least {length} {what}, got {available}"
        )
    return length
