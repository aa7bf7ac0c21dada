"""Errors raised by the performance KPIs.

All subclass ``ValueError`` through ``PerformanceError`` so one clause catches the family.
Messages name the argument and, for series, the first offending position.
"""

from __future__ import annotations


class PerformanceError(ValueError):
    """Base class of every performance-measurement error."""


class InvalidSeries(PerformanceError):
    """An equity curve, return, position or timestamp series is malformed (message says where)."""


class InvalidTrade(PerformanceError):
    """A ``RoundTrip`` field is inconsistent (message names the field)."""


class InvalidParameter(PerformanceError):
    """A scalar parameter (periods per year, risk-free rate, ...) is out of its domain."""
