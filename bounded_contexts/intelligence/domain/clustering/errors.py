"""Errors raised by instrument clustering and regime detection.

Every error subclasses :class:`ClusteringError`, itself a :class:`ValueError`, so callers that
only care about "the input was wrong" can catch one class, while tests and operators get a
specific type and a message that names the cause (and the position for arrays).
"""

from __future__ import annotations


class ClusteringError(ValueError):
    """Base class: the input cannot be clustered or classified as given."""


class InputShapeError(ClusteringError):
    """An array has the wrong number of dimensions, or rows and columns that do not line up."""


class NonFiniteValueError(ClusteringError):
    """An input array holds NaN or ±inf; the message names the first offending row and column."""

    def __init__(self, what: str, row: int, column: int, value: float, label: str = "") -> None:
        self.what = what
        self.row = row
        self.column = column
        self.value = value
        named = f" ({label})" if label else ""
        super().__init__(
            f"{what} contain a non-finite value {value!r} at row {row}, column {column}{named}; "
            "clean or drop missing observations before clustering"
        )


class TooFewInstrumentsError(ClusteringError):
    """Fewer than two instruments: there is nothing to group."""


class InstrumentIdError(ClusteringError):
    """Instrument ids do not match the data: wrong count, duplicates, empty or not strings."""


class ConstantSeriesError(ClusteringError):
    """A column never changes, so its correlation (or its standardised value) is undefined."""

    def __init__(self, what: str, column: int, instrument_id: str | None = None) -> None:
        self.column = column
        self.instrument_id = instrument_id
        named = f" (instrument {instrument_id!r})" if instrument_id else ""
        super().__init__(
            f"{what} in column {column}{named} is constant: its variance is zero (or "
            "underflows), so correlation and standardisation are undefined; remove it or fix "
            "the feed"
        )


class TooFewObservationsError(ClusteringError):
    """Not enough rows (time steps or points) for the requested estimate."""


class InvalidClusterCountError(ClusteringError):
    """The requested number of clusters (or regimes) is not an integer in the admissible range."""


class InvalidParameterError(ClusteringError):
    """A tuning parameter (linkage, threshold, eps, window, names ...) is out of its domain."""


class SilhouetteUndefinedError(ClusteringError):
    """Silhouette needs 2 <= clusters <= points - 1; one cluster or all singletons have none."""


class RegimeFitError(ClusteringError):
    """The Gaussian mixture did not converge; the regimes it would report are not trustworthy."""


class NonPositivePriceError(ClusteringError):
    """A price is zero or negative, so its log return is undefined."""
