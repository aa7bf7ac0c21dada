"""Technical indicators of the intelligence context, in two forms with identical results.

* ``batch``: functions over float64 arrays (NaN in warm-up), TA-Lib conventions.
* ``streaming``: one O(1)-per-bar class per indicator with snapshot / restore.
* ``bank``: ``IndicatorBank`` (the live pipeline's entry point) and ``compute_batch``.

See docs/quant/indicators.md for formulas, warm-up and the TA-Lib comparison.
"""
