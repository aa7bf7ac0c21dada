"""Argument checks shared by the sizing rules and limits.

Money and quantities must arrive as ``decimal.Decimal`` (``int`` is accepted because it is
exact): a float price would smuggle binary rounding into an order quantity. Ratios
(volatilities, probabilities, fractions) may be floats; they are converted with
``Decimal(repr(x))`` so that ``0.2`` becomes ``Decimal("0.2")`` and not the 55-digit binary
expansion of the float.
"""

from __future__ import annotations

import math
from decimal import Decimal

from .errors import InvalidSizingInput

Ratio = float | int | Decimal


def as_money(name: str, value: object, *, error: type[ValueError] = InvalidSizingInput) -> Decimal:
    """Return ``value`` as a finite Decimal, or raise ``error`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise error(
            f"{name} must be a decimal.Decimal (money and quantities are exact), "
            f"got {type(value).__name__} {value!r}"
        )
    amount = Decimal(value)
    if not amount.is_finite():
        raise error(f"{name} must be finite, got {amount}")
    return amount


def as_ratio(name: str, value: object) -> Decimal:
    """Return a float/int/Decimal ratio as an exact Decimal, or raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, float | int | Decimal):
        raise InvalidSizingInput(
            f"{name} must be a real number (float or Decimal), got {type(value).__name__} {value!r}"
        )
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidSizingInput(f"{name} must be finite, got {value}")
        return Decimal(repr(value))
    ratio = Decimal(value)
    if not ratio.is_finite():
        raise InvalidSizingInput(f"{name} must be finite, got {ratio}")
    return ratio


def require_positive(name: str, value: Decimal) -> Decimal:
    """Raise unless ``value > 0``."""
    if value <= 0:
        raise InvalidSizingInput(f"{name} must be > 0, got {value}")
    return value


def require_non_negative(name: str, value: Decimal) -> Decimal:
    """Raise unless ``value >= 0``."""
    if value < 0:
        raise InvalidSizingInput(f"{name} must be >= 0, got {value}")
    return value


def require_fraction(name: str, value: Decimal) -> Decimal:
    """Raise unless ``0 < value <= 1`` (a share of equity or of a risk allowance)."""
    if not 0 < value <= 1:
        raise InvalidSizingInput(f"{name} must lie in (0, 1], got {value}")
    return value


def require_probability(name: str, value: Decimal) -> Decimal:
    """Raise unless ``0 <= value <= 1``."""
    if not 0 <= value <= 1:
        raise InvalidSizingInput(f"{name} must lie in [0, 1], got {value}")
    return value
