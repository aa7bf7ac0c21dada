"""Plain decimal numbers as market data writes them, read without trusting Python's parsers.

``Decimal()``, ``int()`` and ``str.isdigit()`` accept far more than a price file should carry:
underscores (``1_00.00``), exponents (``1e400``, which is ``inf`` once it meets a float, and
``1e999999999``, which allocates gigabytes when quantised), and every Unicode digit
(Arabic-Indic ``١٠``, full-width ``１０``, superscript ``²``). Here a number is
``[0-9]+(\\.[0-9]+)?`` in ASCII, optionally preceded by ``-`` so that a negative value can be
refused by its caller with a reason about its sign rather than its spelling; the digit counts are
checked on the text, before any ``Decimal`` exists.
"""

from __future__ import annotations

import re
from decimal import Decimal

from bounded_contexts.ingestion.domain.text import shown

MAX_INTEGER_DIGITS = 15
"""Digits before the point: a quadrillion, far above any price or bar volume traded, and small
enough that every product of two such numbers stays exact in a 28-digit decimal context."""
MAX_FRACTION_DIGITS = 10
"""Digits after the point: finer than any tick size a venue publishes."""

_PLAIN = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?")
_NON_FINITE = re.compile(r"[+-]?(?:s?nan|inf|infinity)", re.IGNORECASE)
_BLANKS = " \t\r\n\f\v"


class NumberRejected(ValueError):
    """A text is not a plain decimal within bounds; the message names the field and why."""


def plain_decimal(
    text: str | None,
    field: str,
    *,
    max_integer_digits: int = MAX_INTEGER_DIGITS,
    max_fraction_digits: int = MAX_FRACTION_DIGITS,
) -> Decimal:
    """The exact value of ``text`` (surrounding ASCII blanks ignored), or
    :class:`NumberRejected` naming ``field``. Trailing zeros are kept (``210.00`` stays
    ``210.00``); a leading ``-`` is read so that the caller can refuse the sign by name."""
    if text is None or text.strip(_BLANKS) == "":
        raise NumberRejected(f"missing {field}")
    text = text.strip(_BLANKS)
    if _NON_FINITE.fullmatch(text):
        raise NumberRejected(f"{field} {text!r} is not finite")
    match = _PLAIN.fullmatch(text)
    if match is None:
        raise NumberRejected(f"{field} {shown(text)} is not a number{_hint(text)}")
    whole, fraction = match[2], match[3] or ""
    if len(whole) > max_integer_digits:
        raise NumberRejected(
            f"{field} has {len(whole):,} digits before the point (at most {max_integer_digits})"
        )
    if len(fraction) > max_fraction_digits:
        raise NumberRejected(
            f"{field} has {len(fraction):,} digits after the point (at most {max_fraction_digits})"
        )
    return Decimal(text)


def _hint(text: str) -> str:
    """Why a text that looks numeric is still refused, for the spellings people do write."""
    if not text.isascii():
        return " (only ASCII digits 0-9 are read)"
    if any(c in text for c in "eE_+"):
        return " (plain decimals only: no exponent, sign or digit separator)"
    return ""
