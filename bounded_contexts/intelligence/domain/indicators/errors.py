"""Errors raised by the technical indicators.

Every error subclasses ``ValueError`` (bad input is a value problem) through ``IndicatorError``,
so callers can catch the whole family at once, and every message names the cause: the array
and position (``close[1234] is NaN``) for batch input, the field and value for a streaming bar.
"""

from __future__ import annotations


class IndicatorError(ValueError):
    """Base class of every indicator error."""


class InvalidSeriesError(IndicatorError):
    """A batch input array is unusable: non-finite value, wrong shape, mismatched lengths,
    high below low, non-positive price where a logarithm is taken, negative volume."""


class InvalidParameterError(IndicatorError):
    """An indicator parameter (deviation multiplier, annualisation factor, ...) is out of range."""


class InvalidPeriodError(InvalidParameterError):
    """A look-back period is not an integer or is below the indicator's minimum."""


class InvalidBarError(IndicatorError):
    """A streaming update received an unusable value; the indicator state is left unchanged."""


class InvalidSnapshotError(IndicatorError):
    """A snapshot cannot be restored: wrong indicator kind, unknown format or missing state."""
