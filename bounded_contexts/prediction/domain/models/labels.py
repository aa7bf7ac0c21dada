"""Labels of the direction models: down / neutral / up over several horizons.

A move counts as neutral while its log return stays within a band; the band widens with the
square root of the horizon (a random walk's spread), so one setting means the same thing for a
1-bar and a 30-bar horizon. The last ``h`` rows of a series have no known ``h``-bar move and
are labelled :data:`UNKNOWN`: no model is trained or scored on a future it could not know.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .direction import DOWN, NEUTRAL, UNKNOWN, UP, ModelInputError


def neutral_bands(horizons: Sequence[int], band_one_bar: float) -> np.ndarray:
    """Each horizon's neutral band in log-return units."""
    if band_one_bar < 0 or not np.isfinite(band_one_bar):
        raise ModelInputError(f"the neutral band must be >= 0, got {band_one_bar}")
    return band_one_bar * np.sqrt(np.asarray(horizons, dtype=np.float64))


def direction_labels(
    closes: np.ndarray, horizons: Sequence[int], band_one_bar: float
) -> np.ndarray:
    """``(n, len(horizons))`` int8 labels from ``n`` closes in time order."""
    prices = np.asarray(closes, dtype=np.float64)
    if prices.ndim != 1:
        raise ModelInputError(f"closes must be one-dimensional, got shape {prices.shape}")
    if len(prices) and not (np.isfinite(prices).all() and (prices > 0).all()):
        raise ModelInputError("closes must be positive and finite")
    if not horizons or any(int(h) < 1 for h in horizons):
        raise ModelInputError(f"horizons must be positive bar counts, got {tuple(horizons)}")
    bands = neutral_bands(horizons, band_one_bar)
    logs = np.log(prices) if len(prices) else prices
    n = len(prices)
    labels = np.full((n, len(horizons)), UNKNOWN, dtype=np.int8)
    for column, (h, band) in enumerate(zip(horizons, bands, strict=True)):
        if h >= n:
            continue
        move = logs[h:] - logs[:-h]
        labels[: n - h, column] = np.where(move > band, UP, np.where(move < -band, DOWN, NEUTRAL))
    return labels
