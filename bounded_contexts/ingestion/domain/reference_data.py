"""Instrument reference data checked against the ISO standards, never guessed or corrected.

ISIN (ISO 6166) by its check digit and ISO 3166 country prefix (``python-stdnum``), MIC
(ISO 10383) by format and by membership, active, in a registry, currency (ISO 4217) by
``pycountry``. Codes are refused, not upper-cased, when written in lower case or with non-ASCII
letters: a reference file that spells them so was produced by something that cannot be trusted
with the rest of the row either. The libraries hold the standards' tables; nothing here is a
hand-written list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

import pycountry
from iso10383 import MIC
from stdnum import isin as stdnum_isin
from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError

from bounded_contexts.ingestion.domain.events import (
    DEFAULT_LOT_SIZE,
    DEFAULT_TICK_SIZE,
    InstrumentListed,
)
from bounded_contexts.ingestion.domain.numbers import NumberRejected, plain_decimal
from bounded_contexts.ingestion.domain.text import shown

INSTRUMENT_ID = re.compile(r"[A-Za-z0-9._-]{1,32}")
"""What every context keys on, topic keys and file names included: short ASCII only."""
MAX_NAME_LENGTH = 200
"""Longer than any issuer's legal name (ESMA's FIRDS caps full names at 350 bytes of which
the longest seen are under 200 characters); a longer one is a shifted column, not a name."""
MAX_SIZE_INTEGER_DIGITS = 9
MAX_SIZE_FRACTION_DIGITS = 8
"""Lot and tick sizes: from a hundred-millionth to a billion, covering every venue's tables."""

TERMS = ("isin", "mic", "currency", "name", "lot_size", "tick_size")
"""What a listing says about its instrument; two listings of one id must agree on all of it."""

