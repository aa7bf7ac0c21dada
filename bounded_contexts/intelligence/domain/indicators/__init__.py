"""Technical indicators of the intelligence context, in two forms with identical results.

* ``batch``: functions over float64 arrays (NaN in warm-up), TA-Lib conventions.
* ``streaming``: one O(1)-per-bar class per indicator with snapshot / restore.
* ``bank``: ``IndicatorBank`` (the live pipeline's entry point) and ``compute_batch``.

See docs/quant/indicators.md for formulas, warm-up and the TA-Lib comparison.
"""

from .bank import BANK_OUTPUT_NAMES, IndicatorBank, IndicatorBankConfig, compute_batch
from .errors import (
    IndicatorError,
    InvalidBarError,
    InvalidParameterError,
    InvalidPeriodError,
    InvalidSeriesError,
    InvalidSnapshotError,
)

__all__ = [
    "BANK_OUTPUT_NAMES",
    "IndicatorBank",
    "IndicatorBankConfig",
    "IndicatorError",
    "InvalidBarError",
    "InvalidParameterError",
    "InvalidPeriodError",
    "InvalidSeriesError",
    "InvalidSnapshotError",
    "compute_batch",
]
