"""Position sizing for the decision context: four rules, one set of pre-trade limits.

Money and quantities are ``decimal.Decimal``; see ``docs/quant/sizing.md``.
"""

from .errors import InvalidSizingInput, InvalidSizingLimits, SizingError
from .limits import BindingLimit, SizingLimits, SizingResult, apply_limits
from .rules import (
    fixed_fractional_quantity,
    full_kelly_fraction,
    kelly_quantity,
    risk_budget_quantity,
    volatility_target_quantity,
)

__all__ = [
    "BindingLimit",
    "InvalidSizingInput",
    "InvalidSizingLimits",
    "SizingError",
    "SizingLimits",
    "SizingResult",
    "apply_limits",
    "fixed_fractional_quantity",
    "full_kelly_fraction",
    "kelly_quantity",
    "risk_budget_quantity",
    "volatility_target_quantity",
]
