r"""Custom scalars: exact decimals and nanosecond timestamps, never floats.

* ``Decimal`` — money, prices and quantities. Serialised as a plain decimal string with no
  exponent (``"1234.50"``), because JSON numbers are binary floats in most clients and would
  silently round (ARCHITECTURE principle 5). Accepted as input from a string (preferred), an
  integer, or a literal number in the query text (its digits are taken verbatim); a JSON float
  in variables is taken by its shortest round-trip text (``0.1`` -> ``"0.1"``). Every form must
  be plain ASCII positional notation — ``[0-9]`` digits only (``re``'s ``\d`` and ``Decimal()``
  also read Arabic-Indic and full-width digits, so ``"١٠"`` would become 10), no exponent
  (``1e-30`` is refused, not read as 0.000…1) — with at most :data:`MAX_INTEGER_DIGITS`
  integer and :data:`MAX_FRACTION_DIGITS` fractional digits. The bound is checked on the text
  *before* a ``Decimal`` is built, so a 100,000-digit number costs a length check, not a
  bignum, and never reaches the write side.
* ``Nanoseconds`` — integer UTC nanoseconds since the Unix epoch (``ts_event`` in the read
  models), serialised as a decimal string: the values exceed both GraphQL ``Int`` (32 bit) and
  the 2**53 integers a JavaScript number holds exactly.
* ``StorePosition`` — a position in an event store, as a string of digits (positions grow
  past GraphQL's 32-bit ``Int``).
* ``UtcTimestamp`` — the same instant as ISO-8601 UTC with exactly nine fractional digits,
  ``2024-01-02T14:30:00.123456789Z``, so no precision is lost (RTS 25 asks for >= 6).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, NewType

import strawberry
from graphql import FloatValueNode, IntValueNode, StringValueNode, ValueNode
from strawberry.types.scalar import ScalarDefinition

from gateway.errors import BadUserInput

Nanoseconds = NewType("Nanoseconds", int)
StorePosition = NewType("StorePosition", int)
"""A position in an event store (its notification id): digits as text, like Nanoseconds."""
UtcTimestamp = NewType("UtcTimestamp", int)
"""An instant held as integer UTC nanoseconds, shown to clients as ISO-8601 text."""

MAX_INTEGER_DIGITS = 20
"""Most digits before the point (leading zeros aside): 10**20 exceeds any real quantity,
price or amount of money, and keeps every product of two inputs within 28-digit precision."""
MAX_FRACTION_DIGITS = 10
"""Most digits after the point: finer than any tick or lot size a venue uses."""
MAX_DECIMAL_TEXT = 64
"""Longest decimal text looked at (sign, zeros, point and digits); longer is refused unread."""
_SHOWN = 40

# [0-9], never \d: \d matches every Unicode decimal digit ("١٠", "１０").
_PLAIN_DECIMAL = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?")
_INTEGER = re.compile(r"-?[0-9]{1,19}")  # within a signed 64-bit integer's digits
_ISO_UTC = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.([0-9]{1,9}))?Z"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NS_PER_SECOND = 1_000_000_000


# --- Decimal ---------------------------------------------------------------------------------


def serialize_decimal(value: Decimal | int) -> str:
    """Plain positional notation (``format 'f'``): never ``1E+3``, never a float."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"Decimal scalar expects a Decimal, got {type(value).__name__}")
    return format(Decimal(value), "f")


def shown(value: object) -> str:
    """``repr`` of a client's value cut to a few dozen characters: an error message must not
    echo a 100,000-character input back (nor make the log line that long)."""
    text = repr(value)
    if len(text) <= _SHOWN:
        return text
    return f"{text[:_SHOWN]}... ({len(text)} characters)"


def _plain_decimal(text: str) -> Decimal:
    """The text as a Decimal if it is bounded plain ASCII notation (module doc); else refuse.

    Length first, then the ``[0-9]`` grammar, then the digit counts — all on the text, so no
    ``Decimal`` is built from anything unbounded or non-ASCII.
    """
    match = _PLAIN_DECIMAL.fullmatch(text) if len(text) <= MAX_DECIMAL_TEXT else None
    if match is None or not (match[2] or match[3]):
        if len(text) > MAX_DECIMAL_TEXT:
            raise BadUserInput(
                f"expected a decimal number of at most {MAX_INTEGER_DIGITS} integer and "
                f"{MAX_FRACTION_DIGITS} fractional digits, got {len(text)} characters"
            )
        raise BadUserInput(
            f'expected a decimal number written like "12.50" (ASCII digits 0-9, optional sign '
            f"and point, no exponent), got {shown(text)}"
        )
    integer, fraction = match[2].lstrip("0"), match[3] or ""
    if len(integer) > MAX_INTEGER_DIGITS or len(fraction) > MAX_FRACTION_DIGITS:
        raise BadUserInput(
            f"expected a decimal number of at most {MAX_INTEGER_DIGITS} integer and "
            f"{MAX_FRACTION_DIGITS} fractional digits, got {shown(text)}"
        )
    return Decimal(text)


