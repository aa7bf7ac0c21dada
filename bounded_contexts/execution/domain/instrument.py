"""An instrument's trading terms as execution knows them: lot size and tick size.

Learnt from ``ingestion.InstrumentListed`` (version 2 carries both); orders are checked
against them before anything is recorded, so an order for ``1e-30`` shares or at a price of
``100.00001`` on a 0.01 tick is refused with the field at fault instead of being filled.

Every check works on the exact rational value of the Decimals (:class:`fractions.Fraction`):
``Decimal`` remainder depends on the context precision (28 digits) and raises on large
quotients, and the size of the inputs is bounded first (:data:`MAX_QUANTITY_DIGITS`,
:data:`MAX_DECIMAL_PLACES`) so the exact arithmetic stays cheap whatever a caller sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from math import floor

from bounded_contexts.execution.domain.errors import InvalidOrder, PriceOffTick, QuantityOffLot

DEFAULT_LOT_SIZE = Decimal(1)
"""Lot size of an instrument listed without one (the ingestion v1 upcast uses the same)."""
DEFAULT_TICK_SIZE = Decimal("0.0001")
"""Tick size of an instrument listed without one (the ingestion v1 upcast uses the same)."""
MAX_QUANTITY_DIGITS = 12
"""Integer digits an order quantity may have (below 10**12 units). A hard sanity bound, not
a risk limit (that is ``PreTradeLimits.max_order_quantity``): beyond it the command is
malformed and nothing is recorded, so an absurd number never reaches the event log."""
MAX_PRICE_DIGITS = 12
"""Integer digits a limit price may have, for the same reason."""
MAX_DECIMAL_PLACES = 12
"""Decimal places a quantity or price may be written with (finer than any lot or tick)."""


def _bounded(value: Decimal, *, what: str, field: str, digits: int) -> Fraction:
    """The exact value of a finite, positive Decimal of bounded size; else ``InvalidOrder``."""
    if not value.is_finite():
        raise InvalidOrder(f"{what} must be a finite number, got {value}", field=field)
    if value <= 0:
        raise InvalidOrder(f"{what} must be positive, got {value}", field=field)
    if value.adjusted() >= digits:
        raise InvalidOrder(
            f"{what} has more than {digits} integer digits (at most {10**digits - 1})",
            field=field,
        )
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMAL_PLACES:
        raise InvalidOrder(
            f"{what} {value} has more than {MAX_DECIMAL_PLACES} decimal places", field=field
        )
    return Fraction(value)


@dataclass(frozen=True)
class InstrumentTerms:
    """Lot and tick size of one instrument (both positive), and its listing MIC."""

    instrument_id: str
    lot_size: Decimal = DEFAULT_LOT_SIZE
    tick_size: Decimal = DEFAULT_TICK_SIZE
    mic: str | None = None
    """The listing venue's MIC (``InstrumentListed.mic``): where the simulated exchange
    executes it, by default. ``None`` when the listing is not known to execution."""

    def __post_init__(self) -> None:
        for name, value in (("lot_size", self.lot_size), ("tick_size", self.tick_size)):
            if not value.is_finite() or value <= 0:
                raise ValueError(f"{self.instrument_id}: {name} must be positive, got {value}")

    def check_quantity(self, quantity: Decimal) -> None:
        """Raise ``InvalidOrder`` (``QuantityOffLot``) unless a positive whole number of lots."""
        exact = _bounded(quantity, what="quantity", field="quantity", digits=MAX_QUANTITY_DIGITS)
        if (exact / Fraction(self.lot_size)).denominator != 1:
            raise QuantityOffLot(quantity, self.lot_size, self.instrument_id)

    def check_limit_price(self, price: Decimal, field: str = "limit_price") -> None:
        """Raise ``InvalidOrder`` (``PriceOffTick``) unless a positive whole number of ticks.
        ``field``: which of the order's prices it is (a stop price, a trail amount are priced
        on the same tick)."""
        what = field.replace("_", " ")
        exact = _bounded(price, what=what, field=field, digits=MAX_PRICE_DIGITS)
        if (exact / Fraction(self.tick_size)).denominator != 1:
            raise PriceOffTick(price, self.tick_size, self.instrument_id, field=field)

    def round_down_to_lot(self, quantity: Decimal) -> Decimal:
        """The largest whole number of lots not above ``quantity`` (0 when under one lot).

        Exact (rational floor), so the same decision always becomes the same order: replay
        stays deterministic.
        """
        if not quantity.is_finite() or quantity <= 0:
            return Decimal(0)
        lots = floor(Fraction(quantity) / Fraction(self.lot_size))
        return lots * self.lot_size
