"""Errors raised by the risk analytics (VaR, expected shortfall, stress, backtests, exposure).

Every error subclasses :class:`RiskError`, itself a :class:`ValueError`, so a caller that only
cares about "the input was wrong" catches one class, while tests and operators get a specific
type whose message names the cause — and, for arrays, the offending position and instrument.
"""

from __future__ import annotations


class RiskError(ValueError):
    """Base class: the risk figure cannot be computed from the input as given."""


class InvalidConfidenceError(RiskError):
    """A VaR confidence level (or a test significance level) is not strictly inside (0, 1)."""

    def __init__(self, name: str, value: object) -> None:
        self.name = name
        self.value = value
        super().__init__(
            f"{name} must be a finite number strictly between 0 and 1 (e.g. 0.99), got {value!r}"
        )


class InvalidHorizonError(RiskError):
    """The holding period is not an integer number of days >= 1."""

    def __init__(self, value: object) -> None:
        self.value = value
        super().__init__(f"horizon must be an integer number of days >= 1, got {value!r}")


class NonFiniteInputError(RiskError):
    """An input array holds NaN or +-inf; the message names the first offending position."""

    def __init__(self, what: str, position: tuple[int, ...], value: float, label: str = "") -> None:
        self.what = what
        self.position = position
        self.value = value
        self.label = label
        where = ", ".join(str(i) for i in position)
        named = f" ({label})" if label else ""
        super().__init__(
            f"{what} contain a non-finite value {value!r} at position [{where}]{named}; "
            "clean or drop missing observations before computing risk"
        )


class DimensionMismatchError(RiskError):
    """Arrays do not line up: wrong number of dimensions, or lengths that disagree."""


class InsufficientObservationsError(RiskError):
    """Too few scenarios for an empirical tail: fewer than one observation beyond the VaR."""

    def __init__(self, observations: int, confidence: float, required: int, what: str) -> None:
        self.observations = observations
        self.confidence = confidence
        self.required = required
        super().__init__(
            f"{what}: {observations} observation(s) cannot support an empirical VaR/ES at "
            f"confidence {confidence}: at least {required} are needed so that the scenarios n "
            "satisfy n * (1 - confidence) >= 1 (one whole observation in the tail)"
        )


class InvalidDegreesOfFreedomError(RiskError):
    """Student-t degrees of freedom must be finite and > 2 so that the variance exists."""

    def __init__(self, value: object) -> None:
        self.value = value
        super().__init__(
            f"Student-t degrees of freedom nu must be a finite number > 2 (the variance "
            f"nu / (nu - 2) must exist to scale the distribution to a covariance), got {value!r}"
        )


class InvalidCovarianceError(RiskError):
    """A covariance matrix is not square, not symmetric, or has a negative variance."""


class NotPositiveSemiDefiniteError(RiskError):
    """A covariance has a negative eigenvalue and the caller chose ``repair="refuse"``."""

    def __init__(self, min_eigenvalue: float, index: int, tolerance: float) -> None:
        self.min_eigenvalue = min_eigenvalue
        self.index = index
        self.tolerance = tolerance
        super().__init__(
            f"covariance is not positive semi-definite: its most negative eigenvalue is "
            f"{min_eigenvalue:.6g} (eigenvalue #{index} in ascending order, tolerance "
            f"{tolerance:.3g}); pass repair='nearest' to project it onto the nearest "
            "positive semi-definite matrix, or fix the estimate"
        )


class InstrumentMappingError(RiskError):
    """Instrument ids are duplicated, empty, or missing from a cluster/attribute mapping."""


class UnknownScenarioTargetError(RiskError):
    """A stress scenario shocks an instrument, cluster or factor that the portfolio lacks."""

    def __init__(self, scenario: str, level: str, unknown: list[str], known: list[str]) -> None:
        self.scenario = scenario
        self.level = level
        self.unknown = unknown
        shown = ", ".join(repr(k) for k in known[:10]) + (" ..." if len(known) > 10 else "")
        super().__init__(
            f"stress scenario {scenario!r} shocks unknown {level}(s) "
            f"{', '.join(repr(u) for u in unknown)}; known {level}s: {shown or 'none'}"
        )


class InvalidShockError(RiskError):
    """A stress shock is non-finite, or a price return below -100%."""


class InvalidParameterError(RiskError):
    """A tuning parameter (decay, scenario count, seed, method, date range ...) is out of domain."""


class InvalidMoneyError(RiskError):
    """A money amount is not a finite Decimal/int (or equity is not strictly positive)."""