def parse_decimal(value: Any) -> Decimal:
    """Parse a client's decimal; refuse what is not a bounded, finite, plain decimal number."""
    if isinstance(value, bool):
        raise BadUserInput(f'expected a decimal number such as "12.50", got {value!r}')
    if isinstance(value, int):
        if abs(value) >= 10**MAX_INTEGER_DIGITS:
            raise BadUserInput(
                f"expected a decimal number of at most {MAX_INTEGER_DIGITS} integer digits, "
                f"got an integer of {value.bit_length()} bits"
            )
        return Decimal(value)
    if isinstance(value, float):
        text = repr(value)
        if text in ("nan", "inf", "-inf"):
            raise BadUserInput(f"expected a finite decimal number, got {text}")
        return _plain_decimal(text)  # 1e-30 and 1e+16 print with an exponent: refused
    if isinstance(value, str):
        return _plain_decimal(value)
    raise BadUserInput(
        f'expected a decimal number written like "12.50" (digits, optional sign and point), '
        f"got {shown(value)}"
    )


def parse_decimal_literal(node: ValueNode, _variables: dict[str, Any] | None = None) -> Decimal:
    """A literal in the query text: numbers keep their exact digits, strings are parsed; both
    under the same grammar and bounds as variables (an ``1e-30`` literal is refused)."""
    if isinstance(node, IntValueNode | FloatValueNode | StringValueNode):
        return _plain_decimal(node.value)
    raise BadUserInput(f'expected a decimal number such as "12.50", got a {node.kind}')


# --- Nanoseconds -----------------------------------------------------------------------------


def serialize_nanoseconds(value: int) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"Nanoseconds scalar expects an int, got {type(value).__name__}")
    return str(value)


def parse_nanoseconds(value: Any) -> int:
    if isinstance(value, str) and _INTEGER.fullmatch(value) and -(2**63) <= int(value) < 2**63:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63:
        return value
    raise BadUserInput(
        "expected integer nanoseconds as a string such as "
        f'"1700000000000000000", got {shown(value)}'
    )


def parse_store_position(value: Any) -> int:
    if isinstance(value, str) and _INTEGER.fullmatch(value) and 0 <= int(value) < 2**63:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63:
        return value
    raise BadUserInput(
        f'expected a store position as a string of digits such as "1234", got {shown(value)}'
    )


# --- UtcTimestamp ----------------------------------------------------------------------------


def format_utc_ns(ns: int) -> str:
    """ISO-8601 UTC with nine fractional digits; exact for every integer nanosecond.

    ``datetime`` holds only microseconds, so whole seconds go through ``datetime`` and the
    sub-second nanoseconds are appended as digits (floor division keeps pre-1970 instants
    right: -1 ns is ``1969-12-31T23:59:59.999999999Z``).
    """
    if isinstance(ns, bool) or not isinstance(ns, int):
        raise TypeError(f"UtcTimestamp expects integer nanoseconds, got {type(ns).__name__}")
    seconds, fraction = divmod(ns, _NS_PER_SECOND)
    whole = _EPOCH + timedelta(seconds=seconds)
    return f"{whole:%Y-%m-%dT%H:%M:%S}.{fraction:09d}Z"


def parse_utc_timestamp(value: Any) -> int:
    """Inverse of :func:`format_utc_ns`; 1 to 9 fractional digits, ``Z`` required."""
    match = _ISO_UTC.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise BadUserInput(
            f'expected an ISO-8601 UTC timestamp such as "2024-01-02T14:30:00.123456Z", '
            f"got {shown(value)}"
        )
    try:
        whole = datetime.strptime(match[1], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    except ValueError as error:
        raise BadUserInput(f"invalid timestamp {value!r}: {error}") from None
    seconds = (whole - _EPOCH) // timedelta(seconds=1)
    fraction = int((match[2] or "0").ljust(9, "0"))
    return seconds * _NS_PER_SECOND + fraction


def _parse_literal_with(parse: Any) -> Any:
    def parse_literal(node: ValueNode, _variables: dict[str, Any] | None = None) -> Any:
        if isinstance(node, StringValueNode):
            return parse(node.value)
        raise BadUserInput(f"expected a string, got a {node.kind}")

    return parse_literal


SCALAR_MAP: dict[object, ScalarDefinition] = {
    Decimal: strawberry.scalar(
        name="Decimal",
        description=(
            "Exact decimal number (money, prices, quantities) as a string in plain notation, "
            'e.g. "1234.50". Never a float.'
        ),
        serialize=serialize_decimal,
        parse_value=parse_decimal,
        parse_literal=parse_decimal_literal,
    ),
    Nanoseconds: strawberry.scalar(
        name="Nanoseconds",
        description=(
            "UTC nanoseconds since 1970-01-01T00:00:00Z as a string of digits, e.g. "
            '"1704205800123456789" (too large for Int and for a JavaScript number).'
        ),
        serialize=serialize_nanoseconds,
        parse_value=parse_nanoseconds,
        parse_literal=_parse_literal_with(parse_nanoseconds),
    ),
    StorePosition: strawberry.scalar(
        name="StorePosition",
        description=(
            'A position in an event store (0 and up) as a string of digits, e.g. "1234": '
            "what a mutation answers with and `minPosition` waits for."
        ),
        serialize=serialize_nanoseconds,
        parse_value=parse_store_position,
        parse_literal=_parse_literal_with(parse_store_position),
    ),
    UtcTimestamp: strawberry.scalar(
        name="UtcTimestamp",
        description=(
            "ISO-8601 UTC instant with nine fractional digits (nanoseconds), e.g. "
            '"2024-01-02T14:30:00.123456789Z".'
        ),
        serialize=format_utc_ns,
        parse_value=parse_utc_timestamp,
        parse_literal=_parse_literal_with(parse_utc_timestamp),
    ),
}
