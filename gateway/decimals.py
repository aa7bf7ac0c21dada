"""One scale per kind of number, so that a client never sees ``"1000000"`` beside
``"998472.0594"`` and ``"-1253.860600000000"`` (PostgreSQL's NUMERIC keeps whatever scale its
arithmetic produced). The scales are documented in docs/graphql.md:

* money (cash, P&L, fees, equity, market values): exactly :data:`MONEY_PLACES` decimals —
  prices carry 4 and quantities are whole lots, so amounts are exact at 4; finer figures (a
  P&L against a 6-decimal average price) are rounded half-even;
* prices (limit, fill, bar, last): at least :data:`PRICE_PLACES` decimals, never rounded
  (prices are on the instrument's tick, which may be finer);
* average prices: exactly :data:`AVERAGE_PLACES` decimals (they are averages, not ticks);
* quantities: as few decimals as the value needs (``"10"``, ``"0.5"``), never an exponent.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal

MONEY_PLACES = 4
PRICE_PLACES = 4
AVERAGE_PLACES = 6

_EXACT = Context(prec=200, rounding=ROUND_HALF_EVEN)
"""Room for any product of two bounded inputs (20 + 10 digits each): quantizing never fails."""
_MONEY = Decimal(1).scaleb(-MONEY_PLACES)
_PRICE = Decimal(1).scaleb(-PRICE_PLACES)
_AVERAGE = Decimal(1).scaleb(-AVERAGE_PLACES)


def money(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(_MONEY, context=_EXACT)


def price(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    normal = value.normalize(_EXACT)
    exponent = normal.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -PRICE_PLACES:
        return normal
    return value.quantize(_PRICE, context=_EXACT)


def average_price(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(_AVERAGE, context=_EXACT)


def quantity(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    normal = value.normalize(_EXACT)
    exponent = normal.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        return normal.quantize(Decimal(1), context=_EXACT)
    return normal
