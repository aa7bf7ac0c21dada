"""Pre-trade limits every sizing rule obeys, and the one function that applies them.

A sizing rule proposes an *uncapped* quantity from its formula; ``apply_limits`` turns it
into a tradable one in a fixed order:

1. cap by the notional limits, each converted to a quantity at the given price —
   ``max_order_notional``, ``max_position_notional`` and the gross-exposure headroom
   ``max_gross_exposure - gross_exposure_in_use``;
2. round DOWN to a whole number of lots (never up: rounding up could breach a cap);
3. drop to zero when the result is below ``min_order_quantity`` (the venue would reject it).

All divisions run in a local Decimal context rounding toward minus infinity, so a quotient is
never rounded up past a cap in its last digit.

Quantities are unsigned sizes of the position to open in one order from flat; the direction
(buy or sell) is decided elsewhere. The result names the constraint that made the final
quantity differ from the uncapped one, so an operator can see why an order was small.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Context, Decimal, localcontext
from enum import StrEnum

from ._checks import as_money
from .errors import InvalidSizingInput, InvalidSizingLimits

#: Precision of sizing arithmetic: IEEE decimal128 (34 significant digits), rounding floor.
SIZING_CONTEXT = Context(prec=34, rounding=ROUND_FLOOR)


class BindingLimit(StrEnum):
    """The constraint that determined a sized quantity (compares equal to its string name)."""

    MAX_ORDER_NOTIONAL = "max_order_notional"
    MAX_POSITION_NOTIONAL = "max_position_notional"
    MAX_GROSS_EXPOSURE = "max_gross_exposure"
    LOT_SIZE = "lot_size"
    MIN_ORDER_QUANTITY = "min_order_quantity"


@dataclass(frozen=True, slots=True)
class SizingLimits:
    """Pre-trade limits, all in account currency (notionals) or instrument units (quantities).

    Attributes:
        max_order_notional: largest ``quantity * price`` of a single order (> 0).
        max_position_notional: largest ``quantity * price`` held in this instrument (> 0).
        max_gross_exposure: largest sum of absolute notionals over the whole book (> 0).
        lot_size: quantity increment accepted by the venue (> 0); results are multiples of it.
        min_order_quantity: smallest order the venue accepts (>= 0); smaller results become 0.

    There are deliberately no defaults: a limit nobody chose is a limit nobody checked.
    """

    max_order_notional: Decimal
    max_position_notional: Decimal
    max_gross_exposure: Decimal
    lot_size: Decimal
    min_order_quantity: Decimal

    def __post_init__(self) -> None:
        for name in (
            "max_order_notional",
            "max_position_notional",
            "max_gross_exposure",
            "lot_size",
        ):
            value = as_money(f"SizingLimits.{name}", getattr(self, name), error=InvalidSizingLimits)
            if value <= 0:
                raise InvalidSizingLimits(f"SizingLimits.{name} must be > 0, got {value}")
            object.__setattr__(self, name, value)
        minimum = as_money(
            "SizingLimits.min_order_quantity", self.min_order_quantity, error=InvalidSizingLimits
        )
        if minimum < 0:
            raise InvalidSizingLimits(
                f"SizingLimits.min_order_quantity must be >= 0, got {minimum}"
            )
        object.__setattr__(self, "min_order_quantity", minimum)


@dataclass(frozen=True, slots=True)
class SizingResult:
    """A sized quantity and why it is what it is.

    Attributes:
        quantity: tradable size: a multiple of the lot size, within every cap, and either 0
            or at least the minimum order quantity.
        uncapped: what the sizing formula asked for, before any limit or rounding.
        binding_limit: ``None`` exactly when ``quantity == uncapped``; otherwise the limit
            that made them differ — the tightest notional cap if one bound, ``LOT_SIZE`` if
            only lot rounding trimmed it, ``MIN_ORDER_QUANTITY`` if it was dropped to zero.
    """

    quantity: Decimal
    uncapped: Decimal
    binding_limit: BindingLimit | None


def apply_limits(
    uncapped: Decimal,
    *,
    price: Decimal,
    limits: SizingLimits,
    gross_exposure_in_use: Decimal = Decimal(0),
) -> SizingResult:
    """Cap, lot-round and minimum-check an uncapped quantity (see the module docstring).

    ``gross_exposure_in_use`` is the absolute notional already held in *other* positions;
    the headroom left under ``max_gross_exposure`` caps this position. Exposed publicly so a
    custom sizing rule can reuse exactly the same limit logic as the built-in ones.
    """
    if not isinstance(limits, SizingLimits):
        raise InvalidSizingInput(f"limits must be a SizingLimits, got {type(limits).__name__}")
    wanted = as_money("uncapped quantity", uncapped)
    if wanted < 0:
        raise InvalidSizingInput(f"uncapped quantity must be >= 0, got {wanted}")
    unit_price = as_money("price", price)
    if unit_price <= 0:
        raise InvalidSizingInput(f"price must be > 0, got {unit_price}")
    in_use = as_money("gross_exposure_in_use", gross_exposure_in_use)
    if in_use < 0:
        raise InvalidSizingInput(f"gross_exposure_in_use must be >= 0, got {in_use}")

    with localcontext(SIZING_CONTEXT):
        caps = (
            (BindingLimit.MAX_ORDER_NOTIONAL, limits.max_order_notional / unit_price),
            (BindingLimit.MAX_POSITION_NOTIONAL, limits.max_position_notional / unit_price),
            (
                BindingLimit.MAX_GROSS_EXPOSURE,
                max(limits.max_gross_exposure - in_use, Decimal(0)) / unit_price,
            ),
        )
        binding: BindingLimit | None = None
        capped = wanted
        for name, cap in caps:  # strict '<': on a tie the first-listed cap is reported
            if cap < capped:
                binding, capped = name, cap
        lots = (capped / limits.lot_size).to_integral_value(rounding=ROUND_FLOOR)
        quantity = lots * limits.lot_size

    if binding is None and quantity != wanted:
        binding = BindingLimit.LOT_SIZE
    if 0 < quantity < limits.min_order_quantity:
        quantity, binding = Decimal(0) * limits.lot_size, BindingLimit.MIN_ORDER_QUANTITY
    return SizingResult(quantity=quantity, uncapped=wanted, binding_limit=binding)
