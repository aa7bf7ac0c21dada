"""Exposure reports: long, short, gross and net exposure by instrument, cluster, sector,
currency and country, optionally as fractions of equity — in exact Decimal arithmetic.

Positions come from the ledger with Decimal market values, so money stays Decimal here:
amounts are accepted as ``Decimal`` or ``int`` and every figure is returned as ``Decimal``.
Binary floats are refused (``0.1`` is not a tenth); convert them deliberately with
``Decimal(str(x))`` at the boundary where their precision is known.

Conventions (all amounts in the one reporting currency the market values are expressed in;
``currency`` is the instrument's denomination, used only to group):

* ``long``  = sum of the positive market values in the group;
* ``short`` = sum of the absolute values of the negative ones (a positive magnitude);
* ``gross`` = long + short, ``net`` = long - short.
* With ``equity`` given (strictly positive), each figure is also reported divided by equity
  (e.g. gross / equity = gross leverage).

Each instrument appears once (a duplicate is refused, since its two rows might disagree on
sector or country); net a position across accounts before reporting. Arithmetic runs in a
local decimal context of 28 significant digits with banker's rounding, independent of the
caller's thread context.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from .errors import InstrumentMappingError, InvalidMoneyError, InvalidParameterError

_CONTEXT = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)
_ZERO = Decimal(0)


def as_money(value: object, what: str) -> Decimal:
    """A finite Decimal from a Decimal or int; floats, NaN and infinities are refused."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise InvalidMoneyError(
            f"{what} must be a Decimal (or int), got {type(value).__name__} {value!r}; "
            "floats are not exact money — convert with Decimal(str(x)) deliberately"
        )
    amount = Decimal(value)
    if not amount.is_finite():
        raise InvalidMoneyError(f"{what} must be finite, got {value!r}")
    return amount


@dataclass(frozen=True, slots=True)
class PositionExposure:
    """One position and the attributes it is grouped by."""

    instrument: str
    market_value: Decimal
    cluster: str
    sector: str
    currency: str
    country: str

    def __post_init__(self) -> None:
        for name in ("instrument", "cluster", "sector", "currency", "country"):
            text = getattr(self, name)
            if not isinstance(text, str) or not text:
                raise InstrumentMappingError(
                    f"position {self.instrument!r}: {name} must be a non-empty string, got {text!r}"
                )
        amount = as_money(self.market_value, f"market value of {self.instrument!r}")
        object.__setattr__(self, "market_value", amount)


@dataclass(frozen=True, slots=True)
class ExposureLine:
    """Long, short (positive magnitude), gross and net exposure of one group.

    The ``*_fraction`` fields are the same divided by equity, ``None`` when no equity was given.
    """

    long: Decimal
    short: Decimal
    gross: Decimal
    net: Decimal
    long_fraction: Decimal | None
    short_fraction: Decimal | None
    gross_fraction: Decimal | None
    net_fraction: Decimal | None


@dataclass(frozen=True, slots=True)
class ExposureReport:
    """Exposure of the whole book and of every instrument, cluster, sector, currency, country."""

    equity: Decimal | None
    total: ExposureLine
    by_instrument: Mapping[str, ExposureLine]
    by_cluster: Mapping[str, ExposureLine]
    by_sector: Mapping[str, ExposureLine]
    by_currency: Mapping[str, ExposureLine]
    by_country: Mapping[str, ExposureLine]


def _line(values: Iterable[Decimal], equity: Decimal | None) -> ExposureLine:
    long = _ZERO
    short = _ZERO
    for value in values:
        if value > 0:
            long = _CONTEXT.add(long, value)
        elif value < 0:
            short = _CONTEXT.subtract(short, value)
    gross = _CONTEXT.add(long, short)
    net = _CONTEXT.subtract(long, short)
    if equity is None:
        return ExposureLine(long, short, gross, net, None, None, None, None)
    return ExposureLine(
        long,
        short,
        gross,
        net,
        _CONTEXT.divide(long, equity),
        _CONTEXT.divide(short, equity),
        _CONTEXT.divide(gross, equity),
        _CONTEXT.divide(net, equity),
    )


def _grouped(
    positions: Sequence[PositionExposure],
    key: Callable[[PositionExposure], str],
    equity: Decimal | None,
) -> Mapping[str, ExposureLine]:
    members: dict[str, list[Decimal]] = {}
    for position in positions:
        members.setdefault(key(position), []).append(position.market_value)
    return MappingProxyType({name: _line(members[name], equity) for name in sorted(members)})


def exposure_report(
    positions: Sequence[PositionExposure], equity: Decimal | int | None = None
) -> ExposureReport:
    """Long/short/gross/net exposure at every grouping level (see module docstring)."""
    book = tuple(positions)
    for index, position in enumerate(book):
        if not isinstance(position, PositionExposure):
            raise InvalidParameterError(
                f"position {index} must be a PositionExposure, got {type(position).__name__}"
            )
    seen: set[str] = set()
    for position in book:
        if position.instrument in seen:
            raise InstrumentMappingError(
                f"instrument {position.instrument!r} appears in more than one position; "
                "net it into one position before the exposure report"
            )
        seen.add(position.instrument)
    capital: Decimal | None = None
    if equity is not None:
        capital = as_money(equity, "equity")
        if capital <= 0:
            raise InvalidMoneyError(
                f"equity must be strictly positive to express exposure as a fraction of it, "
                f"got {equity!r}"
            )
    return ExposureReport(
        equity=capital,
        total=_line((p.market_value for p in book), capital),
        by_instrument=_grouped(book, lambda p: p.instrument, capital),
        by_cluster=_grouped(book, lambda p: p.cluster, capital),
        by_sector=_grouped(book, lambda p: p.sector, capital),
        by_currency=_grouped(book, lambda p: p.currency, capital),
        by_country=_grouped(book, lambda p: p.country, capital),
    )
