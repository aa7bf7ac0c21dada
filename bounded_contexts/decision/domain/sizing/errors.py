"""Errors raised by position sizing.

Every error subclasses ``ValueError`` (bad input is a value problem) through
``SizingError``, so a caller can catch the whole family with one clause.
"""

from __future__ import annotations


class SizingError(ValueError):
    """Base class of every position-sizing error."""


class InvalidSizingInput(SizingError):
    """A sizing rule was given an argument outside its domain (the message names it)."""


class InvalidSizingLimits(SizingError):
    """A ``SizingLimits`` field is missing a sensible value (the message names the field)."""