_ISIN = re.compile(r"[A-Z]{2}[A-Z0-9]{9}[0-9]")
_MIC = re.compile(r"[A-Z0-9]{4}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_ACTIVE = frozenset({"ACTIVE", "UPDATED"})  # ISO 10383: UPDATED is an active, amended entry


class InstrumentRefused(ValueError):
    """A listing breaks the reference-data rules; the message names each field and why."""


class MicRegistry(Protocol):
    """The ISO 10383 registry as the ingestion context needs it: one status per MIC."""

    def status(self, mic: str) -> str | None:
        """``ACTIVE``, ``UPDATED`` or ``EXPIRED``; ``None`` when the MIC is not registered."""
        ...


@dataclass(frozen=True)
class PackagedMicRegistry:
    """The registry shipped in the ``iso10383`` package (a snapshot of the ISO file, updated
    with the package); the default when no registry file is configured."""

    def status(self, mic: str) -> str | None:
        try:
            entry = MIC[mic.lower()].value
        except KeyError:
            return None
        return entry.status.name.upper()


def isin_problem(isin: str) -> str | None:
    if not _ISIN.fullmatch(isin):
        return (
            f"ISIN {shown(isin)} is not 2 capital letters, 9 capitals or digits and a check "
            "digit (ISO 6166; upper-case ASCII only)"
        )
    try:
        stdnum_isin.validate(isin)
    except InvalidChecksum:
        return f"ISIN {isin!r} has a wrong check digit (ISO 6166)"
    except InvalidComponent:
        return f"ISIN {isin!r} starts with {isin[:2]!r}, not an ISO 3166 country code"
    except ValidationError as exc:  # any other rule stdnum knows
        return f"ISIN {isin!r} is invalid (ISO 6166: {exc})"
    return None


def mic_problem(mic: str, registry: MicRegistry) -> str | None:
    if not _MIC.fullmatch(mic):
        return f"MIC {shown(mic)} is not 4 capital letters or digits (ISO 10383)"
    status = registry.status(mic)
    if status is None:
        return f"MIC {mic!r} is not in the ISO 10383 registry"
    if status not in _ACTIVE:
        return f"MIC {mic!r} is {status.lower()} in the ISO 10383 registry, not active"
    return None


def currency_problem(currency: str) -> str | None:
    if not _CURRENCY.fullmatch(currency):
        return f"currency {shown(currency)} is not 3 capital letters (ISO 4217)"
    if pycountry.currencies.get(alpha_3=currency) is None:
        return f"currency {currency!r} is not an ISO 4217 currency"
    return None


def instrument_id_problem(instrument_id: str) -> str | None:
    if not INSTRUMENT_ID.fullmatch(instrument_id):
        return f"instrument_id {shown(instrument_id)} is not 1-32 ASCII letters, digits or ._-"
    return None


def name_problem(name: str) -> str | None:
    if len(name) > MAX_NAME_LENGTH:
        return f"name is {len(name):,} characters long (at most {MAX_NAME_LENGTH})"
    if not name.isprintable():
        return f"name {shown(name)} has a non-printable character"
    return None


def size_problem(value: Decimal, field: str) -> str | None:
    """A lot or tick size already held as a ``Decimal`` (a listing built in code): checked by
    its digits, never formatted first (``Decimal('1e999999999')`` would be a gigabyte of text)."""
    if not value.is_finite():
        return f"{field} {value} is not finite"
    if value <= 0:
        return f"{field} {value} is not positive"
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite
    whole, fraction = len(digits) + exponent, -exponent
    if whole > MAX_SIZE_INTEGER_DIGITS or fraction > MAX_SIZE_FRACTION_DIGITS:
        return (
            f"{field} needs {max(whole, 0)} digits before and {max(fraction, 0)} after the "
            f"point (at most {MAX_SIZE_INTEGER_DIGITS} and {MAX_SIZE_FRACTION_DIGITS})"
        )
    return None


def listing_problems(listing: InstrumentListed, registry: MicRegistry) -> list[str]:
    """Every rule the listing breaks, in field order; empty when it is valid."""
    problems = _code_problems({c: getattr(listing, c) for c in _TEXT_FIELDS}, registry)
    for field in ("lot_size", "tick_size"):
        problem = size_problem(getattr(listing, field), field)
        if problem is not None:
            problems.append(problem)
    return problems


def listing_from_text(values: Mapping[str, str], registry: MicRegistry) -> InstrumentListed:
    """A listing from a row of text fields (``lot_size``/``tick_size`` optional: absent or
    blank means the defaults), or :class:`InstrumentRefused` naming every problem."""
    problems = [f"missing {c}" for c in _TEXT_FIELDS if not values.get(c)]
    problems.extend(_code_problems({c: values[c] for c in _TEXT_FIELDS if values.get(c)}, registry))
    sizes: dict[str, Decimal] = {}
    for field, default in (("lot_size", DEFAULT_LOT_SIZE), ("tick_size", DEFAULT_TICK_SIZE)):
        text = values.get(field) or ""
        try:
            sizes[field] = _size(text, field) if text else default
        except NumberRejected as exc:
            problems.append(str(exc))
    if problems:
        raise InstrumentRefused("; ".join(problems))
    return InstrumentListed(**{c: values[c] for c in _TEXT_FIELDS}, **sizes)


_TEXT_FIELDS = ("instrument_id", "isin", "mic", "currency", "name")


def _code_problems(values: Mapping[str, str], registry: MicRegistry) -> list[str]:
    checks = {
        "instrument_id": instrument_id_problem,
        "isin": isin_problem,
        "mic": lambda mic: mic_problem(mic, registry),
        "currency": currency_problem,
        "name": name_problem,
    }
    found = (checks[field](value) for field, value in values.items())
    return [problem for problem in found if problem is not None]


def _size(text: str, field: str) -> Decimal:
    value = plain_decimal(
        text,
        field,
        max_integer_digits=MAX_SIZE_INTEGER_DIGITS,
        max_fraction_digits=MAX_SIZE_FRACTION_DIGITS,
    )
    problem = size_problem(value, field)
    if problem is not None:
        raise NumberRejected(problem)
    return value


def differing_terms(stored: InstrumentListed, offered: InstrumentListed) -> list[str]:
    """The terms on which two listings of one instrument disagree (sizes compared by value:
    ``0.01`` and ``0.010`` are one tick)."""
    return [t for t in TERMS if getattr(stored, t) != getattr(offered, t)]
