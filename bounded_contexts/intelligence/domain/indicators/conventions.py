"""Numerical conventions shared by the batch and streaming forms.

Both forms must take the same decision on a degenerate window (flat prices, constant returns),
so the thresholds live here and nowhere else.
"""

from __future__ import annotations

import math
import sys

#: A window's centred sum of squares ``sum(x**2) - sum(x)**2 / n`` is treated as exactly zero when
#: it is at most this fraction of ``sum(x**2)``. Rounding in the running sums leaves residue of a
#: few ``n * 2.2e-16`` of ``sum(x**2)`` on a truly flat window; the threshold sits well above that
#: residue and well below any real dispersion (it means std/|mean| < 1e-6 for price windows).
#: TA-Lib computes such windows literally (flat gives 0 there too, near-flat gives tiny values);
#: the deliberate difference is documented in docs/quant/indicators.md.
ZERO_DISPERSION_RELATIVE_TOLERANCE: float = 1e-12

#: A window whose sum of squares ``sum(x**2)`` is below this is flat as well, whatever its centred
#: sum. The relative test above needs ``ZERO_DISPERSION_RELATIVE_TOLERANCE * sum(x**2)`` to be a
#: normal float; below ``sys.float_info.min / tolerance`` (~2.2e-296, every |x| under ~1.5e-148)
#: the centred sum lands among the denormals, which carry a handful of significant bits (1e-320
#: has about 11), so it is rounding noise, not dispersion: a co-moment divided by it gave betas of
#: 1e124 and correlations of 0.44 where the exact answer was 0.5. No price or return is that small.
ZERO_DISPERSION_FLOOR: float = sys.float_info.min / ZERO_DISPERSION_RELATIVE_TOLERANCE

#: Parkinson (1980): E[ln(H/L)^2] = 4 ln 2 * sigma^2 for a driftless Brownian log-price.
PARKINSON_VARIANCE_FACTOR: float = 1.0 / (4.0 * math.log(2.0))


def ema_gain(period: int) -> float:
    """Weight of the newest value in a TA-Lib EMA: k = 2 / (period + 1)."""
    return 2.0 / (period + 1)


def wilder_gain(period: int) -> float:
    """Weight of the newest value in Wilder's smoothing: 1 / period."""
    return 1.0 / period


def wilder_decay(period: int) -> float:
    """Weight of the previous average in Wilder's smoothing: (period - 1) / period."""
    return (period - 1) / period
